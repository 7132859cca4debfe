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
queries (the candidates in a rostered department, their duties covering ``at``, their open
attendance) and stops after the first when that settles it.
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


async def rostered_candidates(site: Site, day: dt.date, candidates: list[int]) -> list[int]:
    """The candidates whose department has a published roster at ``site`` covering ``day``."""
    departments = Roster.filter(site_id=site.id, status="published", starts_on__lte=day,
                                ends_on__gte=day).values("department")
    return list(await User.filter(id__in=candidates, department__in=Subquery(departments))
                .exclude(department="").values_list("id", flat=True))


async def on_duty(site: Site, at: dt.datetime, users: Iterable[int] | None = None) -> list[int]:
    """The ids of the people on duty at ``site`` at ``at`` (among ``users``, when given): a
    published duty covering ``at`` and, when the site requires it, clocked in for it."""
    duties = Duty.filter(site_id=site.id, starts_at__lte=at, ends_at__gt=at, roster__status="published")
    if users is not None:
        duties = duties.filter(user_id__in=list(users))
    starts: dict[int, dt.datetime] = {}
    for user_id, starts_at in await duties.values_list("user_id", "starts_at"):
        starts[user_id] = min(starts_at, starts.get(user_id, starts_at))
    if not starts or not setting(site, "on_duty_requires_clock_in"):
        return sorted(starts)
    early = dt.timedelta(minutes=setting(site, "early_clock_in_minutes"))
    # Bounded below by the earliest duty's window, so the index on (site, user, clock_in_at) serves it.
    rows = await Attendance.filter(site_id=site.id, user_id__in=list(starts), clock_out_at=None,
                                   clock_in_at__lte=at, clock_in_at__gte=min(starts.values()) - early
                                   ).values_list("user_id", "clock_in_at")
    return sorted({user_id for user_id, clock_in_at in rows if clock_in_at >= starts[user_id] - early})


async def eligible(site: Site, candidates: Iterable[int], at: dt.datetime | None = None) -> list[int] | None:
    """The candidates who may receive a task at ``at`` (see the module's rule), or ``None``
    when the rule narrows nobody."""
    if not setting(site, "assign_only_on_duty"):
        return None
    candidates = list(candidates)
    if not candidates:
        return None
    at = at or utcnow()
    narrowed = await rostered_candidates(site, local_today(site, at), candidates)
    if not narrowed:
        return None
    working = set(await on_duty(site, at, narrowed))
    left_alone = set(candidates) - set(narrowed)
    return [uid for uid in candidates if uid in left_alone or uid in working]
