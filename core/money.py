"""Money: the one parser and the one formatter every desk uses.

Amounts live as integers of the currency's minor units (cents, fen; yen have none) and
travel as strings with the currency's decimals, ``"1234.50"``; a float never enters.
``parse_money`` is strict on purpose, because a lenient parser turns typing mistakes into
bookings: only the ASCII digits 0-9 (``Decimal`` would take full-width ``１０``), at most
one ``.`` with at least one digit on each side (``"1."`` and ``".5"`` are refused as
half-typed), no more decimals than the currency has (``"1.500"`` in TWD is refused, not
rounded), no exponent (``"1e3"``), no thousands separators (``"1,000"`` may be a decimal
comma elsewhere), no NaN or Infinity. Zero and a sign pass only where the caller says so.
"""

from __future__ import annotations

import functools
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from babel.core import get_global
from babel.numbers import get_currency_precision
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from core.i18n import gettext as _
from core.problems import invalid

#: ``[0-9]``, not ``\d``: ``\d`` matches every Unicode digit.
AMOUNT = re.compile(r"(?P<sign>-?)(?P<whole>[0-9]+)(?:\.(?P<part>[0-9]+))?")
#: Amounts of at most 15 digits of minor units: far above any one booking, and sums of
#: thousands of them still fit a signed 64-bit column (about 9.2 * 10**18).
MAX_MINOR = 10**15 - 1
#: Longer text is refused before any digit is read (a 10 MB "amount" costs nothing).
MAX_LENGTH = 40


def currency_decimals(currency: str) -> int:
    """Minor-unit decimals per ISO 4217 (CLDR's data): TWD 2, JPY 0, KWD 3; an unknown or
    non-currency code such as XXX gets 2."""
    return get_currency_precision(currency)


@functools.cache
def site_currencies() -> frozenset[str]:
    """ISO 4217 codes a site may keep its money in: those legal tender somewhere today
    (CLDR's territory data, as ``currency_decimals`` reads its decimals from). Leaves out
    what is not money to count at a desk: XXX (no currency), XTS (testing), funds and
    units of account (CLF, XDR, BOV...), metals (XAU...) and withdrawn currencies."""
    current = set()
    for rows in get_global("territory_currencies").values():
        for code, _start, end, tender in rows:
            if end is None and tender:
                current.add(code)
    return frozenset(current)


def round_minor(value: Decimal) -> int:
    """A computed amount in minor units (an area times a rate) to whole minor units,
    halves away from zero as on a printed bill."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _type_error() -> str:
    return _('Send the amount as a string such as "1234.50".')


def money_text(value: Any) -> str:
    """The amount as text, or ValueError naming why: strings and JSON integers pass, a
    ``Decimal`` (a JSON number read exactly) becomes its plain digits, and a float or a
    boolean is refused, since a float may already have lost the cents."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError(_type_error())
    if isinstance(value, Decimal):
        # normalize() drops trailing zeros an exact number may carry ("1.500" is 1.5).
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    return str(value)


def parse_money(value: Any, currency: str, field: str, *, allow_zero: bool = False,
                allow_negative: bool = False) -> int:
    """``value`` in ``currency`` as integer minor units: ``"1234.50"`` TWD -> 123450.

    Refuses, with a 422 naming ``field``: floats and booleans, anything but ASCII digits
    and one inner ``.``, more decimals than the currency has, amounts above
    ``MAX_MINOR``, zero unless ``allow_zero``, a sign unless ``allow_negative``.
    """
    if value is None:  # a missing amount reads as an empty one
        value = ""
    try:
        text = money_text(value).strip()
    except ValueError as error:
        raise invalid(field, str(error)) from None
    if not text:
        raise invalid(field, _("Enter an amount such as 1234.50."))
    match = AMOUNT.fullmatch(text) if len(text) <= MAX_LENGTH else None
    if match is None:
        if len(text) > MAX_LENGTH and text.lstrip("-").isascii() and text.lstrip("-").isdigit():
            raise invalid(field, _("The amount is too large."))
        raise invalid(field, _("Enter an amount such as 1234.50, with the digits 0-9 and at most one decimal point."))
    places = currency_decimals(currency)
    part = match["part"] or ""
    if len(part) > places:
        if places == 0:
            raise invalid(field, _("%(currency)s has no decimals: enter a whole amount.", currency=currency))
        raise invalid(field, _("At most %(count)s decimals in %(currency)s.", count=places, currency=currency))
    minor = int(match["whole"]) * 10**places + int(part.ljust(places, "0") or 0)
    if minor > MAX_MINOR:
        raise invalid(field, _("The amount is too large."))
    if match["sign"] and not allow_negative:
        if allow_zero:
            raise invalid(field, _("The amount cannot be negative."))
        raise invalid(field, _("The amount must be greater than zero."))
    if minor == 0 and not allow_zero:
        raise invalid(field, _("The amount must be greater than zero."))
    return -minor if match["sign"] else minor


def format_money(minor: int | None, currency: str) -> str | None:
    """Minor units as the money string the API and pages show: 123450 TWD -> "1234.50",
    -10000 -> "-100.00", 1234 JPY -> "1234". No thousands separators: API clients parse
    it back. None (an amount not known yet) stays None."""
    if minor is None:
        return None
    places = currency_decimals(currency)
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(int(minor)), 10**places)
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"


def schema_money_text(value: Any) -> str:
    """``money_text`` for a pydantic ``BeforeValidator``: the refusal names the field."""
    try:
        return money_text(value)
    except ValueError as error:
        # A custom error keeps the message as written (no "Value error, " prefix).
        raise PydanticCustomError("money_type", str(error)) from None


#: A request-body field holding an amount: a string or JSON integer, never a float. The
#: schema checks only the type (a float is a 422 naming the field before any service
#: runs); the service, which knows the site's currency, calls ``parse_money``.
MoneyText = Annotated[str, BeforeValidator(schema_money_text)]
