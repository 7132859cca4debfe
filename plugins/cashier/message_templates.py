"""What the cashier sends (``register_message_templates``): the notice to supervisors that
a refund waits for their approval."""

from __future__ import annotations

from core.entities.models import Site
from core.i18n import N_
from core.i18n import lazy_gettext as _l
from core.messages import services as messages
from core.messages.templates import MessageTemplate
from core.money import format_money

REFUND_WAITING = "cashier.refund_waiting"


def templates() -> list[MessageTemplate]:
    return [MessageTemplate(
        REFUND_WAITING, _l("Refund waiting for approval (to supervisors)"), ("amount", "entry_id", "cashier", "url"),
        subject=N_("Refund of {amount} waits for your approval"),
        body=N_("{cashier} posted a refund of {amount} (entry {entry_id}); it is above the limit and waits for a "
                "supervisor's approval."),
        channels=("in_app",), optional=("url",),
        description=_l("An in-app notice to whoever may approve refunds, when a refund above the limit is posted."))]


async def refund_waiting(site: Site, entry, who, permission: str) -> None:
    """Ring the bell of everyone at ``site`` who may approve ``entry`` (``permission``),
    but the cashier who posted it; in the posting's transaction."""
    name = (getattr(who.user, "display_name", "") or who.user.username) if who.user is not None else ""
    await messages.notify_holders(
        site, permission, REFUND_WAITING,
        {"amount": format_money(entry.amount, site.currency), "entry_id": entry.id, "cashier": name,
         "url": f"/sites/{site.code}/cashier/review"},
        about=("cashier", "entry", entry.id), dedupe_key=f"{REFUND_WAITING}:{entry.id}",
        exclude=(who.user.id,) if who.user is not None else ())
