"""The rules every change to a roster passes, whoever makes it (the grid, a swap, a leave).

Each check returns the conflicts it finds as ``(field, message)`` pairs instead of raising,
so a caller decides the status: drawing a duty that overlaps another is bad input (422
naming the field), an approval that would leave a department short is a conflict (409
with the reason). ``refuse`` turns the pairs into the ``Problem``.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable
from zoneinfo import ZoneInfo

from tortoise.functions import Count

from core.entities.models import Site
from core.i18n import gettext as _
from core.identity.models import Membership, User
from core.problems import Problem
from plugins.rostering.models import Certificate, Duty, LeaveRequest, ShiftPattern
from plugins.rostering.site_settings import setting

Conflict = tuple[str, str]


def refuse(status: int, conflicts: list[Conflict]) -> Problem:
    """The problem for ``conflicts``: the first message as its detail, each under its field."""
    return Problem(status, conflicts[0][1], errors=[{"field": field, "message": message}
                                                    for field, message in conflicts])


def clock_text(minute: int) -> str:
    """420 -> ``07:00`` (a shift's local start or end)."""
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"


def shift_times(site: Site, shift: ShiftPattern, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC start and end of ``shift`` worked on the local ``day``. The start is the wall
    clock time on that day; the end is its length later in real time, so a night shift
    crossing midnight ends the next day and a shift across a clock change keeps its hours."""
    zone = ZoneInfo(site.timezone)
    local_start = dt.datetime.combine(day, dt.time(shift.start_minute // 60, shift.start_minute % 60), tzinfo=zone)
    starts_at = local_start.astimezone(dt.timezone.utc)
    return starts_at, starts_at + dt.timedelta(minutes=shift.duration_minutes)


async def member_of(site: Site, user_id: int, field: str = "user_id") -> User:
    """The active user ``user_id`` if they are a member of ``site``; else 422 naming ``field``."""
    user = await User.get_or_none(id=user_id, is_active=True)
    if user is None or not await Membership.filter(site_id=site.id, user_id=user_id).exists():
        raise Problem(422, _("User %(id)s is not a member of this site.", id=user_id),
                      errors=[{"field": field, "message": _("User %(id)s is not a member of this site.",
                                                            id=user_id)}])
    return user


def _day_text(site: Site, moment: dt.datetime) -> str:
    return moment.astimezone(ZoneInfo(site.timezone)).strftime("%Y-%m-%d %H:%M")


async def duty_conflicts(site: Site, user: User, shift: ShiftPattern, day: dt.date, *,
                         ignore: Iterable[int] = (), field: str = "user_id") -> list[Conflict]:
    """What stops ``user`` working ``shift`` on ``day``: another duty overlapping it (at any
    site: one person is in one place), rest under the site's minimum before or after it,
    approved leave that day, and a certificate the shift requires missing or expired on the
    day. ``ignore``: duties the same change removes (the ones a swap exchanges)."""
    starts_at, ends_at = shift_times(site, shift, day)
    name = user.display_name or user.username
    ignore = list(ignore)
    conflicts: list[Conflict] = []
    others = Duty.filter(user_id=user.id).exclude(id__in=ignore) if ignore else Duty.filter(user_id=user.id)
    rest = dt.timedelta(hours=setting(site, "min_rest_hours"))
    nearby = await (others.filter(starts_at__lt=ends_at + rest, ends_at__gt=starts_at - rest)
                    .select_related("shift").order_by("starts_at"))
    for duty in nearby:
        if duty.starts_at < ends_at and duty.ends_at > starts_at:
            conflicts.append((field, _("%(name)s already works %(shift)s from %(start)s; duties may not overlap.",
                                       name=name, shift=duty.shift.name, start=_day_text(site, duty.starts_at))))
        else:
            conflicts.append((field, _("%(name)s would rest less than %(hours)s hours between %(shift)s from "
                                       "%(start)s and this duty.", name=name, hours=int(rest.total_seconds() // 3600),
                                       shift=duty.shift.name, start=_day_text(site, duty.starts_at))))
    if await LeaveRequest.filter(site_id=site.id, user_id=user.id, status="approved", starts_on__lte=day,
                                 ends_on__gte=day).exists():
        conflicts.append((field, _("%(name)s is on approved leave on %(day)s.", name=name, day=day.isoformat())))
    for kind in shift.required_certificates or []:
        if not await Certificate.filter(site_id=site.id, user_id=user.id, kind=kind,
                                        expires_on__gte=day).exists():
            conflicts.append((field, _("%(name)s has no unexpired %(kind)s certificate on %(day)s, which shift "
                                       "%(shift)s requires.", name=name, kind=kind, day=day.isoformat(),
                                       shift=shift.name)))
    return conflicts


async def staffing_shortfalls(site: Site, removed: Iterable[Duty], added: Iterable[tuple[int, dt.date]] = (),
                              field: str = "id") -> list[Conflict]:
    """The shifts a change would leave under their minimum (``ShiftPattern.min_staff``):
    ``removed`` duties go, ``added`` (shift id, day) pairs come. Only the (shift, day) pairs
    the change takes people from are judged, so a swap that keeps each shift's count passes
    and a leave that empties a shift below its minimum is named."""
    removed = list(removed)
    delta: dict[tuple[int, dt.date], int] = {}
    for duty in removed:
        key = (duty.shift_id, duty.day)
        delta[key] = delta.get(key, 0) - 1
    for key in added:
        delta[key] = delta.get(key, 0) + 1
    short = {key: change for key, change in delta.items() if change < 0}
    if not short:
        return []
    shifts = {shift.id: shift for shift in await ShiftPattern.filter(id__in=list({key[0] for key in short}))}
    conflicts: list[Conflict] = []
    for (shift_id, day), change in sorted(short.items(), key=lambda item: (item[0][1], item[0][0])):
        shift = shifts[shift_id]
        if not shift.min_staff:
            continue
        rows = await (Duty.filter(shift_id=shift_id, day=day).annotate(n=Count("id")).group_by("shift_id")
                      .values("n"))
        now = rows[0]["n"] if rows else 0
        if now + change < shift.min_staff:
            conflicts.append((field, _("The %(department)s department would have %(count)s on %(shift)s on %(day)s, "
                                       "under its minimum of %(minimum)s.", department=shift.department,
                                       count=now + change, shift=shift.name, day=day.isoformat(),
                                       minimum=shift.min_staff)))
    return conflicts
