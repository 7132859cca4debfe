"""The daily and weekly reports' CSV and XLSX neutralise formulas in user text (the agent's name)."""

import csv
import io

from tests.plugins.insurance_calls.conftest import BASE, log

PAYLOAD = '=HYPERLINK("http://x","y")'


def test_reports_neutralise_an_agent_name_typed_as_a_formula(demo_server, caller, callsup, user_ids):
    from openpyxl import load_workbook

    admin = demo_server.api_client("admin")
    renamed = admin.patch(f"/api/v1/users/{user_ids['caller']}", json={"display_name": PAYLOAD})
    assert renamed.status_code == 200, renamed.text
    log(caller, summary="-" + PAYLOAD)
    daily = callsup.get(f"{BASE}/reports/daily").json()
    assert any(row["agent"] == PAYLOAD for row in daily["rows"])  # JSON keeps the text as typed

    for path in ("reports/daily", "reports/weekly"):
        text = callsup.get(f"{BASE}/{path}", params={"format": "csv"}).content.decode("utf-8-sig")
        cells = {cell for row in csv.reader(io.StringIO(text)) for cell in row}
        assert "'" + PAYLOAD in cells and PAYLOAD not in cells, path

        book = load_workbook(io.BytesIO(callsup.get(f"{BASE}/{path}", params={"format": "xlsx"}).content))
        cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
        values = {cell.value for cell in cells}
        assert "'" + PAYLOAD in values and PAYLOAD not in values, path
        assert not any(cell.data_type == "f" for cell in cells), path
        assert all(cell.font.bold for cell in book.worksheets[0][1]), path  # header row as before
