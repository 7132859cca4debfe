"""Attendance (考勤): clocking in and out against the published roster, and a supervisor's
correction. The API, the pages and the sign-in hook all call these services.

The rules:

- One open attendance (no clock-out) per person per site. The person's row in
  ``core_user`` is locked before the open one is looked for (PostgreSQL: SELECT ... FOR
  UPDATE; SQLite runs one transaction at a time), so two clock-ins at once make one
  record and the other gets 409.
- A clock-in is linked to the person's published duty at the site that starts within
  ``early_clock_in_minutes`` from now or is under way (the earliest such). Late minutes
  count from the duty's start, once they pass ``late_grace_minutes`` (a grace of 5 and a
  clock-in 12 minutes after the start is 12 minutes late; 4 minutes after is on time).
  Only the first clock-in for a duty can be late: coming back from a break is not.
  Without a duty the clock-in is still recorded, linked to nothing and never late.
- A clock-out closes the open one (none open: 409 "clock in first"); early minutes are
  the whole minutes before the duty's end.
- A supervisor corrects the times of a record with a reason (versioned, audited); a
  clock-out at or before the clock-in is 422 naming ``clock_out_at``. Late and early are
  worked out again from the corrected times.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import local_time, rfc3339, utcnow
from core.entities.models import Site
from core.events import LiveEvent
from core.i18n import gettext as _
from core.identity.models import Membership, User
from core.problems import Problem, invalid
from plugins.rostering.models import Attendance, Duty
from plugins.rostering.site_settings import setting

log = logging.getLogger("frontdesk.rostering")

EVENT = "rostering.attendance.changed"
READ = "rostering.attendance.read"


def attendance_out(record: Attendance) -> dict[str, Any]:
    return {"id": record.id, "user_id": record.user_id, "duty_id": record.duty_id,
            "clock_in_at": rfc3339(record.clock_in_at), "clock_out_at": rfc3339(record.clock_out_at),
            "clock_in_source": record.clock_in_source, "clock_out_source": record.clock_out_source,
            "late_minutes": record.late_minutes, "early_minutes": record.early_minutes,
            "note": record.note, "version": record.version}


def _minutes(delta: dt.timedelta) -> int:
    """Whole minutes of ``delta`` (a part-minute does not count), never below 0."""
    return max(0, int(delta.total_seconds() // 60))


def late_minutes(site: Site, duty: Duty | None, clock_in_at: dt.datetime) -> int:
    """Minutes after the duty's start, when they pass the site's grace; else 0."""
    if duty is None:
        return 0
    late = _minutes(clock_in_at - duty.starts_at)
    return late if late > setting(site, "late_grace_minutes") else 0


def early_minutes(duty: Duty | None, clock_out_at: dt.datetime | None) -> int:
    if duty is None or clock_out_at is None:
        return 0
    return _minutes(duty.ends_at - clock_out_at)


async def duty_for(site: Site, user_id: int, at: dt.datetime) -> Duty | None:
    """The person's published duty at ``site`` that starts within the clock-in window from
    ``at`` or is under way then; the earliest when two qualify."""
    window = dt.timedelta(minutes=setting(site, "early_clock_in_minutes"))
    return await (Duty.filter(site_id=site.id, user_id=user_id, roster__status="published",
                              starts_at__lte=at + window, ends_at__gt=at)
                  .order_by("starts_at").first())


async def _first_for_duty(duty: Duty | None, other_than: int | None = None) -> bool:
    """Whether no other attendance is already linked to ``duty`` (only the first can be late)."""
    if duty is None:
        return True
    others = Attendance.filter(duty_id=duty.id)
    if other_than is not None:
        others = others.exclude(id=other_than)
    return not await others.exists()


async def publish(bus: Any, record: Attendance) -> None:
    """A live event to those who follow attendance (and to the person), after the commit."""
    if bus is None:
        return
    try:
        await bus.publish(LiveEvent(record.site_id, EVENT, {"id": record.id, "user_id": record.user_id},
                                    permission=READ, users=(record.user_id,)))
    except Exception:  # a live refresh is a convenience, never a reason to fail the write
        log.exception("rostering: live event %s not published", EVENT)


def _open_problem(site: Site, record: Attendance) -> Problem:
    return Problem(409, _("You are clocked in already (since %(time)s); clock out first.",
                          time=local_time(site, record.clock_in_at)), current=attendance_out(record))


async def clock_in(site: Site, user: User, actor: Actor, *, source: str = "button", note: str = "",
                   bus: Any = None, now: dt.datetime | None = None) -> Attendance:
    """Clock ``user`` in at ``site`` now (see the module's rules)."""
    now = now or utcnow()
    async with in_transaction():
        # The person's row is the lock: a second clock-in waits here and then finds the first.
        await User.filter(id=user.id).select_for_update().get()
        current = await Attendance.filter(site_id=site.id, user_id=user.id, clock_out_at=None).first()
        if current is not None:
            raise _open_problem(site, current)
        duty = await duty_for(site, user.id, now)
        late = late_minutes(site, duty, now) if await _first_for_duty(duty) else 0
        record = await Attendance.create(site_id=site.id, user_id=user.id, duty=duty, clock_in_at=now,
                                         clock_in_source=source, late_minutes=late, note=note[:200])
        await audit.record("rostering.attendance.clock_in", actor=actor.user, site_id=site.id,
                           object_type="rostering.attendance", object_id=record.id,
                           after={"user_id": user.id, "duty_id": duty.id if duty else None, "source": source,
                                  "late_minutes": late}, client_address=actor.client_address)
    await publish(bus, record)
    return record


async def clock_out(site: Site, user: User, actor: Actor, *, source: str = "button", note: str = "",
                    bus: Any = None, now: dt.datetime | None = None) -> Attendance:
    """Close ``user``'s open attendance at ``site`` now; none open is 409."""
    now = now or utcnow()
    record = await Attendance.filter(site_id=site.id, user_id=user.id, clock_out_at=None).first()
    if record is None:
        raise Problem(409, _("You are not clocked in here; clock in first."))
    if now <= record.clock_in_at:
        raise invalid("clock_out_at", _("The clock-out must come after the clock-in (%(time)s).",
                                        time=local_time(site, record.clock_in_at)))
    duty = await Duty.get_or_none(id=record.duty_id) if record.duty_id else None
    early = early_minutes(duty, now)
    changes = {"clock_out_at": now, "clock_out_source": source, "early_minutes": early}
    if note:
        changes["note"] = (f"{record.note} · {note}" if record.note else note)[:200]
    async with in_transaction():
        # Versioned: of two clock-outs at once one closes the record, the other finds it moved.
        if not await Attendance.filter(id=record.id, version=record.version, clock_out_at=None).update(
                version=record.version + 1, **changes):
            await record.refresh_from_db()
            raise Problem(409, _("This attendance changed meanwhile; reload and try again."),
                          current=attendance_out(record))
        await audit.record("rostering.attendance.clock_out", actor=actor.user, site_id=site.id,
                           object_type="rostering.attendance", object_id=record.id,
                           after={"source": source, "early_minutes": early}, client_address=actor.client_address)
    await record.refresh_from_db()
    await publish(bus, record)
    return record


async def correct(site: Site, record: Attendance, actor: Actor, *, reason: str, version: int,
                  clock_in_at: dt.datetime | None = None, clock_out_at: dt.datetime | None = None,
                  bus: Any = None, now: dt.datetime | None = None) -> Attendance:
    """A supervisor sets the clock-in and/or clock-out of ``record`` (the others stay), with
    ``reason``. Times in the future, a clock-out at or before the clock-in, and times
    overlapping another of the person's records here are 422 naming the field."""
    now = now or utcnow()
    if not reason.strip():
        raise invalid("reason", _("Say why the times are corrected."))
    if clock_in_at is None and clock_out_at is None:
        raise invalid("clock_in_at", _("Give a corrected clock-in or clock-out time."))
    if version != record.version:
        raise Problem(409, _("This attendance changed meanwhile; reload and try again."),
                      current=attendance_out(record))
    new_in = clock_in_at or record.clock_in_at
    new_out = clock_out_at or record.clock_out_at
    for field, moment in (("clock_in_at", clock_in_at), ("clock_out_at", clock_out_at)):
        if moment is not None and moment > now:
            raise invalid(field, _("This time is still to come."))
    if new_out is not None and new_out <= new_in:
        raise invalid("clock_out_at", _("The clock-out must come after the clock-in (%(time)s).",
                                        time=local_time(site, new_in)))
    others = Attendance.filter(site_id=site.id, user_id=record.user_id).exclude(id=record.id)
    if new_out is not None:
        others = others.filter(clock_in_at__lt=new_out)
    if await others.filter(Q(clock_out_at=None) | Q(clock_out_at__gt=new_in)).exists():
        raise invalid("clock_in_at", _("These times overlap another attendance of the same person."))
    duty = await Duty.get_or_none(id=record.duty_id) if record.duty_id else None
    late = late_minutes(site, duty, new_in) if await _first_for_duty(duty, other_than=record.id) else 0
    changes: dict[str, Any] = {"clock_in_at": new_in, "clock_out_at": new_out, "late_minutes": late,
                               "early_minutes": early_minutes(duty, new_out)}
    if clock_in_at is not None:
        changes["clock_in_source"] = "supervisor"
    if clock_out_at is not None:
        changes["clock_out_source"] = "supervisor"
    before = attendance_out(record)
    async with in_transaction():
        if not await Attendance.filter(id=record.id, version=version).update(version=version + 1, **changes):
            await record.refresh_from_db()
            raise Problem(409, _("This attendance changed meanwhile; reload and try again."),
                          current=attendance_out(record))
        await record.refresh_from_db()
        await audit.record("rostering.attendance.correct", actor=actor.user, site_id=site.id,
                           object_type="rostering.attendance", object_id=record.id, before=before,
                           after=attendance_out(record), client_address=actor.client_address, note=reason[:500])
    await publish(bus, record)
    return record


async def clock_in_on_sign_in(user: Any, client_address: str = "", now: dt.datetime | None = None) -> list[Attendance]:
    """After a password sign-in: at each of ``user``'s sites that clock people in on
    sign-in, clock them in when a published duty of theirs is starting within the window
    or under way and nothing is open there. Returns the records made."""
    now = now or utcnow()
    site_ids = set(await Membership.filter(user_id=user.id).values_list("site_id", flat=True))
    made = []
    for site in await Site.filter(id__in=list(site_ids)).order_by("id"):
        if not setting(site, "clock_in_on_sign_in") or await duty_for(site, user.id, now) is None:
            continue
        if await Attendance.filter(site_id=site.id, user_id=user.id, clock_out_at=None).exists():
            continue
        actor = Actor(user=user, site=site, client_address=client_address or "")
        try:
            made.append(await clock_in(site, user, actor, source="sign_in", now=now))
        except Problem:  # a clock-in at the same moment (the button, another sign-in) won
            continue
    return made
