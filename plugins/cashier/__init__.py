"""Cashier: shifts, floats, append-only ledger, blind close, deposits."""

from core import PluginMeta, hookimpl
from core.i18n import lazy_gettext as _l

meta = PluginMeta(
    name="cashier",
    version="0.1.0",
    core_requires=">=0.1,<1",
    description="Cashier: shifts, floats, append-only ledger, blind close, deposits",
)


@hookimpl
def register_permissions():
    from core.permissions import Permission

    return [
        Permission("cashier.shift.read", _l("See cash registers and shifts"),
                   ("admin", "manager", "supervisor", "cashier")),
        Permission("cashier.shift.work", _l("Work a cash register: open a shift, post, close"),
                   ("admin", "supervisor", "cashier")),
        Permission("cashier.shift.review", _l("Review cash differences, approve refunds, receive shortages"),
                   ("admin", "manager", "supervisor")),
        Permission("cashier.revenue.read", _l("See revenue figures, cash reports and deposits"),
                   ("admin", "manager", "supervisor")),
        Permission("cashier.register.manage", _l("Add cash registers"), ("admin", "manager", "supervisor")),
        Permission("cashier.deposit.create", _l("Make deposits of shift takings"), ("admin", "supervisor", "cashier")),
        Permission("cashier.deposit.witness", _l("Witness deposits"), ("admin", "manager", "supervisor")),
    ]


@hookimpl
def register_menu_items():
    from core.menu import MenuItem

    return [
        MenuItem(label=_l("Cash register"), url="/sites/{site}/cashier/", permission="cashier.shift.work", order=60),
        MenuItem(label=_l("Cash review"), url="/sites/{site}/cashier/review", permission="cashier.shift.review",
                 order=61),
    ]


@hookimpl
def register_task_types():
    from plugins.cashier.review_tasks import TASK_TYPES

    return TASK_TYPES


@hookimpl
def register_demo_data():
    from plugins.cashier.demo import load

    return load


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
