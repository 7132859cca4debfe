"""Float handover signed by both cashiers.

When a shift opens on a register whose previous shift left a float in the drawer, the next
cashier's opening count is the float received (``services.open_shift`` calls ``start`` in
its transaction). The handover then waits for the previous cashier, who confirms it with
their password through the sign-in throttle (the deposits' witness check: one message for
any failure). The confirmation books a difference between the float left and the float
received in the append-only ledger of the shift that left the float, as a float handover
difference entry (``float_gain`` or ``float_loss``), which the over/short summary counts.

Plain async functions, no HTTP: the page and the API call the same ones.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import rfc3339, utcnow
from core.entities.models import Site
from core.i18n import gettext as _
from core.identity import sessions
from core.identity.models import User
from core.money import format_money
from core.problems import Problem
from plugins.cashier import money
from plugins.cashier.models import Entry, FloatHandover, Register, Shift

HANDOVER_EVENT = "cashier.handover.changed"
STATUSES = ("pending", "confirmed")


async def start(site: Site, register: Register, previous: Shift | None, shift: Shift, received: int,
                received_count: dict[int, int] | None, now) -> FloatHandover | None:
    """The handover of ``previous``'s float to ``shift`` (inside open_shift's transaction):
    none for a register's first shift, or when nothing was left and nothing found."""
    if previous is None or not (previous.float_left or received):
        return None
    left = previous.float_left or 0
    return await FloatHandover.create(
        site_id=site.id, register_id=register.id, from_shift_id=previous.id, to_shift_id=shift.id,
        from_cashier_id=previous.cashier_id, to_cashier_id=shift.cashier_id, float_left=left,
        float_left_count=previous.float_left_count, received=received,
        received_count=money.stored_count(received_count or {}), difference=received - left, status="pending",
        created_at=now)


async def _signs(who: Actor, cashier: User, password: str, throttle: sessions.Limits) -> bool:
    """Whether ``password`` is ``cashier``'s, through the sign-in throttle (guessing here is
    guessing at a sign-in: the same counts). False for every failure alike: a wrong
    password, a disabled account, the throttle holding."""
    try:
        attempt = await sessions.attempt_password(throttle, cashier.username, password, who.client_address)
    except Problem:
        return False
    if not attempt.valid or attempt.user is None or attempt.user.id != cashier.id or not attempt.user.is_active:
        return False
    await attempt.release()
    return True


def _booked_kind(difference: int) -> str:
    return "float_gain" if difference > 0 else "float_loss"


async def confirm(kernel, site: Site, handover: FloatHandover, who: Actor, password: str, version: int,
                  throttle: sessions.Limits) -> FloatHandover:
    """The previous cashier signs the handover with their password (on their own screen or
    on the next cashier's); a difference is booked in the ledger of the shift that left the
    float, in the same transaction as the confirmation and its audit entry."""
    from plugins.cashier.services import publish, refuse, _audit_kwargs, ENTRY_EVENT

    if who.user.id not in (handover.from_cashier_id, handover.to_cashier_id):
        raise await refuse(site, who, "handover.confirm", Problem(
            403, _("This float handover is between other cashiers; only they confirm it.")),
            "cashier.handover", handover.id)
    if handover.status != "pending":
        raise await refuse(site, who, "handover.confirm", Problem(
            409, _("This float handover was confirmed already."), current=handover_out(handover, site)),
            "cashier.handover", handover.id)
    if version != handover.version:
        raise Problem(409, _("The float handover changed meanwhile; reload it."), current=handover_out(handover, site))
    previous = await User.get(id=handover.from_cashier_id)
    if not await _signs(who, previous, password, throttle):
        message = _("The previous cashier's password was not accepted. They type it again, or sign in and "
                    "confirm on their own screen.")
        raise await refuse(site, who, "handover.confirm", Problem(
            422, message, errors=[{"field": "password", "message": message}]), "cashier.handover", handover.id)
    now = utcnow()
    entry = None
    async with in_transaction():
        updated = await FloatHandover.filter(id=handover.id, status="pending", version=version).update(
            status="confirmed", confirmed_by_id=previous.id, confirmed_at=now, version=version + 1)
        if not updated:
            await handover.refresh_from_db()
            raise Problem(409, _("This float handover was confirmed already."), current=handover_out(handover, site))
        if handover.difference:
            # The shift that left the float is closed: no post reaches it, so the booking
            # bumps its entry count itself (the ledger's reconciliation counts entries).
            await Shift.filter(id=handover.from_shift_id).update(entry_count=F("entry_count") + 1)
            entry = await Entry.create(
                site_id=site.id, shift_id=handover.from_shift_id, kind=_booked_kind(handover.difference),
                method="cash", amount=abs(handover.difference), reference=f"FH-{handover.id}",
                created_by_id=previous.id, created_at=now)
            await FloatHandover.filter(id=handover.id).update(entry_id=entry.id)
        await audit.record("cashier.handover.confirm", **_audit_kwargs(site, who), object_type="cashier.handover",
                           object_id=handover.id, before={"status": "pending"}, after={
                               "status": "confirmed", "signed_by": previous.username,
                               "float_left": handover.float_left, "received": handover.received,
                               "difference": handover.difference, "entry_id": entry.id if entry else None})
    await handover.refresh_from_db()
    await publish(kernel, site.id, HANDOVER_EVENT, {"id": handover.id, "status": handover.status,
                                                    "to_shift_id": handover.to_shift_id})
    if entry is not None:
        await publish(kernel, site.id, ENTRY_EVENT, {"id": entry.id, "shift_id": entry.shift_id})
    return handover


def pending_for(site_id: int, user_id: int):
    """The handovers waiting that concern ``user_id``, as the one who left or took the float."""
    return FloatHandover.filter(Q(from_cashier_id=user_id) | Q(to_cashier_id=user_id), site_id=site_id,
                                status="pending")


def handover_out(handover: FloatHandover, site: Site) -> dict[str, Any]:
    fmt = lambda value: format_money(value, site.currency)  # noqa: E731
    return {
        "id": handover.id, "register_id": handover.register_id, "from_shift_id": handover.from_shift_id,
        "to_shift_id": handover.to_shift_id, "from_cashier_id": handover.from_cashier_id,
        "to_cashier_id": handover.to_cashier_id, "float_left": fmt(handover.float_left),
        "float_left_count": (money.count_out(handover.float_left_count, site.currency)
                             if handover.float_left_count is not None else None),
        "received": fmt(handover.received), "received_count": money.count_out(handover.received_count, site.currency),
        "difference": fmt(handover.difference), "status": handover.status,
        "booked_kind": _booked_kind(handover.difference) if handover.difference else None,
        "entry_id": handover.entry_id, "confirmed_by_id": handover.confirmed_by_id,
        "confirmed_at": rfc3339(handover.confirmed_at), "created_at": rfc3339(handover.created_at),
        "version": handover.version,
    }
