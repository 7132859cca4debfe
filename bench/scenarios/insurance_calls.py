"""Insurance phone desk benchmarks (issue 8).

With 1,000,000 calls spread over a year: caller lookup by phone, plate and policy number
(the screen pop), logging a call (call row, audit entry), and the KPIs for a month.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from pathlib import Path

from bench import loadgen, servers
from bench.data import PASSWORD, _chunks, _sqlite_value, postgres_dsn, settings_for
from bench.scenarios import Section

TITLE = "Insurance phone desk"
TARGETS = ("with 1,000,000 calls: lookup by phone, plate or policy p50 < 20 ms; logging a call p50 < 10 ms; "
           "the KPIs for a month p50 < 200 ms")
FULL_CALLS = 1_000_000
UTC = dt.timezone.utc
CALL_COLUMNS = ("id", "site_id", "direction", "started_at", "ended_at", "handle_seconds", "agent_id", "phone",
                "caller_name", "plate", "policy_no", "call_type", "summary", "answer", "outcome", "type_fields",
                "created_at")
TYPES = ("quote", "vehicle_price", "compulsory_claim_lookup", "claim_consultation", "card_activation", "other",
         "renewal", "care_callback")
PROVINCES = "粤湘京沪浙苏川鄂"


def _phone(n: int) -> str:
    return f"13{n:09d}"


def _plate(n: int) -> str:
    return f"{PROVINCES[n % len(PROVINCES)]}B{n % 100000:05d}"


def _policy(n: int) -> str:
    return f"PDAA2026{n:014d}"


def call_rows(count: int, ids: dict, seed: int = 8):
    rng = random.Random(seed)
    now = dt.datetime.now(UTC).replace(microsecond=0)
    callers = max(1, count // 5)
    agents = ids["agent_ids"]
    for number in range(1, count + 1):
        caller = rng.randrange(callers)
        started = now - dt.timedelta(seconds=rng.randrange(365 * 24 * 3600))
        seconds = rng.randrange(30, 900)
        yield (number, ids["site_id"], "inbound", started, started + dt.timedelta(seconds=seconds), seconds,
               agents[rng.randrange(len(agents))], _phone(caller), "Caller", _plate(caller),
               _policy(caller) if caller % 2 == 0 else "", TYPES[rng.randrange(len(TYPES))], "Asked about the quote",
               "Answered", "resolved", "{}", started)


async def _grant_call_agents(ids: dict) -> None:
    from core.entities.models import Site
    from core.identity import services as identity
    from core.identity.models import Role, User

    site = await Site.get(id=ids["site_id"])
    role = await Role.get(name="call_agent")
    for user in await User.filter(id__in=ids["agent_ids"]):
        await identity.grant_membership(user, site, role)


async def prepare(url: str, ids: dict, scale: float) -> dict:
    calls = max(1000, int(FULL_CALLS * scale))
    await _grant_call_agents(ids)
    if url.startswith("sqlite://"):
        path = Path(url[len("sqlite://"):].partition("?")[0])
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA synchronous=OFF")
        sql = (f"INSERT INTO insurance_calls_call ({', '.join(CALL_COLUMNS)}) "  # noqa: S608 — CALL_COLUMNS is a constant
               f"VALUES ({', '.join('?' * len(CALL_COLUMNS))})")
        for chunk in _chunks(call_rows(calls, ids)):
            connection.executemany(sql, [tuple(_sqlite_value(v) for v in row) for row in chunk])
            connection.commit()
        connection.execute("ANALYZE")
        connection.commit()
        connection.close()
    else:
        import asyncpg

        connection = await asyncpg.connect(postgres_dsn(settings_for(url)))
        try:
            for chunk in _chunks(call_rows(calls, ids), 200_000):
                await connection.copy_records_to_table("insurance_calls_call", records=chunk,
                                                       columns=list(CALL_COLUMNS))
            await connection.execute("SELECT setval(pg_get_serial_sequence('insurance_calls_call', 'id'), "
                                     "(SELECT max(id) FROM insurance_calls_call))")
            await connection.execute("ANALYZE insurance_calls_call")
        finally:
            await connection.close()
    return {"calls": calls}


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
    return Section(results=results, sizes={"calls": context["calls"]},
                   notes=["Calls spread over a year (a month is about 1/12 of them), about 5 calls per caller; "
                          "each lookup by an agent with the personal-data permission writes an audit entry."])
