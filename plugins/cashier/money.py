"""Money as integer minor units: parsing, formatting, denominations and counts.

Nothing here touches floats: amounts arrive as strings (or JSON integers), are checked
against the currency's decimals, and become integers of minor units.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from core.entities.services import currency_decimals
from core.i18n import gettext as _
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

AMOUNT_PATTERN = re.compile(r"^\d{1,15}(\.\d+)?$")
#: More than this many of one note or coin in a drawer is a typing mistake.
MAX_PIECES = 1_000_000
#: The largest amount of one entry, in major units (a guard against typing mistakes).
MAX_AMOUNT_MAJOR = 10**12


def decimals(currency: str) -> int:
    return currency_decimals(currency)


def format_money(minor: int | None, currency: str) -> str | None:
    """Minor units as the API's money string: 123450 TWD -> "1234.50"."""
    if minor is None:
        return None
    places = decimals(currency)
    sign = "-" if minor < 0 else ""
    minor = abs(int(minor))
    if places == 0:
        return f"{sign}{minor}"
    whole, part = divmod(minor, 10**places)
    return f"{sign}{whole}.{part:0{places}d}"


def parse_money(value: Any, currency: str, field: str, *, allow_zero: bool = False) -> int:
    """A positive amount (string or JSON integer) as minor units; 422 naming ``field``."""
    if isinstance(value, bool) or isinstance(value, float) or value is None:
        raise invalid(field, _("Send the amount as a string such as \"1234.50\"."))
    text = str(value).strip()
    if not AMOUNT_PATTERN.match(text):
        if text.startswith("-"):
            raise invalid(field, _("The amount must be greater than zero."))
        raise invalid(field, _("Not an amount: use digits and at most one decimal point."))
    places = decimals(currency)
    whole, _dot, part = text.partition(".")
    if len(part) > places:
        raise invalid(field, _("At most %(count)s decimals in %(currency)s.", count=places, currency=currency))
    minor = int(whole) * 10**places + (int(part.ljust(places, "0")) if places else 0)
    if minor == 0 and not allow_zero:
        raise invalid(field, _("The amount must be greater than zero."))
    if int(whole) >= MAX_AMOUNT_MAJOR:
        raise invalid(field, _("The amount is too large."))
    return minor


def _denomination_minor(text: str, currency: str) -> int | None:
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value <= 0:
        return None
    minor = value * (10 ** decimals(currency))
    if minor != minor.to_integral_value():
        return None
    return int(minor)


def denomination_label(minor: int, currency: str) -> str:
    """A denomination as counts name it: "1000", "0.5"."""
    places = decimals(currency)
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
    configured = ((site.settings or {}).get("cashier") or {}).get("denominations") or {}
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
            if isinstance(pieces, str) and pieces.strip().isdigit():
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
