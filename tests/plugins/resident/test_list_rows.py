"""The cases and households lists read plain rows of only the columns they return
(``core.rows``), households' members for a whole page in one query, and answer exactly
what the single reads answer, masked alike."""

from plugins.resident.households import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS
from plugins.resident.services import CASE_LIST_COLUMNS, CASE_TASK_COLUMNS
from tests.plugins.resident.conftest import BASE, new_case, take_permission
from tests.sql_log import columns_read, mentioning, statements

HOUSEHOLDS = ("unit_code,name,relation,phone,important,area\n"
              "B-0101,Chen,owner,0911222333,yes,70\nB-0101,Chen Jr,family,,,\n"
              "B-0102,Lin,tenant,0922333444,,85.5\n"
              "B-0103,Wang,owner,+886 933 444 555,,\nB-0103,Wang Sr,family,0944555666,,\n")


def test_the_cases_list_answers_what_each_case_answers(agent, supervisor, units, caplog):
    first = new_case(agent, units["A-0101"], kind="repair", category="plumbing", title="Leaking pipe")
    new_case(agent, units["A-0102"], severity="major", title="Broken lift for a week")  # to the supervisor at once
    new_case(agent, units["A-0103"], kind="inquiry", channel="walk_in", category="", title="Parking permit")
    replied = agent.post(f"{BASE}/cases/{first['id']}/reply", json={"message": "A plumber comes at ten."})
    assert replied.status_code == 200, replied.text
    sent = statements(caplog, lambda: agent.get(f"{BASE}/cases", params={"limit": 200}))
    items = agent.get(f"{BASE}/cases", params={"limit": 200}).json()["items"]
    assert [item["title"] for item in items] == ["Parking permit", "Broken lift for a week", "Leaking pipe"]
    for item in items:
        alone = agent.get(f"{BASE}/cases/{item['id']}").json()
        assert {key: value for key, value in alone.items() if key not in ("duplicates", "revisits", "messages")} == item
    assert items[1]["escalated_to"] == "supervisor" and items[1]["priority"] == "urgent"
    assert items[2]["replied_at"] and items[2]["status"]
    assert agent.get(f"{BASE}/cases", params={"open": "true", "kind": "inquiry"}).json()["items"] == items[:1]
    # The case's and its task's columns the answer shows (their names and aliases), nothing else.
    assert columns_read(sent, "resident_case") == {*CASE_LIST_COLUMNS, *CASE_TASK_COLUMNS}


def test_the_households_list_answers_what_each_household_answers_masked_or_not(demo_server, supervisor, agent):
    assert supervisor.post(f"{BASE}/households/import", json={"csv": HOUSEHOLDS}).json()["created"] == 3
    take_permission(demo_server, "agent", "core.party.personal_data")
    for client, masked in ((supervisor, False), (agent, True)):
        items = client.get(f"{BASE}/households").json()["items"]
        assert len(items) == 3 and sum(len(item["members"]) for item in items) == 5
        for item in items:
            assert client.get(f"{BASE}/households/{item['id']}").json() == item
        phones = [member["phone"] for item in items for member in item["members"] if member["phone"]]
        assert len(phones) == 4 and all(("*" in phone) is masked for phone in phones)
    assert [item["area"] for item in supervisor.get(f"{BASE}/households").json()["items"]] == ["70.00", "85.50", "0.00"]


def test_the_households_list_reads_members_once_for_a_page(supervisor, caplog):
    assert supervisor.post(f"{BASE}/households/import", json={"csv": HOUSEHOLDS}).json()["created"] == 3

    def member_reads(limit: int) -> tuple[int, list[str]]:
        sent = statements(caplog, lambda: supervisor.get(f"{BASE}/households", params={"limit": limit}))
        assert len(supervisor.get(f"{BASE}/households", params={"limit": limit}).json()["items"]) == limit
        return len(mentioning(sent, "resident_member")), sent

    (one, _sent), (three, sent) = member_reads(1), member_reads(3)
    assert one == three == 1  # not one more query per household
    assert columns_read(sent, "resident_household") == set(HOUSEHOLD_COLUMNS)
    assert columns_read(sent, "resident_member") == set(MEMBER_COLUMNS)
