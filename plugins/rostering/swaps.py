"""Shift swaps (調班): a staff member asks a colleague to take one of their published duties,
optionally taking one of the colleague's in exchange; the colleague accepts or declines; a
supervisor approves or rejects the accepted swap; the requester may cancel until it is decided.

Life of a swap: ``requested`` → ``accepted`` → ``approved`` | ``rejected``; ``requested`` →
``declined``; ``requested`` | ``accepted`` → ``cancelled``. Every move is a versioned update
(``filter(id, version, status).update(version + 1)``) taken first inside its transaction, so
of two racing decisions exactly one wins and the other is a 409 with the request as it is now.

Approval moves the duties (``duty.user_id`` changes, origin ``swap``) after re-checking each
person on the duty they take (``rules.duty_conflicts``, ignoring the two duties exchanged:
overlap, rest, leave, certificates) and the staffing minimums (``rules.staffing_shortfalls``);
any conflict refuses the approval (409, the reason under its field) and nothing is written.
The duties are snapshotted on the request when it is made, so the record stays readable
after a duty is changed or removed. No task is made: the colleague's ``/me`` page and the
supervisor's ``/requests`` queue are the inbox, and a live event tells both at once.
"""

from __future__ import annotations

import logging
from typing import Any

from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import rfc3339, utcnow
from core.entities.models import Site
from core.events import LiveEvent
from core.i18n import N_
from core.i18n import gettext as _
from core.problems import Problem, invalid
from plugins.rostering import decisions, rules
from plugins.rostering.models import Duty, SwapRequest

log = logging.getLogger("frontdesk.rostering")

DECIDE = "rostering.request.decide"
SWAP_EVENT = "rostering.swap.changed"
STATUS_LABELS = {"requested": N_("Waiting for the colleague"), "accepted": N_("Waiting for approval"),
                 "approved": N_("Approved"), "declined": N_("Declined"), "rejected": N_("Rejected"),
                 "cancelled": N_("Cancelled")}
OPEN = ("requested", "accepted")


# --- shapes ------------------------------------------------------------------------------------


def duty_snapshot(duty: Duty) -> dict[str, Any]:
    """A duty as it stood (``duty.shift`` loaded): kept on requests after the duty changes."""
    return {"id": duty.id, "user_id": duty.user_id, "day": duty.day.isoformat(), "shift_id": duty.shift_id,
            "shift_code": duty.shift.code, "shift_name": duty.shift.name, "department": duty.shift.department,
            "starts_at": rfc3339(duty.starts_at), "ends_at": rfc3339(duty.ends_at)}


def swap_out(swap: SwapRequest) -> dict[str, Any]:
    return {"id": swap.id, "requester_id": swap.requester_id, "colleague_id": swap.colleague_id,
            "duty_id": swap.duty_id, "colleague_duty_id": swap.colleague_duty_id,
            "snapshot": swap.snapshot or {}, "status": swap.status, "reason": swap.reason,
            "accepted_at": rfc3339(swap.accepted_at), "decided_by": swap.decided_by_id,
            "decided_at": rfc3339(swap.decided_at), "decision_note": swap.decision_note,
            "created_at": rfc3339(swap.created_at), "updated_at": rfc3339(swap.updated_at),
            "version": swap.version}


async def publish(bus: Any, site_id: int, name: str, data: dict[str, Any], users: tuple[int, ...]) -> None:
    """A live event to the deciders and to the people the request names, after the commit."""
    if bus is None:
        return
    try:
        await bus.publish(LiveEvent(site_id, name, data, permission=DECIDE, users=users))
    except Exception:  # a live refresh is a convenience, never a reason to fail the write
        log.exception("rostering: live event %s not published", name)


def _audit(site: Site, actor: Actor) -> dict[str, Any]:
    return {"actor": actor.user, "site_id": site.id, "client_address": actor.client_address}


# --- the rules ---------------------------------------------------------------------------------


async def _future_duty(site: Site, duty_id: int | None, owner_id: int, field: str, mine: bool) -> Duty:
    """Duty ``duty_id`` of ``owner_id`` at ``site``, on a published roster and still to
    come; else 422 naming ``field``."""
    duty = None
    if duty_id is not None and 0 < duty_id < 2**63:
        duty = await Duty.filter(id=duty_id, site_id=site.id).select_related("shift", "roster").first()
    if duty is None or duty.user_id != owner_id:
        raise invalid(field, _("This is not one of your duties.") if mine
                      else _("This is not one of the colleague's duties."))
    if duty.roster.status != "published":
        raise invalid(field, _("This duty's roster is not published yet."))
    if duty.starts_at <= utcnow():
        raise invalid(field, _("This duty has already started; only duties still to come are swapped."))
    return duty


async def request_swap(site: Site, actor: Actor, *, duty_id: int, colleague_id: int,
                       colleague_duty_id: int | None = None, reason: str = "", bus: Any = None) -> SwapRequest:
    """Ask ``colleague_id`` to take the actor's duty ``duty_id`` (and give theirs,
    ``colleague_duty_id``, in exchange)."""
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise invalid("reason", _("At most %(max)s characters.", max=500))
    if colleague_id == actor.user_id:
        raise invalid("colleague_id", _("A swap is asked of a colleague, not of yourself."))
    colleague = await rules.member_of(site, colleague_id, "colleague_id")
    duty = await _future_duty(site, duty_id, actor.user_id, "duty_id", mine=True)
    theirs = None
    if colleague_duty_id is not None:
        theirs = await _future_duty(site, colleague_duty_id, colleague.id, "colleague_duty_id", mine=False)
        if theirs.shift_id == duty.shift_id and theirs.day == duty.day:
            raise invalid("colleague_duty_id", _("This is the same shift on the same day as your duty; "
                                                 "exchanging them changes nothing."))
    taken = [duty.id] + ([theirs.id] if theirs else [])
    pending = await (SwapRequest.filter(site_id=site.id, status__in=list(OPEN))
                     .filter(duty_id__in=taken).first()) or await (
        SwapRequest.filter(site_id=site.id, status__in=list(OPEN), colleague_duty_id__in=taken).first())
    if pending is not None:
        raise Problem(409, _("Swap request %(id)s already asks about this duty; wait for it to be decided or "
                             "cancel it.", id=pending.id), current=swap_out(pending))
    snapshot = {"duty": duty_snapshot(duty), "colleague_duty": duty_snapshot(theirs) if theirs else None}
    async with in_transaction():
        swap = await SwapRequest.create(site_id=site.id, requester_id=actor.user_id, duty_id=duty.id,
                                        colleague_id=colleague.id, colleague_duty_id=theirs.id if theirs else None,
                                        snapshot=snapshot, status="requested", reason=reason)
        await audit.record("rostering.swap.request", **_audit(site, actor), object_type="rostering.swap",
                           object_id=swap.id, after=swap_out(swap))
    await publish(bus, site.id, SWAP_EVENT, {"id": swap.id, "status": swap.status},
                  (swap.requester_id, swap.colleague_id))
    return swap


def _stale(swap: SwapRequest) -> str:
    return _("Swap request %(id)s changed meanwhile; reload it and try again.", id=swap.id)


def _refusal(swap: SwapRequest, version: int, statuses: tuple[str, ...], message: str) -> None:
    decisions.refuse_unless(swap, version, statuses, message, swap_out, _stale(swap))


async def _claim(swap: SwapRequest, version: int, statuses: tuple[str, ...], **changes: Any) -> None:
    """The versioned change, first in the transaction (``decisions.claim``)."""
    await decisions.claim(swap, version, statuses, swap_out, _stale(swap), **changes)


async def _move(site: Site, actor: Actor, swap: SwapRequest, version: int, statuses: tuple[str, ...],
                action: str, bus: Any, **changes: Any) -> SwapRequest:
    before = {"status": swap.status}
    async with in_transaction():
        await _claim(swap, version, statuses, **changes)
        await audit.record(f"rostering.swap.{action}", **_audit(site, actor), object_type="rostering.swap",
                           object_id=swap.id, before=before, after={"status": changes["status"]},
                           note=changes.get("decision_note", ""))
    await swap.refresh_from_db()
    await publish(bus, site.id, SWAP_EVENT, {"id": swap.id, "status": swap.status},
                  (swap.requester_id, swap.colleague_id))
    return swap


async def answer(site: Site, actor: Actor, swap: SwapRequest, version: int, accept: bool,
                 bus: Any = None) -> SwapRequest:
    """The colleague accepts or declines (only the colleague: 403 for anyone else)."""
    if actor.user_id != swap.colleague_id:
        raise Problem(403, _("Only the colleague asked may accept or decline this swap."))
    _refusal(swap, version, ("requested",), _("Swap request %(id)s is no longer waiting for your answer.",
                                             id=swap.id))
    if accept:
        return await _move(site, actor, swap, version, ("requested",), "accept", bus, status="accepted",
                           accepted_at=utcnow())
    return await _move(site, actor, swap, version, ("requested",), "decline", bus, status="declined")


def _check_decider(actor: Actor) -> None:
    if not actor.can(DECIDE):
        raise Problem(403, _("You do not have the permission this needs (%(permission)s).", permission=DECIDE))


async def reject(site: Site, actor: Actor, swap: SwapRequest, version: int, note: str = "",
                 bus: Any = None) -> SwapRequest:
    """A supervisor refuses an open swap; the roster stays as it is."""
    _check_decider(actor)
    _refusal(swap, version, OPEN, _("Swap request %(id)s is decided already.", id=swap.id))
    return await _move(site, actor, swap, version, OPEN, "reject", bus, status="rejected",
                       decided_by_id=actor.user_id, decided_at=utcnow(), decision_note=(note or "").strip()[:500])


async def cancel(site: Site, actor: Actor, swap: SwapRequest, version: int, bus: Any = None) -> SwapRequest:
    """The requester withdraws the request until it is decided."""
    if actor.user_id != swap.requester_id:
        raise Problem(403, _("Only the person who asked for the swap may cancel it."))
    _refusal(swap, version, OPEN, _("Swap request %(id)s is decided already.", id=swap.id))
    return await _move(site, actor, swap, version, OPEN, "cancel", bus, status="cancelled")


async def _duty_now(site: Site, duty_id: int | None, owner_id: int) -> Duty:
    """The duty as it is at approval: still there, still the same person's, still to come."""
    duty = await Duty.filter(id=duty_id, site_id=site.id).select_related("shift").first() if duty_id else None
    if duty is None or duty.user_id != owner_id:
        raise Problem(409, _("A duty of this swap was changed or removed since it was asked for; the swap "
                             "cannot be approved."))
    if duty.starts_at <= utcnow():
        raise Problem(409, _("A duty of this swap has already started; the swap cannot be approved."))
    return duty


async def approve(site: Site, actor: Actor, swap: SwapRequest, version: int, note: str = "",
                  bus: Any = None) -> SwapRequest:
    """Approve an accepted swap: the colleague takes the duty (and the requester theirs), all
    or nothing, once the rules pass for each of them."""
    _check_decider(actor)
    if swap.status == "requested":
        raise Problem(409, _("The colleague has not accepted swap request %(id)s yet; it cannot be approved.",
                             id=swap.id), current=swap_out(swap))
    _refusal(swap, version, ("accepted",), _("Swap request %(id)s is decided already.", id=swap.id))
    now = utcnow()
    async with in_transaction():
        await _claim(swap, version, ("accepted",), status="approved", decided_by_id=actor.user_id,
                     decided_at=now, decision_note=(note or "").strip()[:500])
        await swap.fetch_related("requester", "colleague")
        duty = await _duty_now(site, swap.duty_id, swap.requester_id)
        theirs = await _duty_now(site, swap.colleague_duty_id, swap.colleague_id) if swap.colleague_duty_id else None
        exchanged = [duty.id] + ([theirs.id] if theirs else [])
        conflicts = await rules.duty_conflicts(site, swap.colleague, duty.shift, duty.day, ignore=exchanged,
                                               field="colleague_id")
        if theirs is not None:
            conflicts += await rules.duty_conflicts(site, swap.requester, theirs.shift, theirs.day,
                                                    ignore=exchanged, field="requester_id")
        moved = [duty] + ([theirs] if theirs else [])
        conflicts += await rules.staffing_shortfalls(site, moved, [(d.shift_id, d.day) for d in moved],
                                                     field="duty_id")
        if conflicts:
            raise rules.refuse(409, conflicts)
        before = [duty_snapshot(d) for d in moved]
        for moving, to in ((duty, swap.colleague_id), (theirs, swap.requester_id)):
            if moving is None:
                continue
            # Versioned too: a roster edit racing the approval makes it a 409, not a lost edit.
            if not await Duty.filter(id=moving.id, version=moving.version).update(
                    user_id=to, origin="swap", version=moving.version + 1):
                raise Problem(409, _("A duty of this swap was changed meanwhile; reload and try again."))
        await audit.record("rostering.swap.approve", **_audit(site, actor), object_type="rostering.swap",
                           object_id=swap.id, before={"status": "accepted", "duties": before},
                           after={"status": "approved",
                                  "duties": [{"id": duty.id, "user_id": swap.colleague_id}]
                                  + ([{"id": theirs.id, "user_id": swap.requester_id}] if theirs else [])},
                           note=(note or "").strip()[:500])
    await swap.refresh_from_db()
    await publish(bus, site.id, SWAP_EVENT, {"id": swap.id, "status": swap.status},
                  (swap.requester_id, swap.colleague_id))
    return swap
