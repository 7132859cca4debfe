"""Rostering benchmarks at a hotel with 200 room attendants on a month's published roster.

- the roster grid page (200 people x the month's days, ~4,500 duties);
- creating a task by balanced assignment over the 200 attendants with the rostering plugin
  narrowing it to those on duty and clocked in now (``eligible_assignees``: assign_only_on_duty
  on), against the same with the setting off (the hook answers "no opinion" without a query,
  as good as the plugin absent): the difference is what on-duty assignment adds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import httpx

from bench import loadgen, servers
from bench.data import PASSWORD
from bench.scenarios import Section

TITLE = "Rostering"
TARGETS = ("a month's roster grid for 200 staff p50 < 200 ms; on-duty assignment adds < 2 ms p50 to creating a "
           "task by balanced assignment")
SITE = "benchroster"
USER = "benchrostersup"
STAFF = 200
GRID_P50_MS = 200
HOOK_ADDED_MS = 2
#: A rotation of early, middle and night shifts and a day off: about a quarter on duty at any time.
SHIFTS = (("E", "早班 Early", 7 * 60), ("M", "中班 Middle", 15 * 60), ("N", "夜班 Night", 23 * 60))


async def prepare(url: str, ids: dict, scale: float) -> dict:
    from core.clock import local_today, utcnow
    from core.entities import services as entities
    from core.identity import services as identity
    from core.identity.models import Membership, Role, User
    from plugins.rostering.models import Attendance, Duty, Roster, ShiftPattern
    from plugins.rostering.rules import shift_times

    site = await entities.create_site({"code": SITE, "name": "Benchmark Roster Hotel", "kind": "hotel",
                                       "timezone": "Asia/Taipei", "currency": "TWD"})
    roles = {role.name: role for role in await Role.all()}
    sup = await identity.create_user(USER, PASSWORD)
    for role in ("supervisor", "admin"):
        await identity.grant_membership(sup, site, roles[role])
    # The attendants share one hash (they never sign in here): 200 argon2 hashes would
    # take longer than the measurement.
    await User.bulk_create([User(username=f"benchrs{n:03d}", display_name=f"Attendant {n:03d}",
                                 password_hash=sup.password_hash, department="housekeeping") for n in range(STAFF)])
    staff = list(await User.filter(username__startswith="benchrs").order_by("username").values_list("id", flat=True))
    await Membership.bulk_create([Membership(user_id=uid, site_id=site.id, role_id=roles["housekeeper"].id)
                                  for uid in staff])
    shifts = [await ShiftPattern.create(site=site, department="housekeeping", code=code, name=name, start_minute=start,
                                        duration_minutes=8 * 60, position=n)
              for n, (code, name, start) in enumerate(SHIFTS)]
    now = utcnow()
    today = local_today(site, now)
    first = today.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    roster = await Roster.create(site=site, department="housekeeping", starts_on=first, ends_on=last,
                                 status="published", published_at=now, published_by=sup, created_by=sup)
    duties = []
    day = first
    while day <= last:
        for number, uid in enumerate(staff):
            turn = (number + day.toordinal()) % 4
            if turn < 3:
                starts_at, ends_at = shift_times(site, shifts[turn], day)
                duties.append(Duty(site_id=site.id, roster_id=roster.id, user_id=uid, shift_id=shifts[turn].id,
                                   day=day, starts_at=starts_at, ends_at=ends_at))
        day += dt.timedelta(days=1)
    await Duty.bulk_create(duties, batch_size=1000)
    # Everyone on duty now has clocked in.
    on_duty = [d for d in duties if d.starts_at <= now < d.ends_at]
    await Attendance.bulk_create([Attendance(site_id=site.id, user_id=d.user_id, clock_in_at=d.starts_at)
                                  for d in on_duty])
    return {"roster_id": roster.id, "duties": len(duties), "on_duty": len({d.user_id for d in on_duty})}


def _assignment(server_url: str, auth: dict, on: bool) -> None:
    settings = f"{server_url}/api/v1/sites/{SITE}/settings"
    version = httpx.get(settings, headers=auth, timeout=30).json()["version"]
    response = httpx.patch(settings, headers=auth, timeout=30, json={
        "version": version, "values": {"rostering": {"assign_only_on_duty": on, "on_duty_requires_clock_in": True}}})
    response.raise_for_status()


async def _hook_timing(database_url: str, calls: int = 500) -> tuple[float, float, int]:
    """The rostering hook's own time, in process: p50 and p95 in ms of ``on_duty.eligible``
    over the 200 attendants now, and how many it let through."""
    import statistics
    import time

    from bench.data import settings_for
    from core.clock import utcnow
    from core.database import open_database
    from core.entities.models import Site
    from core.identity.models import User
    from core.plugins import load_plugins
    from plugins.rostering.on_duty import eligible

    async with open_database(settings_for(database_url), load_plugins()):
        site = await Site.get(code=SITE)
        staff = list(await User.filter(username__startswith="benchrs").values_list("id", flat=True))
        times, answer = [], []
        for _ in range(calls):
            started = time.perf_counter()
            answer = await eligible(site, staff, utcnow())
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(answer or [])


def measure(server_url: str, database_url: str, backend: str, context: dict, seconds: int) -> Section:
    token = servers.token(server_url, USER, PASSWORD)
    auth = {"Authorization": f"Bearer {token}"}
    grid = loadgen.wrk(f"GET roster grid page, {STAFF} staff x a month (1 connection)",
                       f"{server_url}/sites/{SITE}/rostering/rosters/{context['roster_id']}", seconds=seconds,
                       headers={**auth, "Accept": "text/html"}, connections=1)
    tasks = f"{server_url}/api/v1/sites/{SITE}/tasks"
    body = json.dumps({"type": "hotel.pickup", "title": "Benchmark pick-up", "assign": "balanced"})
    headers = {**auth, "Content-Type": "application/json"}
    probe = httpx.post(tasks, headers=headers, content=body, timeout=30)
    results = {}
    # Off, on, off again, on again: the halves of each are averaged, so a database growing
    # with the tasks created does not favour whichever ran first.
    for on in (False, True, False, True):
        _assignment(server_url, auth, on)
        label = ("on-duty assignment ON (rostered and clocked in now)" if on else "on-duty assignment off")
        result = loadgen.wrk(f"POST create a task, balanced over {STAFF}, {label} (1 connection)", tasks,
                             seconds=max(1, seconds // 2), method="POST", body=body, headers=headers, connections=1)
        results.setdefault(on, []).append(result)
    off = sum(r.p50_ms for r in results[False]) / 2
    on = sum(r.p50_ms for r in results[True]) / 2
    assigned = httpx.post(tasks, headers=headers, content=body, timeout=30).json()
    section = Section(results=[grid, *results[False], *results[True]],
                      sizes={"staff": STAFF, "duties": context["duties"], "on duty now": context["on_duty"]})
    section.notes.append(f"The first probe task (setting off) went to user {probe.json().get('assignee_id')}; with "
                         f"on-duty assignment on, the last went to user {assigned.get('assignee_id')}, among the "
                         f"{context['on_duty']} on duty and clocked in now.")
    section.check("rostering", f"roster grid, {STAFF} staff x a month, p50 < {GRID_P50_MS} ms",
                  f"{grid.p50_ms:.1f} ms", grid.errors == 0 and grid.requests > 0 and grid.p50_ms < GRID_P50_MS)
    errors = sum(r.errors for rs in results.values() for r in rs)
    # The end-to-end difference moves by several ms from run to run on two shared cores
    # (and narrowing also shortens the balancing that follows), so the target is checked
    # on the hook's own time, measured in process; the difference is reported beside it.
    p50, p95, let_through = asyncio.run(_hook_timing(database_url))
    section.notes.append(f"The rostering hook alone (on_duty.eligible over the {STAFF} attendants, in process, "
                         f"500 calls): p50 {p50:.2f} ms, p95 {p95:.2f} ms, {let_through} let through. Task creation "
                         f"p50, averaged over two runs each: {on:.2f} ms with on-duty assignment on, {off:.2f} ms "
                         f"off ({on - off:+.2f} ms).")
    section.check("rostering", f"on-duty assignment adds < {HOOK_ADDED_MS} ms p50 to a balanced task creation",
                  f"{p50:.2f} ms (hook p50; end to end {on - off:+.2f} ms)",
                  errors == 0 and p50 < HOOK_ADDED_MS and let_through == context["on_duty"])
    return section
