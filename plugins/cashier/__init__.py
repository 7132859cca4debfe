"""Cashier: shifts, floats, append-only ledger, blind close, deposits."""

from core import PluginMeta, hookimpl

meta = PluginMeta(name="cashier", version="0.1.0", core_requires=">=0.1,<1",
                  description=__doc__.strip().rstrip("."))


@hookimpl
def register_importers():
    from plugins.cashier.importers import IMPORTERS

    return IMPORTERS


@hookimpl
def register_site_settings():
    from plugins.cashier.site_settings import GROUP

    return [GROUP]


@hookimpl
def register_message_templates():
    from plugins.cashier.message_templates import templates

    return templates()


@hookimpl
def register_integrity_checks():
    async def ledger_reconciles() -> list[str]:
        """Every closed shift, recomputed from its ledger and counts, at every site."""
        from core.entities.models import Site
        from plugins.cashier.reports import reconcile

        problems = []
        for site in await Site.all():
            for mismatch in (await reconcile(site))["mismatches"]:
                problems.append(f"{site.code} shift {mismatch['shift_id']}: {'; '.join(map(str, mismatch['problems']))}")
        return problems

    return [ledger_reconciles]


@hookimpl
def register_money_checks():
    async def cashier_money(site) -> list[str]:
        """A shift holds its opening float even before its first entry."""
        from core.i18n import gettext as _
        from plugins.cashier.models import Deposit, Entry, Settlement, Shift

        for model in (Shift, Entry, Settlement, Deposit):
            if await model.filter(site=site).exists():
                return [_("cashier shifts and ledger entries")]
        return []

    return [cashier_money]


@hookimpl
def register_receipt_series():
    from core.receipts.services import ReceiptSeries
    from plugins.cashier.receipt_rules import sale_receipt_void_guard

    # A register's receipts: without the revenue permission a cashier reads only those they
    # issued, as the ledger of another shift is closed to them.
    return [ReceiptSeries("register:", private_without="cashier.revenue.read",
                          void_guard=sale_receipt_void_guard)]


@hookimpl
def register_personal_data():
    from plugins.cashier.personal_data import SOURCE

    return [SOURCE]
