"""Reading an uploaded spreadsheet: CSV in the encodings Taiwan and China use, or XLSX.

A file is XLSX when it is a ZIP holding ``xl/workbook.xml`` (read with openpyxl in
read-only mode, first sheet, values not formulas); anything else binary (a PDF, another
ZIP, an old ``.xls``, an image) is refused as "not CSV or XLSX". Otherwise it is CSV text.

CSV encodings, when the caller does not name one: a UTF-8 BOM means UTF-8; then strict
UTF-8; then Big5 (cp950, Taiwan) and GB18030 (mainland China). Most Big5 bytes also decode
as GB18030 (and often the reverse) into other characters, so both usually "succeed".
Between them the header decides first: the decoding under which more headers name a known
column is the file's (單位編號 in Big5 reads as nonsense in GB18030). When the headers are
plain English, charset-normalizer (a maintained detector) judges the text; when it names
neither, the file is refused with a request to choose the encoding. The encoding used is
reported so that a person can see it and force another.

Rows are counted while reading and the file is refused as soon as it passes the limit:
for XLSX the sheet's declared dimension is checked before any row is read, so 200,000
rows are refused at once rather than after a minute of parsing.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from core.i18n import gettext as _
from core.problems import Problem

#: Encodings a caller may force, by the names people know them by.
ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "big5": "cp950", "cp950": "cp950", "gb18030": "gb18030",
             "gbk": "gb18030", "gb2312": "gb18030"}
#: As reported (and offered on the page).
ENCODING_NAMES = {"utf-8-sig": "utf-8", "cp950": "big5", "gb18030": "gb18030"}

#: A ``<row>`` start tag, with or without a namespace prefix (``<x:row r="2">``).
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_BINARY_MAGIC = (b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")


class FileRefused(Problem):
    """The file as a whole cannot be read: 422 naming ``file`` (or the column/row list)."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None, **extra: Any):
        super().__init__(422, message, errors=errors or [{"field": "file", "message": message}], **extra)


@dataclass
class Sheet:
    """A file's header and data rows (each a list of cell texts, stripped)."""

    format: str
    encoding: str
    header: list[str]
    rows: Iterator[list[str]]


def not_tabular() -> FileRefused:
    return FileRefused(_("This file is not CSV or XLSX. Save the spreadsheet as .xlsx or .csv and upload that."))


def too_many_rows(limit: int) -> FileRefused:
    return FileRefused(_("The file has more than %(limit)s rows, the most one import takes. Split it into several "
                         "files.", limit=f"{limit:,}"), limit=limit)


def cell_text(value: Any) -> str:
    """An XLSX cell as the text a CSV would hold: whole numbers without ``.0``, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value).strip()


def read(data: bytes, *, encoding: str | None, max_rows: int,
         score_header: Callable[[list[str]], int]) -> Sheet:
    """The file's header and rows; ``FileRefused`` for what cannot be read.

    ``score_header(header)`` counts the headers that name a known column: how the Big5 /
    GB18030 choice is made (see the module's docstring)."""
    if not data.strip():
        raise FileRefused(_("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, max_rows)
    head = data[:4096]
    if data.startswith(_BINARY_MAGIC) or (b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))):
        raise not_tabular()
    return _read_csv(data, encoding, max_rows, score_header)


def _read_xlsx(data: bytes, max_rows: int) -> Sheet:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise not_tabular()
            first = _first_sheet(archive)
    except FileRefused:
        raise
    except Exception:  # not a ZIP after all, or its workbook part is broken
        raise unreadable_xlsx() from None
    # Counted before openpyxl loads the workbook: its shared strings alone (one per
    # distinct text) take seconds to load for 200,000 rows.
    if first and _xml_rows_over(data, first, max_rows + 1):
        raise too_many_rows(max_rows)
    try:
        # openpyxl reads the workbook's parts (sheets, shared strings, which styles are
        # dates); the rows themselves are read by _sheet_rows below.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        path, shared, dates, epoch = sheet._worksheet_path, book.shared_strings, book._date_formats, book.epoch
        book.close()
    except FileRefused:
        raise
    except Exception:  # a broken or encrypted workbook: openpyxl raises many kinds
        raise unreadable_xlsx() from None
    if path != first and _xml_rows_over(data, path, max_rows + 1):
        raise too_many_rows(max_rows)
    values = _sheet_rows(data, path, shared, dates, epoch)
    try:
        header = next(values, [])
    except Exception:  # malformed XML inside a well-formed ZIP
        raise unreadable_xlsx() from None

    def rows() -> Iterator[list[str]]:
        try:
            for count, row in enumerate(values, start=1):
                if count > max_rows:
                    raise too_many_rows(max_rows)
                yield row
        except FileRefused:
            raise
        except Exception:
            raise unreadable_xlsx() from None
    return Sheet("xlsx", "", _trim(header), rows())


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The path of the workbook's first sheet (``xl/worksheets/sheet1.xml``), from
    ``xl/workbook.xml`` and its relationships; "" when they do not say."""
    from defusedxml.ElementTree import fromstring

    relationship = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    sheet = next(iter(fromstring(archive.read("xl/workbook.xml")).iter(f"{_MAIN}sheet")), None)
    if sheet is None or "xl/_rels/workbook.xml.rels" not in archive.namelist():
        return ""
    for link in fromstring(archive.read("xl/_rels/workbook.xml.rels")):
        if link.get("Id") == sheet.get(relationship):
            target = link.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            return path if path in archive.namelist() else ""
    return ""


def unreadable_xlsx() -> FileRefused:
    return FileRefused(_("This XLSX file cannot be read (damaged or protected). Save it again and retry."))


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _INLINE, _TEXT = (f"{_MAIN}row", f"{_MAIN}c", f"{_MAIN}v", f"{_MAIN}is", f"{_MAIN}t")
_RUN_TEXT = f"{_MAIN}r/{_MAIN}t"


def _column(reference: str) -> int:
    """``"AB12"`` → 28."""
    number = 0
    for char in reference:
        if not char.isalpha():
            break
        number = number * 26 + ord(char.upper()) - 64
    return number


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def _cell_value(cell, shared, dates, epoch) -> Any:
    """A ``<c>`` element's value as openpyxl reads it (``openpyxl/worksheet/_reader.py``):
    shared, inline and formula strings, booleans, numbers, dates by their style."""
    from openpyxl.utils.datetime import from_excel

    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(_INLINE)
        if inline is None:
            return None
        return "".join([*(t.text or "" for t in inline.iterfind(_TEXT)),
                        *(t.text or "" for t in inline.iterfind(_RUN_TEXT))])
    value = cell.findtext(_VALUE) or None
    if value is None:
        return None
    if kind == "s":
        return shared[int(value)]
    if kind == "b":
        return value == "1"
    if kind == "n":
        number = _number(value)
        style = cell.get("s")
        if style and int(style) in dates:
            return from_excel(number, epoch)
        return number
    return value  # "str" (a formula's text), "e" (an error such as #N/A), "d" (ISO date)


def _sheet_rows(data: bytes, path: str, shared, dates, epoch) -> Iterator[list[str]]:
    """The sheet's rows as cell texts, streamed with ElementTree's C parser: no object per
    cell, so 20,000 rows of six cells take about a second instead of openpyxl's four. Rows
    and cells left out of the file (empty ones) come back empty, so row numbers are the
    spreadsheet's."""
    # The standard parser, at twice defusedxml's speed: _xml_rows_over has already refused
    # a sheet declaring a DTD (the way to entity bombs and external entities), which a
    # sheet never needs; expat (2.4.1 on) bounds entity expansion anyway, and ElementTree
    # never fetches external entities. openpyxl, for the workbook's other parts, uses
    # defusedxml (a dependency) by itself.
    from xml.etree.ElementTree import iterparse

    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(path) as stream:
        expected = 1
        for _event, element in iterparse(stream, events=("end",)):  # noqa: S314 (see above)
            if element.tag != _ROW:
                continue
            number = int(element.get("r") or expected)
            while expected < number:  # rows with nothing in them are not in the file
                yield []
                expected += 1
            cells: dict[int, str] = {}
            position = 0
            for cell in element.iterfind(_CELL):
                reference = cell.get("r")
                position = _column(reference) if reference else position + 1
                cells[position] = cell_text(_cell_value(cell, shared, dates, epoch))
            yield [cells.get(column, "") for column in range(1, max(cells, default=0) + 1)]
            expected = number + 1
            element.clear()


def _xml_rows_over(data: bytes, path: str, limit: int) -> bool:
    """Whether the sheet's XML holds more than ``limit`` ``<row>`` elements, counted in the
    decompressed bytes as they stream (C-speed: 200,000 rows in a fraction of a second).
    The declared dimension is not trusted: writers may leave it out or get it wrong.
    Empty rows count here, so a file near the limit with blank rows is judged by the
    exact count while reading. A sheet declaring a DTD is refused here (see _sheet_rows)."""
    count, tail = 0, b""
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(path) as stream:
        while chunk := stream.read(1 << 20):
            joined = tail + chunk
            # Count up to the last "<", carried into the next chunk: a tag cut between two
            # chunks is counted once, whole.
            cut = joined.rfind(b"<")
            body, tail = (joined, b"") if cut < 0 else (joined[:cut], joined[cut:])
            count += len(_ROW_TAG.findall(body))
            if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
                raise unreadable_xlsx()
            if count > limit:
                return True
    if b"<!" in tail:
        raise unreadable_xlsx()
    return count + len(_ROW_TAG.findall(tail)) > limit


def _decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _first_line(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])


def detect(data: bytes, score_header: Callable[[list[str]], int]) -> tuple[str, str]:
    """``(encoding, text)`` for CSV bytes, or ``FileRefused`` asking to choose one."""
    if data.startswith(b"\xef\xbb\xbf"):
        text = _decode(data, "utf-8-sig")
        if text is None:
            raise FileRefused(_("The file starts as UTF-8 but is not valid UTF-8. Choose its encoding."),
                              encodings=sorted(set(ENCODING_NAMES.values())))
        return "utf-8-sig", text
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _decode(data, "utf-16")
        if text is not None:
            return "utf-16", text
    text = _decode(data, "utf-8")
    if text is not None:
        return "utf-8-sig", text
    decoded = {name: text for name in ("cp950", "gb18030") if (text := _decode(data, name)) is not None}
    if len(decoded) == 1:
        return next(iter(decoded.items()))
    if decoded:
        scores = {name: score_header(_first_line(text)) for name, text in decoded.items()}
        best = max(scores.values())
        leaders = [name for name, score in scores.items() if score == best]
        if len(leaders) == 1:
            return leaders[0], decoded[leaders[0]]
        guess = _guess(data)
        if guess in decoded:
            return guess, decoded[guess]
    raise FileRefused(_("The file's encoding cannot be told for sure. Choose it: UTF-8, Big5 or GB18030."),
                      encodings=sorted(set(ENCODING_NAMES.values())))


def _guess(data: bytes) -> str | None:
    """charset-normalizer's best guess among Big5 and GB18030, or None."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000], cp_isolation=["big5", "cp950", "gb18030", "gbk", "gb2312"]).best()
    if best is None:
        return None
    return {"big5": "cp950", "cp950": "cp950", "gb18030": "gb18030", "gbk": "gb18030",
            "gb2312": "gb18030"}.get(best.encoding)


def _read_csv(data: bytes, encoding: str | None, max_rows: int, score_header) -> Sheet:
    if encoding:
        codec = ENCODINGS.get(encoding.strip().lower())
        if codec is None:
            raise FileRefused(_("Unknown encoding %(name)s: choose UTF-8, Big5 or GB18030.", name=encoding),
                              errors=[{"field": "encoding", "message": _("Choose UTF-8, Big5 or GB18030.")}])
        text = _decode(data, codec)
        if text is None:
            raise FileRefused(_("The file is not valid %(name)s. Choose another encoding.",
                                name=ENCODING_NAMES[codec]),
                              errors=[{"field": "encoding", "message": _("Choose another encoding.")}])
    else:
        codec, text = detect(data, score_header)
    # Counting line ends is C-speed: far too many rows are refused before csv parses them.
    if text.count("\n") > max_rows + 1 and _csv_rows_over(text, max_rows):
        raise too_many_rows(max_rows)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = next(reader, [])
    except csv.Error:
        raise not_tabular() from None

    def rows() -> Iterator[list[str]]:
        try:
            for count, row in enumerate(reader, start=1):
                if count > max_rows:
                    raise too_many_rows(max_rows)
                yield [cell.strip() for cell in row]
        except csv.Error as error:
            raise FileRefused(_("The CSV file is malformed near row %(row)s: %(error)s",
                                row=reader.line_num, error=str(error))) from None
    return Sheet("csv", ENCODING_NAMES.get(codec, codec), _trim(header), rows())


def _csv_rows_over(text: str, max_rows: int) -> bool:
    """Whether non-empty lines exceed the limit (a quoted cell may hold a line break, so the
    raw count alone could over-count; blank lines are not rows)."""
    count = 0
    for line in io.StringIO(text):
        if line.strip():
            count += 1
            if count > max_rows + 1:
                return True
    return False


def _trim(header: list[str]) -> list[str]:
    """The header without empty cells at its end (a spreadsheet's formatted blank columns)."""
    header = [str(cell or "").strip() for cell in header]
    while header and not header[-1]:
        header.pop()
    return header
