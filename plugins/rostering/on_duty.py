"""Who may receive a task now: rostering's answer to core's ``eligible_assignees`` hook.

The rule (``eligible``), applied only while the site setting ``assign_only_on_duty`` is on:
a candidate balanced assignment would choose among may receive the task at ``at`` if

- they are **on duty** then: a duty of a *published* roster at this site covers ``at``
  (``starts_at <= at < ends_at``), and, while ``on_duty_requires_clock_in`` is on, they
  are clocked in at this site for it: an open attendance (no clock-out) clocked in no
  earlier than the setting ``early_clock_in_minutes`` before that duty's start (so a
  clock-in left open since yesterday does not count for today's duty); **or**
- their department (``User.department``) has **no published roster** at this site
  covering ``at``'s local day: a department that does not roster yet is not narrowed,
  and neither is a user without a department.

The answer is ``None`` (no opinion: the kernel keeps every candidate) whenever nothing is
narrowed: the setting is off, no candidate's department is rostered that day. Otherwise it
is the list of eligible ids, possibly empty (nobody on duty: the kernel leaves a new task
unassigned and says why).

Cost: it runs on every balanced assignment, so it asks at most three small indexed
queries (the candidates in a department rostered that day, the site's duties covering
``at``, its open clock-ins) and stops as soon as that settles it.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from tortoise.expressions import Subquery

from core.clock import local_today, utcnow
from core.entities.models import Site
from core.identity.models import User
from plugins.rostering.models import Attendance, Duty, Roster
from plugins.rostering.site_settings import setting


async def on_duty(site: Site, at: dt.datetime) -> set[int]:
    """The ids of the people on duty at ``site`` at ``at``: a published duty covering ``at``
    and, when the site requires it, clocked in for it. Asked for the whole site, not per
    candidate: a few dozen rows, and no long list of ids to send (cheaper than filtering)."""
    # A duty lasts a day at most (ShiftPattern.duration_minutes), so one covering ``at``
    # started within the day before: the bound keeps the (site, starts_at) index range short.
    duties = await Duty.filter(site_id=site.id, starts_at__gt=at - dt.timedelta(days=1), starts_at__lte=at,
                               ends_at__gt=at, roster__status="published").values_list("user_id", "starts_at")
    starts: dict[int, dt.datetime] = {}
    for user_id, starts_at in duties:
        starts[user_id] = min(starts_at, starts.get(user_id, starts_at))
    if not starts or not setting(site, "on_duty_requires_clock_in"):
        return set(starts)
    early = dt.timedelta(minutes=setting(site, "early_clock_in_minutes"))
    # Open clock-ins of the last two days (a duty's day and its window); the (site,
    # clock_out_at) index finds the open ones.
    rows = await Attendance.filter(site_id=site.id, clock_out_at=None, clock_in_at__lte=at,
                                   clock_in_at__gte=at - dt.timedelta(days=2)).values_list("user_id", "clock_in_at")
    return {user_id for user_id, clock_in_at in rows if user_id in starts and clock_in_at >= starts[user_id] - early}


async def eligible(site: Site, candidates: Iterable[int], at: dt.datetime | None = None) -> list[int] | None:
    """The candidates who may receive a task at ``at`` (see the module's rule), or ``None``
    when the rule narrows nobody."""
    if not setting(site, "assign_only_on_duty"):
        return None
    candidates = list(candidates)
    if not candidates:
        return None
    at = at or utcnow()
    # One query: the candidates whose department has a published roster covering the day.
    rostered = Roster.filter(site_id=site.id, status="published", starts_on__lte=(day := local_today(site, at)),
                             ends_on__gte=day).values("department")
    narrowed = set(await User.filter(id__in=candidates, department__in=Subquery(rostered)).exclude(department="")
                   .values_list("id", flat=True))
    if not narrowed:
        return None
    working = await on_duty(site, at)
    return [uid for uid in candidates if uid not in narrowed or uid in working]
