"""The cashier's notes and coins: denominations per currency and counts of a drawer.

Amounts themselves are parsed and shown by ``core.money`` (one rule for every desk);
what is left here is the cashier's own: which pieces a till holds and how counts of them
are read, stored and shown. Nothing here touches floats.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.i18n import gettext as _
from core.money import currency_decimals, parse_money
from core.problems import Problem, invalid

#: Notes and coins per currency, largest first, in the currency's major unit.
DEFAULT_DENOMINATIONS: dict[str, tuple[str, ...]] = {
    "TWD": ("1000", "500", "200", "100", "50", "10", "5", "1"),
    "CNY": ("100", "50", "20", "10", "5", "1", "0.5", "0.1"),
    "HKD": ("1000", "500", "100", "50", "20", "10", "5", "2", "1", "0.5", "0.2", "0.1"),
    "JPY": ("10000", "5000", "2000", "1000", "500", "100", "50", "10", "5", "1"),
    "USD": ("100", "50", "20", "10", "5", "2", "1", "0.25", "0.1", "0.05", "0.01"),
    "EUR": ("500", "200", "100", "50", "20", "10", "5", "2", "1", "0.5", "0.2", "0.1", "0.05", "0.02", "0.01"),
}
FALLBACK_DENOMINATIONS = ("100", "50", "20", "10", "5", "1")

#: More than this many of one note or coin in a drawer is a typing mistake.
MAX_PIECES = 1_000_000


def _denomination_minor(text: Any, currency: str) -> int | None:
    """A note or coin ("1000", "0.5") in minor units, by core's money rule (so "１０００"
    or "1e3" name no piece), or None."""
    try:
        return parse_money(text, currency, "denomination")
    except Problem:
        return None


def denomination_label(minor: int, currency: str) -> str:
    """A denomination as counts name it: "1000", "0.5"."""
    places = currency_decimals(currency)
    value = Decimal(minor) / (Decimal(10) ** places)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def site_denominations(site) -> list[int]:
    """The site's notes and coins in minor units, largest first.

    ``site.settings["cashier"]["denominations"]`` may list them (strings, major units)
    per currency: ``{"TWD": ["2000", "1000", ...]}``.
    """
    currency = site.currency
    from core.site_settings import value
    from plugins.cashier.site_settings import GROUP

    configured = value(site, GROUP, "denominations")
    labels = configured.get(currency) or DEFAULT_DENOMINATIONS.get(currency) or FALLBACK_DENOMINATIONS
    values = {_denomination_minor(label, currency) for label in labels}
    return sorted((value for value in values if value), reverse=True)


def parse_count(raw: Any, site, field: str) -> dict[int, int]:
    """A count ``{"1000": 3, "1": 7}`` as {minor units: pieces}; 422 naming the field."""
    if not isinstance(raw, dict):
        raise invalid(field, _("Send the count as an object of denomination to number of pieces."))
    allowed = set(site_denominations(site))
    count: dict[int, int] = {}
    errors = []
    for key, pieces in raw.items():
        minor = _denomination_minor(key, site.currency)
        where = f"{field}.{key}"
        if minor is None or minor not in allowed:
            errors.append({"field": where, "message": _("%(value)s is not a note or coin of %(currency)s here.",
                                                        value=key, currency=site.currency)})
            continue
        if isinstance(pieces, bool) or not isinstance(pieces, int):
            if isinstance(pieces, str) and pieces.strip().isascii() and pieces.strip().isdigit():
                pieces = int(pieces.strip())
            else:
                errors.append({"field": where, "message": _("Enter a whole number of pieces.")})
                continue
        if pieces < 0 or pieces > MAX_PIECES:
            errors.append({"field": where, "message": _("Enter a number of pieces from 0 to %(max)s.",
                                                        max=MAX_PIECES)})
            continue
        count[minor] = count.get(minor, 0) + pieces
    if errors:
        raise Problem(422, _("The count has invalid lines: %(fields)s",
                             fields=", ".join(error["field"] for error in errors)), errors=errors)
    return {minor: pieces for minor, pieces in count.items() if pieces}


def count_total(count: dict[int, int]) -> int:
    return sum(minor * pieces for minor, pieces in count.items())


def stored_count(count: dict[int, int]) -> dict[str, int]:
    """For the JSON column: keys as minor units in strings."""
    return {str(minor): pieces for minor, pieces in sorted(count.items(), reverse=True)}


def loaded_count(stored: dict | None) -> dict[int, int]:
    return {int(minor): int(pieces) for minor, pieces in (stored or {}).items()}


def count_out(stored: dict | None, currency: str) -> dict[str, int]:
    """A stored count as the API shows it: {"1000": 3}."""
    return {denomination_label(minor, currency): pieces
            for minor, pieces in sorted(loaded_count(stored).items(), reverse=True)}
