"""The KPIs and reports counted in SQL give what a plain Python count of the same rows gives.

A varied site (agents, a deleted agent, every direction and outcome, callbacks, complaints
and revisits in every state, reopened complaints, unknown handle times, missing times, rows at the exact local midnights of the period
and across a daylight-saving change) is counted both ways on the database under test.
"""

import datetime as dt
import random
from zoneinfo import ZoneInfo

from core.entities.models import Site
from core.identity.models import User
from core.tasks.models import Task
from plugins.insurance_calls import kpis
from plugins.insurance_calls.models import CALL_TYPES, DIRECTIONS, OUTCOMES, Call
from plugins.insurance_calls.services import CALLBACK, COMPLAINT, REVISIT

UTC = dt.timezone.utc
ZONE = ZoneInfo("America/New_York")
#: The week in which New York moves its clocks forward (Sunday 8 March 2026).
WEEK = dt.date(2026, 3, 5)
MICRO = dt.timedelta(microseconds=1)


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), ZONE).astimezone(UTC)


async def _site_with_calls(now: dt.datetime) -> tuple[Site, list[dict], list[dict]]:
    site = await Site.create(code="kpi-sql", name="KPI check", kind="call_centre", timezone="America/New_York",
                             currency="USD")
    other = await Site.create(code="kpi-other", name="Elsewhere", kind="call_centre", timezone="UTC", currency="USD")
    agents = [await User.create(username=f"kpi{n}", password_hash="x", display_name=name)
              for n, name in enumerate(("Zoe", "Adam", "", "Mia"))]
    gone = await User.create(username="kpigone", password_hash="x")
    rng = random.Random(16)  # noqa: S311 — varied test data, not security
    # Unknown handle times and reopened complaints: drawn apart, so the rest stays as it was.
    extra = random.Random(17)  # noqa: S311
    # Instants that matter: the local midnights of the week (one day has 23 hours), a
    # microsecond either side of them, and a spread of ordinary times around now too.
    edges = []
    for offset in range(8):
        midnight = local_midnight(WEEK + dt.timedelta(days=offset))
        edges += [midnight, midnight - MICRO, midnight + MICRO]
    moments = edges + [local_midnight(WEEK) + dt.timedelta(minutes=rng.randrange(7 * 24 * 60)) for _ in range(120)]
    moments += [now + dt.timedelta(hours=rng.uniform(-72, 72)) for _ in range(120)]

    def task(kind, created, due, resolved, status, parent=None, where=site):
        return Task.create(site=where, type=kind, title=kind, status=status, due_at=due, resolved_at=resolved,
                           created_at=created, parent=parent, is_open=status not in ("closed", "cancelled"))

    for number, started in enumerate(moments):
        agent = (agents + [None])[number % 5]
        outcome = OUTCOMES[rng.randrange(len(OUTCOMES))]
        seconds = rng.randrange(0, 900)
        if extra.random() < 0.2:
            seconds = None
        follow_up = complaint = None
        if outcome == "follow_up":
            due = started + dt.timedelta(hours=rng.choice((1, 30, 80)))
            done = rng.choice((None, due, due - dt.timedelta(minutes=5), due + MICRO))
            follow_up = await task(CALLBACK, started, due, done, "closed" if done else "open")
        if outcome == "complaint":
            due = rng.choice((None, started + dt.timedelta(hours=24), started + dt.timedelta(hours=2)))
            replied = rng.choice((None, started + dt.timedelta(hours=1), started + dt.timedelta(hours=26)))
            status = rng.choice(("open", "resolved", "closed", "cancelled")) if replied else \
                rng.choice(("open", "cancelled"))
            complaint = await task(COMPLAINT, started, due, replied, status)
            for _ in range(rng.randrange(3)):
                revisit_due = started + dt.timedelta(hours=72)
                revisit_done = rng.choice((None, revisit_due, revisit_due + dt.timedelta(hours=1)))
                revisit = await task(REVISIT, started, revisit_due, revisit_done,
                                     "closed" if revisit_done else "open", parent=complaint)
                if revisit_done:
                    await Call.create(site=site, direction="outbound", started_at=revisit_done,
                                      ended_at=revisit_done, handle_seconds=60, agent=agent, phone="1",
                                      call_type="care_callback", summary="Revisit", outcome="resolved",
                                      satisfied=rng.random() < 0.7, task=revisit)
        await Call.create(site=site, direction=DIRECTIONS[number % 2], started_at=started,
                          ended_at=started + dt.timedelta(seconds=seconds or 0), handle_seconds=seconds,
                          agent=gone if agent is None else agent, phone=str(number), call_type=rng.choice(CALL_TYPES),
                          summary="Asked", outcome=outcome, follow_up_task=follow_up, complaint_task=complaint,
                          reopen_count=extra.choice((0, 0, 1, 2)) if complaint else 0)
    # A judged call whose task is no revisit, and another site's calls and tasks: never counted.
    callback = await task(CALLBACK, moments[5], moments[5], moments[5], "closed")
    await Call.create(site=site, direction="outbound", started_at=moments[5], ended_at=moments[5], handle_seconds=1,
                      agent=agents[0], phone="2", call_type="other", summary="x", outcome="resolved", satisfied=True,
                      task=callback)
    for started in moments[:20]:
        await task(COMPLAINT, started, started, started, "closed", where=other)
        await Call.create(site=other, direction="inbound", started_at=started, ended_at=started, handle_seconds=5,
                          agent=agents[0], phone="3", call_type="quote", summary="x", outcome="complaint")
    await gone.delete()  # a deleted agent's calls keep counting, under no name
    calls = await Call.filter(site=site).values("call_type", "agent_id", "direction", "outcome", "handle_seconds",
                                                "started_at", "satisfied", "task_id", "complaint_task_id",
                                                "reopen_count")
    tasks = await Task.filter(site=site).values("id", "type", "status", "parent_id", "due_at", "resolved_at",
                                                "created_at")
    return site, calls, tasks


def _reference_kpis(site: Site, calls: list[dict], tasks: list[dict], names: dict, start, end, now) -> dict:
    """The KPIs as plainly as they are defined, over every row of the site."""
    within = [c for c in calls if start <= c["started_at"] < end]
    by_agent: dict = {}
    for call in within:
        agent = by_agent.setdefault(call["agent_id"], {"calls": 0, "timed": 0, "seconds": 0})
        agent["calls"] += 1
        if call["handle_seconds"] is not None:  # an unknown handle time is left out, not a 0
            agent["timed"] += 1
            agent["seconds"] += call["handle_seconds"]
    timed = [c["handle_seconds"] for c in within if c["handle_seconds"] is not None]
    total, seconds = len(within), sum(timed)
    callbacks = [t for t in tasks if t["type"] == CALLBACK and t["due_at"] and start <= t["due_at"] < end]
    done = [t for t in callbacks if t["resolved_at"]]
    due = [t for t in callbacks if t["due_at"] <= now or t["resolved_at"]]
    on_time = [t for t in done if t["resolved_at"] <= t["due_at"]]

    def replied_on_time(task):  # no due time: nothing was late (docs/kpis.md)
        return task["resolved_at"] is not None and (task["due_at"] is None or task["resolved_at"] <= task["due_at"])

    def revisited_on_time(task):
        return task["resolved_at"] is not None and task["due_at"] is not None and task["resolved_at"] <= task["due_at"]

    complaints = [t for t in tasks if t["type"] == COMPLAINT and start <= t["created_at"] < end]
    revisited = {t["parent_id"] for t in tasks if t["type"] == REVISIT and revisited_on_time(t)}
    counted = [t for t in complaints if t["resolved_at"] or (t["due_at"] and t["due_at"] <= now)]
    settled = [t for t in complaints if t["status"] in ("closed", "cancelled") or (t["due_at"] and t["due_at"] <= now)]
    reopened = {c["complaint_task_id"] for c in calls if c["reopen_count"]}
    standard = [t for t in settled if t["status"] == "closed" and replied_on_time(t) and t["id"] in revisited
                and t["id"] not in reopened]
    revisits = {t["id"] for t in tasks if t["type"] == REVISIT}
    judged = [c["satisfied"] for c in within if c["satisfied"] is not None and c["task_id"] in revisits]

    def rate(part, whole):
        return round(100.0 * part / whole, 1) if whole else None

    rates = {"on_time_reply_rate": rate(sum(map(replied_on_time, counted)), len(counted)),
             "standard_handling_rate": rate(len(standard), len(settled)),
             "satisfaction_rate": rate(sum(judged), len(judged))}
    goal = kpis.targets(site)
    return {
        "from": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "to": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "calls": total, "timed_calls": len(timed),
        "average_handle_seconds": round(seconds / len(timed), 1) if timed else None,
        "by_type": {name: sum(c["call_type"] == name for c in within) for name in CALL_TYPES},
        "by_agent": [{"agent_id": agent_id, "name": names.get(agent_id, ""), "calls": row["calls"],
                      "timed_calls": row["timed"],
                      "average_handle_seconds": round(row["seconds"] / row["timed"], 1) if row["timed"] else None}
                     for agent_id, row in sorted(by_agent.items(),
                                                  key=lambda item: (-item[1]["calls"], item[0] is None, item[0] or 0))],
        "callbacks": {"due": len(due), "done": len(done), "done_on_time": len(on_time),
                      "open": len(callbacks) - len(done), "on_time_rate": rate(len(on_time), len(due))},
        "complaints": {"count": len(complaints), "replied_on_time": sum(map(replied_on_time, counted)),
                       "handled_to_standard": len(standard), "revisits_judged": len(judged)},
        **rates, "targets": goal,
        "met": {name: (None if value is None else value >= goal[name]) for name, value in rates.items()},
        "status": {name: "no_data" if value is None else "met" if value >= goal[name] else "missed"
                   for name, value in rates.items()},
    }


def _reference_agents(calls: list[dict], names: dict, start, end) -> list[dict]:
    rows: dict = {}
    for call in (c for c in calls if start <= c["started_at"] < end):
        row = rows.setdefault(call["agent_id"], dict.fromkeys(kpis.DAILY_COLUMNS, 0) | {"seconds": 0, "timed": 0})
        row["calls"] += 1
        if call["handle_seconds"] is not None:
            row["timed"] += 1
            row["seconds"] += call["handle_seconds"]
        row[call["direction"]] += 1
        row[call["outcome"]] += 1
    out = []
    for agent_id, row in sorted(rows.items(), key=lambda item: (names.get(item[0], ""), item[0] or 0)):
        row["agent"] = names.get(agent_id, "Unknown")
        seconds, timed = row.pop("seconds"), row.pop("timed")
        row["average_handle_seconds"] = round(seconds / timed, 1) if timed else None
        out.append(row)
    return out


def test_kpis_and_reports_in_sql_match_a_plain_count(server):
    async def both_ways():
        now = dt.datetime.now(UTC)
        site, calls, tasks = await _site_with_calls(now)
        names = {u["id"]: u["display_name"] or u["username"]
                 for u in await User.filter(username__startswith="kpi").values("id", "username", "display_name")}
        periods = [kpis.local_day_bounds(site, WEEK, days=7), kpis.local_day_bounds(site, WEEK + dt.timedelta(days=3)),
                   (now - dt.timedelta(days=3), now + dt.timedelta(days=3)), (now - dt.timedelta(days=400), now)]
        compared = []
        for start, end in periods:
            compared.append((await kpis.kpis(site, start, end),
                             _reference_kpis(site, calls, tasks, names, start, end, now)))
            compared.append((await kpis.agent_summary(site, start, end), _reference_agents(calls, names, start, end)))
        weekly = await kpis.weekly_report(site, WEEK)
        days = []
        for offset in range(7):
            start, end = kpis.local_day_bounds(site, WEEK + dt.timedelta(days=offset))
            by_type = {name: sum(c["call_type"] == name and start <= c["started_at"] < end for c in calls)
                       for name in CALL_TYPES}
            days.append({"date": (WEEK + dt.timedelta(days=offset)).isoformat(), "calls": sum(by_type.values()),
                         "by_type": by_type})
        daily = await kpis.daily_report(site, WEEK + dt.timedelta(days=3))
        return compared, weekly, days, daily, calls

    compared, weekly, days, daily, calls = server.call(both_ways)
    for counted, reference in compared:
        if "breakdown" in counted:
            breakdown = counted.pop("breakdown")
            totals = {rate["key"]: (rate["numerator"], rate["denominator"]) for rate in breakdown["rates"]}
            for by in ("by_agent", "by_category"):  # each breakdown sums to the totals
                sums = {key: [0, 0] for key in totals}
                for row in breakdown[by]:
                    for rate in row["rates"]:
                        sums[rate["key"]][0] += rate["numerator"]
                        sums[rate["key"]][1] += rate["denominator"]
                assert {key: tuple(pair) for key, pair in sums.items()} == totals
        assert counted == reference
    assert compared[0][0]["calls"] > 100 and compared[0][0]["complaints"]["count"] > 5
    assert compared[0][0]["callbacks"]["done_on_time"] and compared[0][0]["complaints"]["handled_to_standard"]
    assert 0 < compared[0][0]["timed_calls"] < compared[0][0]["calls"]  # unknown handle times are there
    weekly["kpis"].pop("breakdown")
    assert weekly["days"] == days and weekly["kpis"] == compared[0][1] and weekly["agents"] == compared[1][1]
    # the 23-hour day of the clock change has its own calls, none of its neighbours'
    assert days[3]["date"] == "2026-03-08" and daily["rows"] == compared[3][1]
    assert sum(day["calls"] for day in days) == compared[0][0]["calls"]


def test_a_period_given_in_another_zone_counts_the_same_instants(server):
    """SQLite compares stored UTC text: a period sent with an offset is turned to UTC first."""
    async def counted():
        site = await Site.create(code="kpi-zone", name="Zone", kind="call_centre", timezone="Asia/Shanghai")
        start = dt.datetime(2026, 3, 1, 16, tzinfo=UTC)
        for started in (start - MICRO, start, start + dt.timedelta(hours=1)):
            await Call.create(site=site, direction="inbound", started_at=started, ended_at=started, handle_seconds=10,
                              phone="1", call_type="quote", summary="x", outcome="resolved")
        shanghai = ZoneInfo("Asia/Shanghai")
        end = start + dt.timedelta(days=1)
        return [(await kpis.kpis(site, a, b))["calls"]
                for a, b in ((start, end), (start.astimezone(shanghai), end.astimezone(shanghai)))]

    assert server.call(counted) == [2, 2]
