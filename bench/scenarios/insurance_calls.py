"""Insurance phone desk benchmarks (issues 8 and 16).

With 1,000,000 calls over a year: caller lookup by phone, plate and policy number (the
screen pop), logging a call (call row, audit entry), and the KPIs for a month (about
83,000 calls, with the callbacks, complaints and revisits the KPIs count).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from pathlib import Path

from bench import loadgen, servers
from bench.data import PASSWORD, TASK_COLUMNS, _chunks, _sqlite_value, postgres_dsn, settings_for
from bench.scenarios import Section

TITLE = "Insurance phone desk"
TARGETS = ("with 1,000,000 calls: lookup by phone, plate or policy p50 < 20 ms; logging a call p50 < 10 ms; "
           "the KPIs for a month p50 < 200 ms")
FULL_CALLS = 1_000_000
#: Issue targets, in milliseconds.
LOOKUP_P50_MS = 20
LOG_P50_MS = 10
KPIS_P50_MS = 200
UTC = dt.timezone.utc
CALL_COLUMNS = ("id", "site_id", "direction", "started_at", "ended_at", "handle_seconds", "agent_id", "phone",
                "caller_name", "plate", "policy_no", "call_type", "summary", "answer", "outcome", "type_fields",
                "created_at", "follow_up_at", "satisfied", "task_id", "follow_up_task_id", "complaint_task_id")
CALL_TASK_COLUMNS = (*TASK_COLUMNS, "parent_id", "subject_id")
TYPES = ("quote", "vehicle_price", "compulsory_claim_lookup", "claim_consultation", "card_activation", "other",
         "renewal", "care_callback")
PROVINCES = "粤湘京沪浙苏川鄂"
#: The calls' tasks get ids above the tasks scenario's (it writes ids 1 to 1,000,000 itself).
FIRST_TASK_ID = 10_000_001
YEAR = dt.timedelta(days=365)


def _phone(n: int) -> str:
    return f"13{n:09d}"


def _plate(n: int) -> str:
    return f"{PROVINCES[n % len(PROVINCES)]}B{n % 100000:05d}"


def _policy(n: int) -> str:
    return f"PDAA2026{n:014d}"


class CallLog:
    """A year of a phone desk, in the order it happened: calls logged as they are made
    (so ids grow with time, as in a real table), 3% promising a callback, 0.5% complaints
    with their revisit, and the outbound calls that did those callbacks and revisits.

    ``calls()`` yields the calls the first ``count`` ids hold; the tasks and the calls that
    carried them out are gathered on the way (``tasks``, ``later_calls``), the same on every
    pass."""

    def __init__(self, count: int, ids: dict, seed: int = 8):
        self.count, self.ids, self.seed = count, ids, seed
        self.now = dt.datetime.now(UTC).replace(microsecond=0)
        self.tasks: list[tuple] = []
        self.later_calls: list[tuple] = []

    def _task(self, kind: str, call_id: int, created: dt.datetime, due: dt.datetime, resolved: dt.datetime | None,
              closed: dt.datetime | None, agent: int, parent: int | None = None) -> int:
        task_id = FIRST_TASK_ID + len(self.tasks)
        resolved = resolved if resolved is not None and resolved <= self.now else None
        closed = closed if resolved is not None and closed is not None and closed <= self.now else None
        status = "closed" if closed else "resolved" if resolved else "open"
        self.tasks.append((task_id, self.ids["site_id"], f"insurance_calls.{kind}", f"Bench {kind} {call_id}", "",
                           status, "normal", agent, agent, due, resolved is None and due < self.now, closed is None,
                           resolved, resolved, created, closed or resolved or created, 4, "insurance_calls", "call",
                           parent, call_id))
        return task_id

    def _later_call(self, started: dt.datetime, agent: int, caller: int, task_id: int,
                    satisfied: bool | None) -> None:
        if started > self.now:
            return
        number = self.count + len(self.later_calls) + 1
        self.later_calls.append(
            (number, self.ids["site_id"], "outbound", started, started + dt.timedelta(seconds=180), 180, agent,
             _phone(caller), "Caller", _plate(caller), "", "care_callback", "Called back", "Done", "resolved", "{}",
             started, None, satisfied, task_id, None, None))

    def calls(self):
        rng = random.Random(self.seed)
        self.tasks, self.later_calls = [], []
        callers = max(1, self.count // 5)
        agents = self.ids["agent_ids"]
        first = self.now - YEAR
        spacing = YEAR / self.count
        for number in range(1, self.count + 1):
            caller = rng.randrange(callers)
            started = first + spacing * (number - 1) + spacing * rng.random()
            started = started.replace(microsecond=0)
            seconds = rng.randrange(30, 900)
            agent = agents[rng.randrange(len(agents))]
            ended = started + dt.timedelta(seconds=seconds)
            draw = rng.random()
            outcome, follow_up_at, follow_up_task, complaint_task = "resolved", None, None, None
            if draw < 0.03:
                outcome, follow_up_at = "follow_up", ended + dt.timedelta(hours=rng.randrange(1, 48))
                # 90% called back before the promised time, the rest up to a day late
                done = follow_up_at - dt.timedelta(minutes=rng.randrange(5, 60)) if rng.random() < 0.9 else \
                    follow_up_at + dt.timedelta(minutes=rng.randrange(5, 24 * 60))
                follow_up_task = self._task("callback", number, ended, follow_up_at, done, done, agent)
                self._later_call(done, agent, caller, follow_up_task, None)
            elif draw < 0.035:
                outcome = "complaint"
                due = ended + dt.timedelta(hours=24)
                replied = ended + dt.timedelta(hours=rng.randrange(1, 30))  # about 1 in 5 late
                revisited = replied + dt.timedelta(hours=rng.randrange(2, 60))
                satisfied = rng.random() < 0.92
                # the complaint closes when its revisit finds the customer satisfied
                complaint_task = self._task("complaint", number, ended, due, replied, revisited if satisfied else None,
                                            self.ids["supervisor_id"])
                revisit = self._task("revisit", number, ended, due + dt.timedelta(hours=48), revisited, revisited,
                                     agent, parent=complaint_task)
                self._later_call(revisited, agent, caller, revisit, satisfied)
            elif draw < 0.10:
                outcome = "transferred"
            yield (number, self.ids["site_id"], "outbound" if draw > 0.92 else "inbound", started, ended, seconds,
                   agent, _phone(caller), "Caller", _plate(caller), _policy(caller) if caller % 2 == 0 else "",
                   TYPES[rng.randrange(len(TYPES))], "Asked about the quote", "Answered", outcome, "{}", started,
                   follow_up_at, None, None, follow_up_task, complaint_task)


async def _grant_call_agents(ids: dict) -> None:
    from core.entities.models import Site
    from core.identity import services as identity
    from core.identity.models import Role, User

    site = await Site.get(id=ids["site_id"])
    role = await Role.get(name="call_agent")
    for user in await User.filter(id__in=ids["agent_ids"]):
        await identity.grant_membership(user, site, role)


def _insert(columns: tuple[str, ...], table: str) -> str:
    return (f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 — table and columns are this module's constants
            f"VALUES ({', '.join('?' * len(columns))})")


async def prepare(url: str, ids: dict, scale: float) -> dict:
    count = max(1000, int(FULL_CALLS * scale))
    await _grant_call_agents(ids)
    log = CallLog(count, ids)
    for _call in log.calls():  # a first pass gathers the tasks: calls refer to them
        pass
    if url.startswith("sqlite://"):
        path = Path(url[len("sqlite://"):].partition("?")[0])
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA synchronous=OFF")
        connection.executemany(_insert(CALL_TASK_COLUMNS, "core_task"),
                               [tuple(_sqlite_value(v) for v in row) for row in log.tasks])
        for chunk in _chunks(log.calls()):
            connection.executemany(_insert(CALL_COLUMNS, "insurance_calls_call"),
                                   [tuple(_sqlite_value(v) for v in row) for row in chunk])
            connection.commit()
        connection.executemany(_insert(CALL_COLUMNS, "insurance_calls_call"),
                               [tuple(_sqlite_value(v) for v in row) for row in log.later_calls])
        connection.execute("ANALYZE")
        connection.commit()
        connection.close()
    else:
        import asyncpg

        connection = await asyncpg.connect(postgres_dsn(settings_for(url)))
        try:
            await connection.copy_records_to_table("core_task", records=log.tasks, columns=list(CALL_TASK_COLUMNS))
            for chunk in _chunks(log.calls(), 200_000):
                await connection.copy_records_to_table("insurance_calls_call", records=chunk,
                                                       columns=list(CALL_COLUMNS))
            await connection.copy_records_to_table("insurance_calls_call", records=log.later_calls,
                                                   columns=list(CALL_COLUMNS))
            for table in ("insurance_calls_call", "core_task"):
                await connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 — constants
                                         f"(SELECT max(id) FROM {table}))")
            await connection.execute("ANALYZE insurance_calls_call")
            await connection.execute("ANALYZE core_task")
        finally:
            await connection.close()
    return {"calls": count + len(log.later_calls), "tasks": len(log.tasks)}


def measure(server_url: str, database_url: str, backend: str, context: dict, seconds: int) -> Section:
    agent = {"Authorization": f"Bearer {servers.token(server_url, 'bench00', PASSWORD)}"}
    supervisor = {"Authorization": f"Bearer {servers.token(server_url, 'benchsup', PASSWORD)}"}
    base = f"{server_url}/api/v1/sites/bench/insurance"
    caller = 4  # an even caller: has a policy number
    log_body = json.dumps({"direction": "inbound", "phone": "13912345678", "call_type": "other",
                           "summary": "Asked for the branch address", "outcome": "resolved"})
    now = dt.datetime.now(UTC)
    month = f"from={(now - dt.timedelta(days=30)).strftime('%Y-%m-%dT%H:%M:%SZ')}&to={now.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    plate = _plate(caller)
    from urllib.parse import quote

    results = [
        loadgen.wrk("GET lookup by phone (1 connection)", f"{base}/lookup?phone={_phone(caller)}", seconds=seconds,
                    headers=agent, connections=1),
        loadgen.wrk("GET lookup by plate (1 connection)", f"{base}/lookup?plate={quote(plate)}", seconds=seconds,
                    headers=agent, connections=1),
        loadgen.wrk("GET lookup by policy number (1 connection)", f"{base}/lookup?policy_no={_policy(caller)}",
                    seconds=seconds, headers=agent, connections=1),
        loadgen.wrk("GET lookup by phone (8 connections)", f"{base}/lookup?phone={_phone(caller)}", seconds=seconds,
                    headers=agent),
        loadgen.wrk("POST log a call (1 connection)", f"{base}/calls", seconds=seconds, method="POST", body=log_body,
                    headers={**agent, "Content-Type": "application/json"}, connections=1),
        loadgen.wrk("POST log a call (4 connections)", f"{base}/calls", seconds=seconds, method="POST", body=log_body,
                    headers={**agent, "Content-Type": "application/json"}, connections=4),
        loadgen.wrk("GET KPIs for a month (1 connection)", f"{base}/kpis?{month}", seconds=seconds,
                    headers=supervisor, connections=1),
    ]
    section = Section(results=results, sizes={"calls": context["calls"], "call tasks": context["tasks"]},
                      notes=["Calls spread over a year in the order they were logged (a month is about 1/12 of them), "
                             "about 5 calls per caller, 3% promising a callback and 0.5% complaints (each with a "
                             "revisit), and the outbound calls that did them; each lookup by an agent with the "
                             "personal-data permission writes an audit entry."])
    lookups = results[:3]
    slowest = max(lookups, key=lambda result: result.p50_ms)
    section.check("insurance", f"lookup by phone, plate or policy p50 < {LOOKUP_P50_MS} ms, 1M calls",
                  f"{slowest.p50_ms:.1f} ms", all(r.errors == 0 and r.p50_ms < LOOKUP_P50_MS for r in lookups))
    logging = results[4]
    section.check("insurance", f"log a call p50 < {LOG_P50_MS} ms", f"{logging.p50_ms:.1f} ms",
                  logging.errors == 0 and logging.p50_ms < LOG_P50_MS)
    kpis = results[6]
    section.check("insurance", f"KPIs for a month p50 < {KPIS_P50_MS} ms, 1M calls", f"{kpis.p50_ms:.1f} ms",
                  kpis.errors == 0 and kpis.p50_ms < KPIS_P50_MS)
    return section
