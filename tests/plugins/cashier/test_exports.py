"""The shift report's CSV and XLSX neutralise formulas typed by users; amounts stay as formatted."""

import csv
import io

from tests.plugins.cashier.conftest import BASE, close, key, open_shift, post

PAYLOAD = '=HYPERLINK("http://x","y")'


def test_shift_report_neutralises_user_text_in_csv_and_xlsx(cashier, sup):
    from openpyxl import load_workbook

    register = sup.post(f"{BASE}/registers", json={"name": "@Till " + key()["Idempotency-Key"][-6:]}).json()
    shift = open_shift(cashier, register, {"1000": 1})
    post(cashier, shift, amount="300", reference=PAYLOAD, note="+note")
    sale = post(cashier, shift, amount="250").json()
    reversed_ = cashier.post(f"{BASE}/transactions/{sale['id']}/reverse", json={"reason": "-" + PAYLOAD},
                             headers=key())
    assert reversed_.status_code == 201, reversed_.text
    assert close(cashier, shift, {"1000": 1, "100": 3}, float_left="1000").status_code == 200
    expected = {"'" + PAYLOAD, "'+note", "'-" + PAYLOAD, "'" + register["name"]}

    text = sup.get(f"{BASE}/shifts/{shift['id']}/report", params={"format": "csv"}).content.decode("utf-8-sig")
    cells = {cell for row in csv.reader(io.StringIO(text)) for cell in row}
    assert expected <= cells
    assert PAYLOAD not in cells and "+note" not in cells and register["name"] not in cells
    assert "-250.00" in cells  # the reversal's amount is the application's own text, left as it was

    xlsx = sup.get(f"{BASE}/shifts/{shift['id']}/report", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = {cell.value for row in sheet.iter_rows() for cell in row}
    assert expected <= values and PAYLOAD not in values and "-250.00" in values
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
