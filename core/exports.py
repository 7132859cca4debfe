"""Spreadsheet exports that cannot run what a user typed.

A CSV or XLSX cell whose text starts with ``=``, ``+``, ``-`` or ``@`` is read by Excel,
LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``),
and a leading tab or carriage return can hide such a prefix. Following the OWASP "CSV
Injection" guidance, every cell of user-controlled text goes through :func:`neutralise`,
which prefixes a single quote so the spreadsheet shows it as text.

Numbers, dates and ``None`` are never touched, so amounts and counts stay numeric. A
string the application formatted itself (a negative money string such as ``"-12.50"``)
is not user text: exports that write such strings call :func:`neutralise` on the user
text cells only; :func:`csv_text` and :func:`xlsx_bytes` neutralise every cell.
"""

from __future__ import annotations

import csv
import io
from typing import Any

#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` with a ``'`` in front if it is a string a spreadsheet would run as a formula.

    >>> neutralise('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> neutralise("INV-1"), neutralise(-5), neutralise(None)
    ('INV-1', -5, None)
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_text(rows: list[list[Any]]) -> str:
    """The rows as CSV text (``csv`` module defaults), every cell neutralised; None is empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if cell is None else neutralise(cell) for cell in row])
    return buffer.getvalue()


def tables_csv(tables: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    """``(title, headers, rows)`` tables as one CSV file: several one after another, each under
    its title and a blank line apart (one alone, bare); every cell neutralised, with a BOM so
    that Excel opens UTF-8 Chinese correctly."""
    rows: list[list[Any]] = []
    for index, (title, headers, table_rows) in enumerate(tables):
        if len(tables) > 1:
            if index:
                rows.append([])
            rows.append([title])
        rows.append(headers)
        rows.extend(table_rows)
    return ("\ufeff" + csv_text(rows)).encode("utf-8")


def xlsx_bytes(sheets: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    """A workbook with one sheet per ``(title, headers, rows)``: the header row bold, every cell
    neutralised. Titles are cut to Excel's 31 characters."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append([neutralise(value) for value in headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([neutralise(value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
