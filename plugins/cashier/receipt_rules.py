"""The cashier's rules for its receipt series (``register:<id>``), declared to core through
``register_receipt_series``."""

from __future__ import annotations

from core.i18n import gettext as _
from core.problems import Problem
from core.receipts.models import Receipt
from plugins.cashier.models import Entry


async def sale_receipt_void_guard(receipt: Receipt) -> Problem | None:
    """A sale's receipt is voided by reversing the sale (the reversal voids it in the same
    transaction), so the receipt never says one thing and the ledger another; only a receipt
    whose sale was reversed already may be voided by hand."""
    if receipt.source_type != "cashier.entry" or receipt.source_id is None:
        return None
    if await Entry.filter(reverses_id=receipt.source_id).exists():
        return None
    return Problem(409, _("Receipt %(number)s records sale %(id)s: reverse the sale on its shift, which voids "
                          "the receipt with it.", number=f"{receipt.number:06d}", id=receipt.source_id))
