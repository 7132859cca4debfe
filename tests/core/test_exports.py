"""core.exports: cells a spreadsheet would run as a formula are neutralised (OWASP CSV injection)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from core.exports import csv_text, neutralise, xlsx_bytes

PAYLOAD = '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize("text", [PAYLOAD, "+1+cmd", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "=", "-"])
def test_text_starting_with_a_formula_character_gets_a_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["INV-1", "Noise from upstairs", "", " =not first", "a=b", "'=already", "測試",
                                   0, -5, 3.5, -2.25, Decimal("-1.50"), True, None,
                                   dt.date(2026, 11, 27), dt.datetime(2026, 11, 27, 9, 30)])
def test_numbers_dates_none_and_other_text_are_unchanged(value):
    assert neutralise(value) is value


def test_csv_text_neutralises_every_cell_and_keeps_the_csv_format():
    text = csv_text([["Name", "Note"], [PAYLOAD, "-5 short"], [7, None], []])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["Name", "Note"], ["'" + PAYLOAD, "'-5 short"], ["7", ""], []]
    assert text.endswith("\r\n")  # the csv module's default dialect, as before


def test_xlsx_bytes_writes_text_not_formulas_with_a_bold_header():
    from openpyxl import load_workbook

    data = xlsx_bytes([("A very long sheet title that Excel would refuse", ["Agent", "=Header"],
                        [[PAYLOAD, 3], ["@x", dt.date(2026, 11, 27)]]), ("Second", ["x"], [])])
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["A very long sheet title that Ex", "Second"]
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["Agent", "'=Header"] and all(c.font.bold for c in sheet[1])
    assert sheet["A2"].value == "'" + PAYLOAD and sheet["A2"].data_type == "s" and sheet["B2"].value == 3
    assert sheet["A3"].value == "'@x" and sheet["B3"].value.date() == dt.date(2026, 11, 27)
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    assert not sheet["A2"].font.bold


def test_tables_csv_titles_several_tables_and_leaves_one_bare():
    from core.exports import tables_csv

    one = tables_csv([("Calls", ["Agent", "Calls"], [["王小明", 3]])]).decode("utf-8")
    assert one == "\ufeffAgent,Calls\r\n王小明,3\r\n"  # a BOM, so Excel reads UTF-8 Chinese
    several = tables_csv([("Days", ["Day"], [["2026-11-30"]]), ("Agents", ["Agent"], [["=HYPERLINK()"]])])
    assert several.decode("utf-8-sig").splitlines() == ["Days", "Day", "2026-11-30", "", "Agents", "Agent",
                                                       "'=HYPERLINK()"]

