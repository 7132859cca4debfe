"""Leave (請假): a staff member asks for leave of a type, from one day to another, in half days;
a supervisor approves or rejects it; the person who asked may cancel it while it waits.

- The type is a code of the site's ``rostering.leave_type`` list (422 naming ``leave_type``).
- ``ends_on`` before ``starts_on`` is a 422 naming ``ends_on``; ``start_half = "pm"`` makes the
  first day an afternoon only, ``end_half = "am"`` the last day a morning only; both on one
  single day would be no time at all (422 naming ``end_half``). ``half_days`` is the length
  in half days (a whole day is 2).
- Leave overlapping another requested or approved leave of the same person is a 409 (halves
  count: a leave ending at noon and one starting in the afternoon of that day do not overlap).
- Those who decide requests may file leave for a member of the site (``user_id``).
- Approval (versioned: of two racing approvals one wins, the other is a 409) takes the
  person's duties off the roster whose local start falls inside the leave's window (from the
  start of ``starts_on``, or its noon for a ``pm`` start, to the end of ``ends_on``, or its
  noon for an ``am`` end), unless that leaves a shift under its minimum staffing
  (``rules.staffing_shortfalls``: 409 naming the shift and the day). The removed duties are
  kept on the request (``removed_duties``) and in the audit.
- Cancelling an approved leave (a supervisor) does not put its duties back: the roster is
  redrawn by hand, which the page says.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import rfc3339, utcnow
from core.entities import code_lists
from core.entities.models import Site
from core.i18n import N_
from core.i18n import gettext as _
from core.problems import Problem, invalid
from plugins.rostering import decisions, rules
from plugins.rostering.code_lists import LEAVE_TYPES
from plugins.rostering.models import Duty, LeaveRequest
from plugins.rostering.swaps import DECIDE, duty_snapshot, publish

LEAVE_EVENT = "rostering.leave.changed"
STATUS_LABELS = {"requested": N_("Waiting for approval"), "approved": N_("Approved"), "rejected": N_("Rejected"),
                 "cancelled": N_("Cancelled")}
ACTIVE = ("requested", "approved")
#: The longest leave one request covers (a year): a typo in a year is caught, not approved.
MAX_DAYS = 366


def leave_out(leave: LeaveRequest) -> dict[str, Any]:
    return {"id": leave.id, "user_id": leave.user_id, "leave_type": leave.leave_type,
            "starts_on": leave.starts_on.isoformat(), "ends_on": leave.ends_on.isoformat(),
            "start_half": leave.start_half, "end_half": leave.end_half, "half_days": leave.half_days,
            "status": leave.status, "reason": leave.reason, "removed_duties": leave.removed_duties or [],
            "decided_by": leave.decided_by_id, "decided_at": rfc3339(leave.decided_at),
            "decision_note": leave.decision_note, "created_at": rfc3339(leave.created_at),
            "updated_at": rfc3339(leave.updated_at), "version": leave.version}


def half_days(starts_on: dt.date, ends_on: dt.date, start_half: str, end_half: str) -> int:
    return ((ends_on - starts_on).days + 1) * 2 - (start_half == "pm") - (end_half == "am")


def _halves(starts_on: dt.date, ends_on: dt.date, start_half: str, end_half: str) -> tuple[int, int]:
    """The leave as a range of half days (inclusive), to compare two leaves."""
    return starts_on.toordinal() * 2 + (start_half == "pm"), ends_on.toordinal() * 2 + (end_half != "am")


def window(site: Site, leave: LeaveRequest) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants between which a duty's start puts it inside the leave."""
    zone = ZoneInfo(site.timezone)
    start = dt.datetime.combine(leave.starts_on, dt.time(12 if leave.start_half == "pm" else 0), tzinfo=zone)
    if leave.end_half == "am":
        end = dt.datetime.combine(leave.ends_on, dt.time(12), tzinfo=zone)
    else:
        end = dt.datetime.combine(leave.ends_on + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def _audit(site: Site, actor: Actor) -> dict[str, Any]:
    return {"actor": actor.user, "site_id": site.id, "client_address": actor.client_address}


async def request_leave(site: Site, actor: Actor, *, leave_type: str, starts_on: dt.date, ends_on: dt.date,
                        start_half: str = "", end_half: str = "", reason: str = "", user_id: int | None = None,
                        bus: Any = None) -> LeaveRequest:
    """Ask for leave for oneself, or (a decider) for a member of the site."""
    reason = (reason or "").strip()
    if user_id is None or user_id == actor.user_id:
        user_id = actor.user_id
    elif not actor.can(DECIDE):
        raise Problem(403, _("Only those who decide requests may ask for leave for someone else."),
                      errors=[{"field": "user_id", "message": _("Only those who decide requests may ask for leave "
                                                                 "for someone else.")}])
    else:
        await rules.member_of(site, user_id, "user_id")
    await code_lists.check(site, LEAVE_TYPES, leave_type, "leave_type")
    if start_half not in ("", "pm"):
        raise invalid("start_half", _("A leave starts in the morning (whole day) or in the afternoon (pm)."))
    if end_half not in ("", "am"):
        raise invalid("end_half", _("A leave ends in the evening (whole day) or at noon (am)."))
    if ends_on < starts_on:
        raise invalid("ends_on", _("The leave cannot end before it starts."))
    if (ends_on - starts_on).days >= MAX_DAYS:
        raise invalid("ends_on", _("One request covers at most %(days)s days.", days=MAX_DAYS))
    if ends_on == starts_on and start_half == "pm" and end_half == "am":
        raise invalid("end_half", _("A single day cannot start in the afternoon and end at noon."))
    if len(reason) > 500:
        raise invalid("reason", _("At most %(max)s characters.", max=500))
    first, last = _halves(starts_on, ends_on, start_half, end_half)
    for other in await LeaveRequest.filter(site_id=site.id, user_id=user_id, status__in=list(ACTIVE),
                                           starts_on__lte=ends_on, ends_on__gte=starts_on):
        other_first, other_last = _halves(other.starts_on, other.ends_on, other.start_half, other.end_half)
        if first <= other_last and other_first <= last:
            raise Problem(409, _("This leave overlaps leave request %(id)s (%(start)s to %(end)s).", id=other.id,
                                 start=other.starts_on.isoformat(), end=other.ends_on.isoformat()),
                          errors=[{"field": "starts_on", "message": _("Overlaps another leave.")}],
                          current=leave_out(other))
    async with in_transaction():
        leave = await LeaveRequest.create(site_id=site.id, user_id=user_id, leave_type=leave_type,
                                          starts_on=starts_on, ends_on=ends_on, start_half=start_half,
                                          end_half=end_half, half_days=half_days(starts_on, ends_on, start_half,
                                                                                 end_half),
                                          status="requested", reason=reason)
        await audit.record("rostering.leave.request", **_audit(site, actor), object_type="rostering.leave",
                           object_id=leave.id, after=leave_out(leave))
    await publish(bus, site.id, LEAVE_EVENT, {"id": leave.id, "status": leave.status}, (leave.user_id,))
    return leave


def _stale(leave: LeaveRequest) -> str:
    return _("Leave request %(id)s changed meanwhile; reload it and try again.", id=leave.id)


def _refusal(leave: LeaveRequest, version: int, statuses: tuple[str, ...], message: str) -> None:
    decisions.refuse_unless(leave, version, statuses, message, leave_out, _stale(leave))


async def _claim(leave: LeaveRequest, version: int, statuses: tuple[str, ...], **changes: Any) -> None:
    """The versioned change, first in the transaction (``decisions.claim``)."""
    await decisions.claim(leave, version, statuses, leave_out, _stale(leave), **changes)


def _check_decider(actor: Actor) -> None:
    if not actor.can(DECIDE):
        raise Problem(403, _("You do not have the permission this needs (%(permission)s).", permission=DECIDE))


async def _move(site: Site, actor: Actor, leave: LeaveRequest, version: int, statuses: tuple[str, ...],
                action: str, bus: Any, **changes: Any) -> LeaveRequest:
    before = {"status": leave.status}
    async with in_transaction():
        await _claim(leave, version, statuses, **changes)
        await audit.record(f"rostering.leave.{action}", **_audit(site, actor), object_type="rostering.leave",
                           object_id=leave.id, before=before, after={"status": changes["status"]},
                           note=changes.get("decision_note", ""))
    await leave.refresh_from_db()
    await publish(bus, site.id, LEAVE_EVENT, {"id": leave.id, "status": leave.status}, (leave.user_id,))
    return leave


async def approve(site: Site, actor: Actor, leave: LeaveRequest, version: int, note: str = "",
                  bus: Any = None) -> LeaveRequest:
    """Approve: the person's duties inside the leave come off the roster, all or none."""
    _check_decider(actor)
    _refusal(leave, version, ("requested",), _("Leave request %(id)s is decided already.", id=leave.id))
    starts, ends = window(site, leave)
    note = (note or "").strip()[:500]
    async with in_transaction():
        await _claim(leave, version, ("requested",), status="approved", decided_by_id=actor.user_id,
                     decided_at=utcnow(), decision_note=note)
        duties = await (Duty.filter(site_id=site.id, user_id=leave.user_id, starts_at__gte=starts,
                                    starts_at__lt=ends).select_related("shift").order_by("starts_at"))
        shortfalls = await rules.staffing_shortfalls(site, duties, (), field="starts_on")
        if shortfalls:
            raise rules.refuse(409, shortfalls)
        removed = [duty_snapshot(duty) for duty in duties]
        if duties:
            await Duty.filter(id__in=[duty.id for duty in duties]).delete()
        await LeaveRequest.filter(id=leave.id).update(removed_duties=removed)
        await audit.record("rostering.leave.approve", **_audit(site, actor), object_type="rostering.leave",
                           object_id=leave.id, before={"status": "requested"},
                           after={"status": "approved", "removed_duties": removed}, note=note)
    await leave.refresh_from_db()
    await publish(bus, site.id, LEAVE_EVENT, {"id": leave.id, "status": leave.status}, (leave.user_id,))
    return leave


async def reject(site: Site, actor: Actor, leave: LeaveRequest, version: int, note: str = "",
                 bus: Any = None) -> LeaveRequest:
    """Refuse a waiting leave, with the reason in ``note``."""
    _check_decider(actor)
    _refusal(leave, version, ("requested",), _("Leave request %(id)s is decided already.", id=leave.id))
    return await _move(site, actor, leave, version, ("requested",), "reject", bus, status="rejected",
                       decided_by_id=actor.user_id, decided_at=utcnow(), decision_note=(note or "").strip()[:500])


async def cancel(site: Site, actor: Actor, leave: LeaveRequest, version: int, note: str = "",
                 bus: Any = None) -> LeaveRequest:
    """The person withdraws a waiting leave; a decider may also cancel an approved one (its
    removed duties are not put back: the roster is redrawn by hand)."""
    decider = actor.can(DECIDE)
    if actor.user_id != leave.user_id and not decider:
        raise Problem(403, _("Only the person on leave or a supervisor may cancel this leave."))
    statuses = ACTIVE if decider else ("requested",)
    message = (_("Leave request %(id)s is decided already; ask a supervisor to cancel it.", id=leave.id)
               if leave.status == "approved" else _("Leave request %(id)s is closed already.", id=leave.id))
    _refusal(leave, version, statuses, message)
    return await _move(site, actor, leave, version, statuses, "cancel", bus, status="cancelled",
                       decision_note=(note or "").strip()[:500] or leave.decision_note)
