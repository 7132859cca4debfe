"""core.imports.readers: what is CSV or XLSX, which encoding, how many rows (no database)."""

import io
import time
import zipfile

import pytest

from core.imports import normalise_header
from core.imports.readers import FileRefused, read

TRADITIONAL = "單位編號,類別,棟別,樓層,名稱\nA-1,公寓,甲棟,3,王小明的家\nA-2,店面,乙棟,1,陳記麵店\n"
SIMPLIFIED = "单位编号,类别,栋别,楼层,名称\nA-1,公寓,甲栋,3,王小明的家\nA-2,商店,乙栋,1,陈记面店\n"
KNOWN = {normalise_header(h) for h in ("單位編號", "類別", "棟別", "樓層", "名稱", "单位编号", "类别", "栋别", "楼层",
                                       "名称", "code", "name", "kind")}


def score(header):
    return sum(normalise_header(h) in KNOWN for h in header)


def sheet(data, encoding=None, max_rows=50_000):
    found = read(data, encoding=encoding, max_rows=max_rows, score_header=score)
    return found, found.header, list(found.rows)


@pytest.mark.parametrize("text, encoding, reported", [
    (TRADITIONAL, "utf-8", "utf-8"), (TRADITIONAL, "utf-8-sig", "utf-8"), (TRADITIONAL, "cp950", "big5"),
    (SIMPLIFIED, "gb18030", "gb18030"), (SIMPLIFIED, "utf-8", "utf-8"),
])
def test_csv_encodings_are_detected_and_reported(text, encoding, reported):
    found, header, rows = sheet(text.encode(encoding))
    assert found.format == "csv" and found.encoding == reported
    assert header == text.splitlines()[0].split(",") and rows[1][4] == text.splitlines()[2].split(",")[4]


def test_english_headers_big5_content_is_judged_by_the_text():
    names = ["王小明的店", "陳大文", "林美玲工作室", "張家豪", "黃淑芬", "李國華"]
    text = "code,kind,name\n" + "".join(f"A-{i},shop,{name}\n" for i, name in enumerate(names))
    found, _header, rows = sheet(text.encode("cp950"))
    assert found.encoding == "big5" and [row[2] for row in rows] == names


def test_a_forced_encoding_is_used_and_a_wrong_one_refused():
    data = TRADITIONAL.encode("cp950")
    assert sheet(data, encoding="big5")[2][0][4] == "王小明的家"
    with pytest.raises(FileRefused) as refused:
        sheet(data, encoding="utf-8")
    assert "UTF-8" in refused.value.detail or "utf-8" in refused.value.detail
    with pytest.raises(FileRefused):
        sheet(data, encoding="klingon")


@pytest.mark.parametrize("data", [
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,  # an old .xls
    b"\x00\x01\x02\x03binary\x00stuff",
])
def test_not_csv_or_xlsx_is_refused(data):
    with pytest.raises(FileRefused) as refused:
        sheet(data)
    assert "not CSV or XLSX" in refused.value.detail


def test_a_zip_that_is_no_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(FileRefused) as refused:
        sheet(buffer.getvalue())
    assert "not CSV or XLSX" in refused.value.detail


def test_xlsx_cells_read_as_text():
    from openpyxl import Workbook
    import datetime as dt

    book = Workbook()
    book.active.append(["Unit code", "Floor", "Date"])
    book.active.append(["A-1", 3, dt.date(2026, 12, 1)])
    buffer = io.BytesIO()
    book.save(buffer)
    found, header, rows = sheet(buffer.getvalue())
    assert found.format == "xlsx" and header == ["Unit code", "Floor", "Date"] and rows == [["A-1", "3", "2026-12-01"]]


def test_200000_rows_are_refused_quickly_csv_and_xlsx():
    from openpyxl import Workbook

    data = ("code,kind\n" + "".join(f"U-{i},apartment\n" for i in range(200_000))).encode()
    started = time.monotonic()
    with pytest.raises(FileRefused) as refused:
        sheet(data)
    assert "50,000" in refused.value.detail and time.monotonic() - started < 5
    book = Workbook(write_only=True)
    worksheet = book.create_sheet()
    worksheet.append(["code", "kind"])
    for i in range(200_000):
        worksheet.append([f"U-{i}", "apartment"])
    buffer = io.BytesIO()
    book.save(buffer)
    started = time.monotonic()
    with pytest.raises(FileRefused):
        sheet(buffer.getvalue())
    assert time.monotonic() - started < 5


def test_headers_match_across_case_width_and_spacing():
    assert normalise_header(" Ｕｎｉｔ　Ｃｏｄｅ ") == normalise_header("unit_code") == normalise_header("UNIT-CODE:")
    assert normalise_header("單位編號：") == normalise_header("單位編號")


def _rewritten(data, path, change):
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.namelist():
            content = source.read(item)
            target.writestr(item, change(content) if item == path else content)
    return buffer.getvalue()


def _book(rows):
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_sheet_declaring_entities_is_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    data = _rewritten(_book([["code"], ["A"]]), "xl/worksheets/sheet1.xml",
                      lambda xml: bomb + xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else bomb + xml)
    with pytest.raises(FileRefused) as refused:
        sheet(data)
    assert "cannot be read" in refused.value.detail


def test_blank_rows_keep_the_spreadsheet_row_numbers():
    data = _book([["code", "name"], ["A", "x"], [None, None], [None, None], ["B", "y"]])
    _found, _header, rows = sheet(data)
    assert [row[:1] for row in rows if row and any(row)] == [["A"], ["B"]]
    assert rows.index(["B", "y"]) == 3  # the file's row 5: the header is row 1, data from row 2
