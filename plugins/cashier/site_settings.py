"""The cashier's site settings (``Site.settings["cashier"]``), declared to core.

Read through ``core.site_settings``; changed through the settings API, page and CLI.
"""

from __future__ import annotations

from pydantic import Field

from core.i18n import N_
from core.i18n import gettext as _
from core.site_settings import Money, SettingGroup, SettingsModel

#: A refund above this needs a supervisor's approval, unless the site says otherwise.
DEFAULT_REFUND_LIMIT = "3000"
#: At most this many notes and coins per currency.
MAX_DENOMINATIONS = 30


class CashierSettings(SettingsModel):
    refund_approval_limit: Money = Field(
        DEFAULT_REFUND_LIMIT, title=N_("Refund approval limit"),
        description=N_("A refund above this amount waits for a supervisor's approval (0: every refund does)."))
    denominations: dict[str, list[str]] = Field(
        default_factory=dict, max_length=10, title=N_("Notes and coins"),
        description=N_("Per currency, the notes and coins a drawer holds, largest first, e.g. "
                       "{\"TWD\": [\"2000\", \"1000\", \"500\"]}; a currency not named uses the usual ones."))


def _check(site, model: CashierSettings, keys: set[str]) -> list[tuple[str, str]]:
    """Each denomination a piece of its currency (by ``core.money``'s rule)."""
    from core.money import parse_money, site_currencies
    from core.problems import Problem

    errors = []
    if "denominations" not in keys:
        return errors
    for currency, pieces in model.denominations.items():
        path = f"cashier.denominations.{currency}"
        if currency not in site_currencies():
            errors.append((path, _("Unknown ISO 4217 currency %(code)s.", code=currency)))
            continue
        if not pieces or len(pieces) > MAX_DENOMINATIONS:
            errors.append((path, _("Name from 1 to %(count)s notes and coins.", count=MAX_DENOMINATIONS)))
            continue
        for piece in pieces:
            try:
                parse_money(piece, currency, path)
            except Problem as problem:
                errors.append((path, f"{piece}: {problem.errors[0]['message']}"))
                break
    return errors


GROUP = SettingGroup("cashier", N_("Cashier"), CashierSettings, check=_check)
