"""The revisit report's XLSX (the resident desk's only spreadsheet export with user text; it has
no CSV export) neutralises formulas typed by users: campaign name, suggestions, agent name."""

import io

from tests.plugins.resident.conftest import BASE

PAYLOAD = '=HYPERLINK("http://x","y")'


def test_revisit_report_xlsx_neutralises_user_text(demo_server, supervisor, agent, user_ids, units):
    from openpyxl import load_workbook

    unit = units["A-0101"]
    made = supervisor.post(f"{BASE}/households", json={"unit_id": unit, "members": [
        {"name": "Resident A-0101", "relation": "owner", "phone": "0912 345 678"}]})
    assert made.status_code == 201, made.text
    admin = demo_server.api_client("admin")
    renamed = admin.patch(f"/api/v1/users/{user_ids['agent']}", json={"display_name": "@agent"})
    assert renamed.status_code == 200, renamed.text
    campaign = supervisor.post(f"{BASE}/campaigns", json={"name": PAYLOAD, "agent_ids": [user_ids["agent"]],
                                                          "rule": {"kind": "manual", "unit_ids": [unit]}})
    assert campaign.status_code == 201, campaign.text
    campaign_id = campaign.json()["id"]
    assert supervisor.post(f"{BASE}/campaigns/{campaign_id}/distribute").status_code == 200
    visit = agent.get(f"{BASE}/revisits", params={"status": "pending"}).json()["items"][0]
    done = agent.post(f"{BASE}/revisits/{visit['id']}", json={"method": "phone", "reached": True, "satisfied": True,
                                                              "score": 5, "suggestions": "+" + PAYLOAD})
    assert done.status_code == 200, done.text

    xlsx = supervisor.get(f"{BASE}/campaigns/{campaign_id}/report", params={"format": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    values = {cell.value for cell in cells}
    assert {"'" + PAYLOAD, "'+" + PAYLOAD, "'@agent"} <= values
    assert PAYLOAD not in values and "+" + PAYLOAD not in values and "@agent" not in values
    assert not any(cell.data_type == "f" for cell in cells)
    assert book["Summary"]["B2"].value == 1  # numbers stay numbers
