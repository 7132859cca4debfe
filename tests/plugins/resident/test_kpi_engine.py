"""The resident desk's KPIs through core's engine: breakdowns named by the site's category
list and the agents' names, n/a for a month without complaints, the downloads."""

import csv
import io

from tests.plugins.resident.conftest import BASE, move, new_case


def test_breakdowns_by_category_and_agent(demo_server, supervisor, units):
    case = new_case(supervisor, units["B-0901"], category="water")
    supervisor.post(f"{BASE}/cases/{case['id']}/reply", json={"message": "On it."})
    move(supervisor, case["task_id"], "resolved")
    new_case(supervisor, units["B-0902"], category="noise")  # not yet due: counted nowhere
    data = supervisor.get(f"{BASE}/kpis").json()
    rows = {row["category"]: row for row in data["breakdown"]["by_category"]}
    assert rows["water"]["label"] == "Water leak"
    water = {rate["key"]: (rate["numerator"], rate["denominator"]) for rate in rows["water"]["rates"]}
    assert water["on_time_reply_rate"] == (1, 1) and water["standard_handling_rate"] == (1, 1)
    noise = {rate["key"]: rate["status"] for rate in rows["noise"]["rates"]}
    assert noise == {"on_time_reply_rate": "no_data", "standard_handling_rate": "no_data",
                     "satisfaction_rate": "no_data"}
    task = supervisor.get(f"/api/v1/sites/harbour/tasks/{case['task_id']}").json()
    agents = {row["agent_id"]: row["name"] for row in data["breakdown"]["by_agent"]}
    assert task["assignee_id"] in agents and agents[task["assignee_id"]]
    # the agents' and categories' counts sum to the totals
    for by in ("by_agent", "by_category"):
        for index, total in enumerate(data["breakdown"]["rates"]):
            assert sum(row["rates"][index]["denominator"] for row in data["breakdown"][by]) == total["denominator"]
    text = supervisor.get(f"{BASE}/kpis", params={"format": "csv"}).content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert ["Resident complaints", "Water leak", "Replied on time", "1", "1", "100.0", "99.0", "met"] in table
    page = demo_server.sign_in("supervisor").get("/sites/harbour/resident/kpis")
    assert page.status_code == 200 and "Water leak" in page.text and 'data-status="met"' in page.text


def test_a_month_without_complaints_is_n_a_not_met(demo_server, supervisor):
    data = supervisor.get(f"{BASE}/kpis", params={"from": "2020-01-01", "to": "2020-01-31"}).json()
    assert data["on_time_reply_rate"] is None and data["met"]["on_time_reply_rate"] is None
    assert set(data["status"].values()) == {"no_data"}
    page = demo_server.sign_in("supervisor").get("/sites/harbour/resident/kpis?month=2020-01")
    assert page.status_code == 200 and "n/a" in page.text and 'data-status="met"' not in page.text
    assert supervisor.get(f"{BASE}/kpis", params={"from": "2020-01-01", "to": "2021-06-01"}).json()["errors"][0][
        "field"] == "from"  # at most a year
