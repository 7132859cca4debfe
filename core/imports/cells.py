"""Parsers for import cells: each takes the cell's stripped, non-empty text and returns the
value, or raises ``CellError`` with a translated message (``Column.parse``).

Factories return the parser, so a column reads ``parse=cells.text(40)`` or
``parse=cells.choice(UNIT_KINDS)``. Exports write a user's text with a leading ``'`` when a
spreadsheet would run it as a formula (``core.exports.neutralise``); ``unquote`` takes that
quote off again, so what was exported imports back as it was.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable

from core.exports import FORMULA_PREFIXES
from core.i18n import gettext as _
from core.imports import CellError, Row, RowError
from core.money import parse_money
from core.problems import Problem

Parser = Callable[[str], Any]

#: What separates several values in one cell (phones, roles, e-mails): ``;``, ``,``, the
#: full-width and ideographic forms, ``、``, or a new line.
LIST_SEPARATORS = re.compile(r"[;,；，、\n]+")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def unquote(text: str) -> str:
    """``'=A1`` (as ``core.exports`` wrote it) back to ``=A1``; other text unchanged."""
    if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


def text(max_length: int = 200) -> Parser:
    """Any text up to ``max_length`` characters (after taking off an export's quote)."""
    def parse(value: str) -> str:
        value = unquote(value)
        if len(value) > max_length:
            raise CellError(_("At most %(count)s characters.", count=max_length))
        return value
    return parse


def code(max_length: int = 40) -> Parser:
    """A code as people type it: no spaces inside, at most ``max_length`` characters."""
    def parse(value: str) -> str:
        value = unquote(value)
        if len(value) > max_length:
            raise CellError(_("At most %(count)s characters.", count=max_length))
        if any(char.isspace() for char in value):
            raise CellError(_("A code has no spaces."))
        return value
    return parse


def choice(values: Iterable[str], labels: dict[str, str] | None = None) -> Parser:
    """One of ``values`` (case-insensitive); ``labels`` maps other accepted words (a
    translated name, 公寓) to a value."""
    allowed = {value.casefold(): value for value in values}
    extra = {word.casefold(): value for word, value in (labels or {}).items()}

    def parse(value: str) -> str:
        found = allowed.get(value.casefold()) or extra.get(value.casefold())
        if found is None:
            raise CellError(_("Use one of: %(values)s.", values=", ".join(allowed.values())))
        return found
    return parse


def integer(minimum: int | None = None, maximum: int | None = None) -> Parser:
    def parse(value: str) -> int:
        try:
            number = int(Decimal(value.replace(",", "")))
            if Decimal(value.replace(",", "")) != number:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            raise CellError(_("Enter a whole number.")) from None
        if minimum is not None and number < minimum:
            raise CellError(_("Enter at least %(limit)s.", limit=minimum))
        if maximum is not None and number > maximum:
            raise CellError(_("Enter at most %(limit)s.", limit=maximum))
        return number
    return parse


def decimal() -> Parser:
    """A number as ``Decimal`` (never a float: amounts go through ``core.money`` after)."""
    def parse(value: str) -> Decimal:
        try:
            number = Decimal(value.replace(",", ""))
        except InvalidOperation:
            raise CellError(_("Enter a number.")) from None
        if not number.is_finite():
            raise CellError(_("Enter a number."))
        return number
    return parse


def date() -> Parser:
    """A date as 2026-12-25 (or 2026/12/25); a spreadsheet's own date cell arrives as such."""
    def parse(value: str) -> dt.date:
        try:
            return dt.date.fromisoformat(value.replace("/", "-")[:10])
        except ValueError:
            raise CellError(_("Enter a date such as 2026-12-25.")) from None
    return parse


def boolean() -> Parser:
    yes = {"yes", "y", "true", "1", "是", "對", "对"}
    no = {"no", "n", "false", "0", "否", "不"}

    def parse(value: str) -> bool:
        if value.casefold() in yes:
            return True
        if value.casefold() in no:
            return False
        raise CellError(_("Choose yes or no."))
    return parse


def items(each: Parser | None = None, max_items: int = 20) -> Parser:
    """Several values in one cell, separated by ``;`` ``,`` ``、`` or new lines, each parsed
    by ``each``; repeats dropped, order kept."""
    def parse(value: str) -> list[Any]:
        found: list[Any] = []
        for part in LIST_SEPARATORS.split(value):
            part = part.strip()
            if part:
                parsed = each(part) if each else part
                if parsed not in found:
                    found.append(parsed)
        if len(found) > max_items:
            raise CellError(_("Enter at most %(count)s entries.", count=max_items))
        return found
    return parse


def email() -> Parser:
    def parse(value: str) -> str:
        value = value.strip()
        if len(value) > 254 or not EMAIL.match(value):
            raise CellError(_("%(value)s is not an e-mail address.", value=value))
        return value
    return parse


def money(rows: list[Row], key: str, currency: str, *, allow_zero: bool = False) -> list[RowError]:
    """Each row's ``key`` cell as integer minor units of ``currency`` (``core.money``,
    never a float), stored back into ``row.values[key]``; a ``RowError`` with
    ``core.money``'s message for each cell that is no amount.

    Called from ``validate``, because the currency is the site's, which a column's
    ``parse`` does not know: declare the column ``parse=cells.text(40)``. Cells that did
    not parse (``row.failed``) and values already converted (``validate`` runs again on
    import) are left as they are."""
    errors = []
    for row in rows:
        if key in row.failed or isinstance(row.values[key], int):
            continue
        try:
            row.values[key] = parse_money(row.values[key], currency, key, allow_zero=allow_zero)
        except Problem as problem:
            errors.append(RowError(row.number, key, (problem.errors or [{}])[0].get("message", problem.detail)))
    return errors


def duplicates(rows: list[Row], key: str, taken: Iterable[Any], already: Callable[[Any], str],
               twice: Callable[[Any, int], str] | None = None) -> list[RowError]:
    """Rows whose ``key`` is in ``taken`` (read from the database in one query) get
    ``already(value)``; a value on an earlier row gets ``twice(value, first_row)`` (by default
    "%(value)s is also on row %(row)s."). A cell that did not parse is checked no further."""
    taken = set(taken)
    errors, seen = [], {}
    for row in rows:
        if key in row.failed:
            continue
        value = row.values[key]
        if value in taken:
            errors.append(RowError(row.number, key, already(value)))
        elif value in seen:
            errors.append(RowError(row.number, key, twice(value, seen[value]) if twice else
                                   _("%(value)s is also on row %(row)s.", value=value, row=seen[value])))
        seen.setdefault(value, row.number)
    return errors
