"""The complaint KPIs counted in SQL give what a plain Python count of the same rows gives,
over the site's local days."""

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from core.entities.models import Site, Unit
from core.tasks.models import Task
from plugins.resident import kpis
from plugins.resident.models import Case, Revisit
from tests.plugins.resident.conftest import BASE, new_case

UTC = dt.timezone.utc
ZONE = ZoneInfo("Europe/London")
#: A period holding London's clock change (Sunday 29 March 2026) and ending on a month's end.
START, END = dt.date(2026, 3, 1), dt.date(2026, 4, 30)
MICRO = dt.timedelta(microseconds=1)
STATUSES = ("open", "in_progress", "resolved", "closed", "cancelled")


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), ZONE).astimezone(UTC)


async def _estate() -> tuple[Site, list[dict], dict[int, dict], list[dict]]:
    site = await Site.create(code="kpi-estate", name="KPI estate", kind="residential", timezone="Europe/London",
                             currency="GBP")
    other = await Site.create(code="kpi-elsewhere", name="Elsewhere", kind="residential", timezone="UTC")
    units = [await Unit.create(site=site, code=f"U{n}", kind="apartment") for n in range(3)]
    far = await Unit.create(site=other, code="X1", kind="apartment")
    rng = random.Random(16)  # noqa: S311 — varied test data, not security
    low, high = local_midnight(START), local_midnight(END + dt.timedelta(days=1))
    moments = [low, low - MICRO, low + MICRO, high, high - MICRO, local_midnight(dt.date(2026, 3, 29)),
               local_midnight(dt.date(2026, 3, 30)) - MICRO]
    moments += [low + dt.timedelta(minutes=rng.randrange(70 * 24 * 60)) for _ in range(150)]
    complaints: list[Case] = []
    for number, created in enumerate(moments):
        kind = "complaint" if number % 5 else rng.choice(("repair", "inquiry"))
        where, unit = (other, far) if number % 23 == 0 else (site, units[number % 3])
        due = rng.choice((None, created + dt.timedelta(hours=72)))
        resolved = rng.choice((None, created + dt.timedelta(hours=10), created + dt.timedelta(hours=80), due))
        status = rng.choice(STATUSES)
        task = await Task.create(site=where, type=f"resident.{kind}", title="Case", status=status, due_at=due,
                                 resolved_at=resolved, overdue=rng.random() < 0.2, created_at=created)
        # a task closed or cancelled without being resolved finished when it last changed
        await Task.filter(id=task.id).update(updated_at=created + dt.timedelta(hours=rng.choice((5, 100))))
        reply_due = created + dt.timedelta(hours=24)
        replied = rng.choice((None, reply_due, reply_due - dt.timedelta(hours=3), reply_due + MICRO))
        merged = complaints[-1] if complaints and rng.random() < 0.1 else None
        case = await Case.create(site=where, task=task, unit=unit, kind=kind, channel="phone", title="Noise",
                                 reply_due_at=reply_due, replied_at=replied, reopen_count=rng.choice((0, 0, 0, 1)),
                                 merged_into=merged, created_at=created)
        if kind == "complaint":
            complaints.append(case)
        for _ in range(rng.randrange(3)):
            reached = rng.choice((True, False, None))
            await Revisit.create(site=where, unit=unit, case=case, status=rng.choice(("done", "done", "pending")),
                                 reached=reached, satisfied=rng.choice((True, False)) if reached else None)
    await Revisit.create(site=site, unit=units[0], status="done", reached=True, satisfied=True)  # a campaign's
    cases = await Case.filter(site=site).values("id", "task_id", "kind", "merged_into_id", "created_at", "replied_at",
                                                "reply_due_at", "reopen_count")
    tasks = {t["id"]: t for t in await Task.filter(site=site).values("id", "status", "due_at", "resolved_at",
                                                                      "updated_at", "overdue")}
    visits = await Revisit.filter(site=site).values("case_id", "status", "reached", "satisfied")
    return site, cases, tasks, visits


def _reference(cases: list[dict], tasks: dict[int, dict], visits: list[dict], start: dt.date, end: dt.date,
               now: dt.datetime) -> dict:
    """docs/kpis.md's definitions, plainly: an item not yet due (neither done nor past its
    due time at ``now``) is not counted."""
    low, high = local_midnight(start), local_midnight(end + dt.timedelta(days=1))
    received = [c for c in cases if c["kind"] == "complaint" and c["merged_into_id"] is None
                and low <= c["created_at"] < high]
    counted = [c for c in received if c["replied_at"] is not None or c["reply_due_at"] <= now]
    on_time = [c for c in counted if c["replied_at"] is not None and c["replied_at"] <= c["reply_due_at"]]
    handled = [c for c in received if tasks[c["task_id"]]["status"] in ("resolved", "closed", "cancelled")
               or (tasks[c["task_id"]]["due_at"] is not None and tasks[c["task_id"]]["due_at"] <= now)]

    def to_standard(case):
        task = tasks[case["task_id"]]
        finished = task["resolved_at"] or task["updated_at"]
        return (task["status"] in ("resolved", "closed") and case["reopen_count"] == 0 and not task["overdue"]
                and (task["due_at"] is None or finished <= task["due_at"]))

    standard = [c for c in handled if to_standard(c)]
    ids = {c["id"] for c in received}
    reached = [v for v in visits if v["case_id"] in ids and v["status"] == "done" and v["reached"]]
    satisfied = [v for v in reached if v["satisfied"]]

    def rate(part, whole):  # percent, one decimal, half up; None (n/a) without data
        return float((Decimal(100 * len(part)) / len(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)) if whole \
            else None

    return {"complaints": len(received), "replied_on_time": len(on_time), "reply_counted": len(counted),
            "handled": len(handled),
            "handled_to_standard": len(standard), "revisits_reached": len(reached),
            "revisits_satisfied": len(satisfied), "on_time_reply_rate": rate(on_time, counted),
            "standard_handling_rate": rate(standard, handled), "satisfaction_rate": rate(satisfied, reached)}


def test_complaint_kpis_in_sql_match_a_plain_count_over_local_days(server):
    async def both_ways():
        site, cases, tasks, visits = await _estate()
        periods = [(START, END), (dt.date(2026, 3, 29), dt.date(2026, 3, 29)), (END, END), (START, START)]
        now = dt.datetime.now(UTC)
        return [(await kpis.kpis(site, start, end, now), _reference(cases, tasks, visits, start, end, now))
                for start, end in periods]

    results = server.call(both_ways)
    for counted, reference in results:
        assert {name: counted[name] for name in reference} == reference
    whole = results[0][0]
    assert whole["complaints"] > 50 and whole["handled_to_standard"] and whole["revisits_satisfied"]
    assert (whole["from"], whole["to"]) == ("2026-03-01", "2026-04-30")


def test_the_default_period_ends_on_the_sites_local_today(demo_server, units, clock):
    """At 01:30 in Taipei the UTC date is still yesterday's: today's complaint counts."""
    now = dt.datetime.now(UTC)
    target = now.replace(hour=17, minute=30, second=0, microsecond=0)
    clock.shift(target - now if target > now else target + dt.timedelta(days=1) - now)
    supervisor = demo_server.api_client("supervisor")
    new_case(supervisor, units["B-0901"])
    assert supervisor.get(f"{BASE}/kpis").json()["complaints"] == 1
