"""Benchmark databases: migrated through Frontdesk, bulk-filled with realistic rows.

People and sites go through the services (as a real installation makes them); the
million-row tables are written with the drivers' bulk paths (sqlite3 ``executemany``,
asyncpg ``COPY``), because inserting 10,000,000 history rows one ORM call at a time would
take longer than the benchmark itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sqlite3
from pathlib import Path

from core.database import apply_migrations, open_database, postgres_dsn
from core.entities import services as entities
from core.identity import services as identity
from core.identity.models import Role
from core.identity.services import sync_roles_and_permissions
from core.plugins import load_plugins
from core.settings import Settings

PASSWORD = "bench-password-1"
AGENTS = 50
CHUNK = 50_000
UTC = dt.timezone.utc

TASK_COLUMNS = ("id", "site_id", "type", "title", "description", "status", "priority", "assignee_id",
                "created_by_id", "due_at", "overdue", "is_open", "first_response_at", "resolved_at",
                "created_at", "updated_at", "version", "subject_plugin", "subject_kind")
EVENT_COLUMNS = ("id", "task_id", "site_id", "at", "actor_id", "kind", "from_status", "to_status", "note")


def settings_for(url: str) -> Settings:
    return Settings(database_url=url, secret_key="bench-secret-key-" + "x" * 32)


async def prepare_database(url: str) -> dict:
    """Migrate and create the bench site with a supervisor and agents; returns ids."""
    settings = settings_for(url)
    host = load_plugins()
    async with open_database(settings, host):
        await apply_migrations(host)
        return await _people(host)


async def _people(host) -> dict:
    """The bench site (residential), a supervisor, a manager and 50 agents, through the
    services. The manager is a reader without the personal-data permission: the calls list
    shows it callers' numbers masked, so its requests write no audit entry and compare
    with the raw driver's read alone."""
    await sync_roles_and_permissions(host)
    site = await entities.create_site({"code": "bench", "name": "Benchmark Estate", "kind": "residential",
                                       "timezone": "Asia/Taipei", "currency": "TWD"})
    roles = {role.name: role for role in await Role.all()}
    supervisor = await identity.create_user("benchsup", PASSWORD)
    await identity.grant_membership(supervisor, site, roles["supervisor"])
    manager = await identity.create_user("benchmgr", PASSWORD)
    await identity.grant_membership(manager, site, roles["manager"])
    agents = []
    for number in range(AGENTS):
        agent = await identity.create_user(f"bench{number:02d}", PASSWORD)
        await identity.grant_membership(agent, site, roles["agent"])
        agents.append(agent.id)
    return {"site_id": site.id, "supervisor_id": supervisor.id, "manager_id": manager.id, "agent_ids": agents}


def task_rows(count: int, ids: dict, seed: int = 7):
    """Tasks over the past year; about 5% still open, the rest closed, each with the
    times its history would have written."""
    rng = random.Random(seed)
    now = dt.datetime.now(UTC)
    agents = ids["agent_ids"]
    for task_id in range(1, count + 1):
        created = now - dt.timedelta(seconds=rng.randint(60, 365 * 24 * 3600))
        is_open = rng.random() < 0.05
        status = rng.choice(("open", "in_progress", "waiting")) if is_open else "closed"
        responded = created + dt.timedelta(minutes=rng.randint(1, 180))
        resolved = None if is_open else responded + dt.timedelta(hours=rng.randint(1, 72))
        due = created + dt.timedelta(hours=24)
        yield (task_id, ids["site_id"], "core.general", f"Work order {task_id}", "", status,
               rng.choice(("low", "normal", "normal", "high")), agents[task_id % len(agents)], ids["supervisor_id"],
               due, is_open and due < now, is_open, responded, resolved, created, resolved or responded, 4, "", "")


def event_rows(tasks: int, per_task: int, ids: dict):
    """``per_task`` history events for each task: created, assigned, then alternating
    transitions and comments."""
    event_id = 0
    base = dt.datetime.now(UTC) - dt.timedelta(days=366)
    kinds = ("created", "assigned", "transitioned", "commented", "transitioned", "commented", "transitioned",
             "commented", "transitioned", "commented")
    for task_id in range(1, tasks + 1):
        agent = ids["agent_ids"][task_id % len(ids["agent_ids"])]
        for step in range(per_task):
            event_id += 1
            kind = kinds[step % len(kinds)]
            yield (event_id, task_id, ids["site_id"], base + dt.timedelta(seconds=task_id * 30 + step), agent, kind,
                   "open" if kind == "transitioned" else None, "in_progress" if kind == "transitioned" else None,
                   "Called the resident back." if kind == "commented" else "")


def _sqlite_value(value):
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, bool):
        return int(value)
    return value


def _chunks(rows, size=CHUNK):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def fill_sqlite(path: Path, tasks: int, events_per_task: int, ids: dict) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")  # only while loading; the server runs FULL
    for table, columns, rows in (("core_task", TASK_COLUMNS, task_rows(tasks, ids)),
                                 ("core_task_event", EVENT_COLUMNS, event_rows(tasks, events_per_task, ids))):
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 — table and columns are this module's constants
        for chunk in _chunks(rows):
            connection.executemany(sql, [tuple(_sqlite_value(v) for v in row) for row in chunk])
            connection.commit()
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()


async def fill_postgres(url: str, tasks: int, events_per_task: int, ids: dict) -> None:
    import asyncpg

    connection = await asyncpg.connect(postgres_dsn(settings_for(url)))
    try:
        for table, columns, rows in (("core_task", TASK_COLUMNS, task_rows(tasks, ids)),
                                     ("core_task_event", EVENT_COLUMNS, event_rows(tasks, events_per_task, ids))):
            for chunk in _chunks(rows, 200_000):
                await connection.copy_records_to_table(table, records=chunk, columns=list(columns))
            await connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608, E501 — table is a constant above
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def _admin(sql: str, admin_url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def fresh_postgres(admin_url: str, name: str) -> str:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin_url))
    asyncio.run(_admin(f'CREATE DATABASE "{name}"', admin_url))
    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{name}"


def drop_postgres(admin_url: str, name: str) -> None:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin_url))
