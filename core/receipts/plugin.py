"""Numbered receipts: one of core's default plugins (``core.plugins``).

Found by convention: ``core.receipts.models``, ``core.receipts.api.routes()`` and
``core.receipts.pages.routes()``. Plugins issue receipts through ``core.receipts.services``
(the cashier's itemised sales, resident property-fee payments).
"""

from core import hookimpl
from core.i18n import lazy_gettext as _l
from core.menu import MenuItem
from core.permissions import Permission

READERS = ("admin", "manager", "supervisor", "back_office", "cashier")


@hookimpl
def register_menu_items():
    return [MenuItem(label=_l("Receipts"), url="/sites/{site}/receipts", permission="core.receipt.read", order=62)]


@hookimpl
def register_permissions():
    return [
        Permission("core.receipt.read", _l("See receipts"), READERS),
        Permission("core.receipt.print", _l("Reprint receipts (marked COPY)"), READERS),
        Permission("core.receipt.void", _l("Void receipts (the number stays used)"), ("admin", "manager", "supervisor")),
    ]


@hookimpl
def register_integrity_checks():
    async def receipt_numbers_gapless() -> list[str]:
        """Every series numbered 1..its counter, no gap, no duplicate."""
        from core.receipts.services import numbering_problems

        return await numbering_problems()

    return [receipt_numbers_gapless]
