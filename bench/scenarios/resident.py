"""Resident service benchmarks on an estate of 20,000 units.

- a billing run for one period (one bill per unit, created once);
- the arrears list with its age buckets (page of 50);
- distributing a revisit campaign of 5,000 households over 10 agents;
- the complaint KPIs for a year, over a year of 100,000 cases with their tasks and revisits.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import statistics
import time
from pathlib import Path

import httpx

from bench import loadgen, servers
from bench.data import PASSWORD, TASK_COLUMNS, _chunks, _sqlite_value, postgres_dsn, settings_for
from bench.scenarios import Section

TITLE = "Resident service"
TARGETS = ("for 20,000 units: a billing run < 5 s; the arrears list p50 < 100 ms; distributing a campaign of "
           "5,000 households over 10 agents < 1 s; the complaint KPIs for a year p50 < 200 ms (100,000 cases)")
FULL_UNITS = 20_000
FULL_CAMPAIGN = 5_000
FULL_CASES = 100_000
AGENTS = 10
#: Issue targets, in milliseconds.
BILLING_MS = 5000
ARREARS_P50_MS = 100
DISTRIBUTE_MS = 1000
KPIS_P50_MS = 200
UTC = dt.timezone.utc
#: The cases' tasks get ids above the tasks scenario's (1 to 1,000,000) and the insurance calls'.
FIRST_TASK_ID = 20_000_001
CASE_COLUMNS = ("id", "site_id", "task_id", "unit_id", "kind", "channel", "category", "severity", "title",
                "reply_due_at", "replied_at", "reply", "satisfied", "reopen_count", "escalated_to", "merged_into_id",
                "created_at")
CASE_TASK_COLUMNS = (*TASK_COLUMNS, "unit_id", "subject_id")
REVISIT_COLUMNS = ("id", "site_id", "unit_id", "case_id", "agent_id", "status", "method", "reached", "satisfied",
                   "score", "evaluation", "suggestions", "notes", "done_at", "created_at")
#: Kind, share of the cases, reply time and SLA (hours), as the plugin's defaults.
KINDS = (("repair", 0.50, 4, 48), ("complaint", 0.30, 24, 72), ("inquiry", 0.15, 4, 24), ("suggestion", 0.05, 48, 168))
CATEGORIES = ("plumbing", "electrical", "noise", "cleaning", "parking", "security", "lift", "other")


def _kind(draw: float) -> tuple[str, int, int]:
    total = 0.0
    for kind, share, reply_hours, sla_hours in KINDS:
        total += share
        if draw < total:
            return kind, reply_hours, sla_hours
    return KINDS[-1][0], KINDS[-1][2], KINDS[-1][3]


def case_year(count: int, ids: dict, unit_ids: list[int], seed: int = 16) -> tuple[list, list, list]:
    """A year of cases in the order they came in (ids grow with time): each with its task,
    most replied and finished in time, some late, cancelled, reopened or merged, and the
    revisits done after them. Returns (tasks, cases, revisits) rows."""
    rng = random.Random(seed)
    now = dt.datetime.now(UTC).replace(microsecond=0)
    first, spacing = now - dt.timedelta(days=365), dt.timedelta(days=365) / count
    agents = ids["agent_ids"]
    tasks, cases, revisits = [], [], []
    complaints: list[int] = []
    for number in range(1, count + 1):
        created = (first + spacing * (number - 1) + spacing * rng.random()).replace(microsecond=0)
        kind, reply_hours, sla_hours = _kind(rng.random())
        unit, agent = unit_ids[rng.randrange(len(unit_ids))], agents[rng.randrange(len(agents))]
        task_id = FIRST_TASK_ID + number - 1
        reply_due, due = created + dt.timedelta(hours=reply_hours), created + dt.timedelta(hours=sla_hours)
        late = rng.random()
        replied = created + dt.timedelta(minutes=rng.randrange(10, reply_hours * 60)) if late < 0.88 else \
            reply_due + dt.timedelta(hours=rng.randrange(1, 24)) if late < 0.97 else None
        replied = replied if replied and replied <= now else None
        fate = rng.random()
        resolved = created + dt.timedelta(minutes=rng.randrange(60, sla_hours * 60)) if fate < 0.85 else \
            due + dt.timedelta(hours=rng.randrange(1, 48)) if fate < 0.93 else None
        resolved = resolved if resolved and resolved <= now else None
        cancelled = resolved is None and fate < 0.96 and created + dt.timedelta(hours=2) <= now
        visited = resolved + dt.timedelta(hours=rng.randrange(2, 72)) if resolved and rng.random() < 0.7 else None
        visited = visited if visited and visited <= now else None
        reached = visited is not None and rng.random() < 0.9
        satisfied = reached and rng.random() < 0.88
        status = "cancelled" if cancelled else "closed" if satisfied else "resolved" if resolved else \
            rng.choice(("open", "in_progress"))
        overdue = (resolved or now) > due and not cancelled
        changed = resolved or (created + dt.timedelta(hours=2) if cancelled else created)
        merged = complaints[-1 - rng.randrange(min(len(complaints), 20))] \
            if kind == "complaint" and complaints and rng.random() < 0.01 else None
        if kind == "complaint":
            complaints.append(number)
        tasks.append((task_id, ids["site_id"], f"resident.{kind}", f"Bench {kind} {number}", "", status, "normal",
                      agent, ids["supervisor_id"], due, overdue, status not in ("closed", "cancelled"), replied, resolved,
                      created, visited if satisfied else changed, 3, "resident", "case", unit, number))
        cases.append((number, ids["site_id"], task_id, unit, kind, "phone", CATEGORIES[rng.randrange(len(CATEGORIES))],
                      "normal", f"Bench {kind} {number}", reply_due, replied, "On it." if replied else "", satisfied,
                      int(rng.random() < 0.04), "", merged, created))
        if visited:
            revisits.append((len(revisits) + 1, ids["site_id"], unit, number, agent, "done", "phone", reached,
                             satisfied if reached else None, (5 if satisfied else 2) if reached else None, "", "", "",
                             visited, resolved))
    return tasks, cases, revisits


def _insert(columns: tuple[str, ...], table: str) -> str:
    return (f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 — table and columns are this module's constants
            f"VALUES ({', '.join('?' * len(columns))})")


async def _write_cases(url: str, tables: list[tuple[str, tuple[str, ...], list]]) -> None:
    """Bulk rows through the driver (as bench.data does for tasks): 100,000 cases one ORM
    call at a time would take longer than the benchmark."""
    if url.startswith("sqlite://"):
        connection = sqlite3.connect(Path(url[len("sqlite://"):].partition("?")[0]))
        connection.execute("PRAGMA synchronous=OFF")
        for table, columns, rows in tables:
            for chunk in _chunks(rows):
                connection.executemany(_insert(columns, table), [tuple(_sqlite_value(v) for v in row) for row in chunk])
        connection.commit()
        connection.execute("ANALYZE")
        connection.commit()
        connection.close()
        return
    import asyncpg

    connection = await asyncpg.connect(postgres_dsn(settings_for(url)))
    try:
        for table, columns, rows in tables:
            for chunk in _chunks(rows, 200_000):
                await connection.copy_records_to_table(table, records=chunk, columns=list(columns))
            await connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 — constants
                                     f"(SELECT max(id) FROM {table}))")
            await connection.execute(f"ANALYZE {table}")
    finally:
        await connection.close()


async def prepare(url: str, ids: dict, scale: float) -> dict:
    from decimal import Decimal

    from core.entities.models import Site, Unit
    from core.identity import services as identity
    from core.identity.models import Role, User
    from plugins.resident import fees
    from plugins.resident.models import Household

    units = max(200, int(FULL_UNITS * scale))
    site = await Site.get(id=ids["site_id"])
    supervisor = await User.get(id=ids["supervisor_id"])
    await identity.grant_membership(supervisor, site, await Role.get(name="manager"))
    rows = [Unit(site_id=site.id, code=f"{'ABCDEFGHIJ'[n % 10]}-{n:06d}", kind="apartment",
                 building=f"Tower {'ABCDEFGHIJ'[n % 10]}", floor=str(n % 30 + 1)) for n in range(units)]
    for start in range(0, units, 1000):
        await Unit.bulk_create(rows[start:start + 1000])
    unit_ids = list(await Unit.filter(site_id=site.id).order_by("id").values_list("id", flat=True))
    households = [Household(site_id=site.id, unit_id=unit_id, area=Decimal(50 + n % 60)) for n, unit_id in enumerate(unit_ids)]
    for start in range(0, len(households), 1000):
        await Household.bulk_create(households[start:start + 1000])
    from core.actors import Actor

    await fees.set_schedule(site, {"unit_kind": "apartment", "fixed": "800", "per_sqm": "30"}, Actor(supervisor))
    # Two past periods billed so the arrears list has age buckets to fill.
    for period in ("2026-01", "2026-02"):
        await fees.billing_run(site, period, Actor(supervisor))
    campaign_size = max(50, int(FULL_CAMPAIGN * scale))
    tasks, cases, revisits = case_year(max(1000, int(FULL_CASES * scale)), ids, unit_ids)
    await _write_cases(url, [("core_task", CASE_TASK_COLUMNS, tasks), ("resident_case", CASE_COLUMNS, cases),
                             ("resident_revisit", REVISIT_COLUMNS, revisits)])
    return {"units": units, "campaign_units": unit_ids[:campaign_size], "cases": len(cases),
            "case revisits": len(revisits)}


def _timed(client: httpx.Client, method: str, url: str, **kwargs) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.request(method, url, **kwargs)
    return (time.perf_counter() - started) * 1000, response


def _single(name: str, timings: list[float], errors: int) -> loadgen.Result:
    ordered = sorted(timings)
    return loadgen.Result(name=name, requests=len(ordered), rps=0.0, p50_ms=statistics.median(ordered),
                          p99_ms=ordered[-1], errors=errors)


def measure(server_url: str, database_url: str, backend: str, context: dict, seconds: int) -> Section:
    token = servers.token(server_url, "benchsup", PASSWORD)
    auth = {"Authorization": f"Bearer {token}"}
    base = f"{server_url}/api/v1/sites/bench/resident"
    results, notes = [], []
    with httpx.Client(headers=auth, timeout=120) as client:
        billing, errors, created = [], 0, 0
        for period in ("2026-03", "2026-04", "2026-03"):  # the repeat must create nothing
            elapsed, response = _timed(client, "POST", f"{base}/billing-runs", json={"period": period})
            billing.append(elapsed)
            errors += response.status_code != 201
            created = response.json().get("created", -1) if response.status_code == 201 else -1
        results.append(_single(f"POST billing run, {context['units']:,} units (2 periods + 1 repeat)", billing, errors))
        notes.append(f"The repeated billing run for 2026-03 created {created} bills.")
        agents = context["ids"]["agent_ids"][:AGENTS]
        distribute, errors = [], 0
        for number in range(3):
            response = client.post(f"{base}/campaigns", json={
                "name": f"Bench campaign {number}", "agent_ids": agents,
                "rule": {"kind": "manual", "unit_ids": context["campaign_units"]}})
            elapsed, response = _timed(client, "POST", f"{base}/campaigns/{response.json()['id']}/distribute")
            distribute.append(elapsed)
            errors += response.status_code != 200
            loads = list(response.json().get("loads", {}).values()) or [0]
        results.append(_single(f"POST distribute {len(context['campaign_units']):,} households over {AGENTS} agents",
                               distribute, errors))
        notes.append(f"Open revisit loads after the third campaign: min {min(loads)}, max {max(loads)}.")
    results.append(loadgen.wrk("GET arrears with age buckets, page of 50 (1 connection)",
                               f"{base}/arrears?as_of=2026-05-20&limit=50", seconds=seconds, headers=auth, connections=1))
    results.append(loadgen.wrk("GET arrears with age buckets, page of 50 (8 connections)",
                               f"{base}/arrears?as_of=2026-05-20&limit=50", seconds=seconds, headers=auth))
    today = dt.datetime.now(UTC).date()
    year = f"from={today - dt.timedelta(days=365)}&to={today}"
    results.append(loadgen.wrk(f"GET complaint KPIs for a year, {context['cases']:,} cases (1 connection)",
                               f"{base}/kpis?{year}", seconds=seconds, headers=auth, connections=1))
    with httpx.Client(headers=auth, timeout=120) as client:
        kpis = client.get(f"{base}/kpis?{year}").json()
    notes.append(f"A year of {context['cases']:,} cases (30% complaints) with {context['case revisits']:,} revisits: "
                 f"{kpis['complaints']:,} complaints, on-time reply {kpis['on_time_reply_rate']}, standard handling "
                 f"{kpis['standard_handling_rate']}, satisfaction {kpis['satisfaction_rate']}.")
    section = Section(results=results, notes=notes,
                      sizes={"units": context["units"], "households": context["units"], "bills": context["units"] * 4,
                             "cases": context["cases"], "case revisits": context["case revisits"]})
    billing, distributing, arrears, kpis_year = results[0], results[1], results[2], results[4]
    section.check("resident", f"billing run < {BILLING_MS / 1000:.0f} s, 20,000 units", f"{billing.p99_ms:,.0f} ms",
                  billing.errors == 0 and billing.p99_ms < BILLING_MS)
    section.check("resident", f"arrears list p50 < {ARREARS_P50_MS} ms", f"{arrears.p50_ms:.1f} ms",
                  arrears.errors == 0 and arrears.p50_ms < ARREARS_P50_MS)
    section.check("resident", f"distributing 5,000 households < {DISTRIBUTE_MS / 1000:.0f} s",
                  f"{distributing.p99_ms:,.0f} ms", distributing.errors == 0 and distributing.p99_ms < DISTRIBUTE_MS)
    section.check("resident", f"KPIs for a year p50 < {KPIS_P50_MS} ms, 100,000 cases", f"{kpis_year.p50_ms:.1f} ms",
                  kpis_year.errors == 0 and kpis_year.p50_ms < KPIS_P50_MS)
    return section
