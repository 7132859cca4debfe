"""Parity of the two ways in: an action done through the API and the same action done
through its page form must leave the same footprint.

Pages and the API call the same services; what a handler does besides (a live event, a
task, an audit entry) is where they drift apart. ``parity.check(...)`` runs the action
each way on a fresh copy of the same demo database and compares what it left: the live
events published on the app's ``EventBus``, the audit actions and task events written,
and how many rows each table gained or lost::

    def test_close_shift(parity):
        parity.check("cashier",
                     api=("POST", "/api/v1/sites/lotus/cashier/shifts", {...}),
                     page=("/sites/lotus/cashier/open", {"register_id": "1", ...}),
                     prepare=lambda server: {...})

``api`` and ``page`` may also be functions of what ``prepare(server)`` returned (ids,
versions), so both runs start from the same state made the same way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import pytest

from core.testing.servers import AppUnderTest, InProcessApp

#: Tables that differ by the way in rather than by the action: a browser's session, a
#: bearer token, a stored Idempotency-Key answer, failed sign-ins.
WAY_IN_TABLES = frozenset({"core_user_session", "core_api_token", "core_idempotency_record", "core_login_failure"})

ApiSpec = tuple  # (method, path, json) or (method, path, json, headers)
PageSpec = tuple  # (path, form fields)


@dataclass
class Footprint:
    """What one run of an action left behind."""

    status: int
    events: list[str] = field(default_factory=list)
    audit: list[str] = field(default_factory=list)
    task_events: list[str] = field(default_factory=list)
    #: Rows gained (or lost, negative) per table; tables left as they were are omitted.
    rows: dict[str, int] = field(default_factory=dict)

    def comparable(self) -> dict[str, Any]:
        return {"events": self.events, "audit": self.audit, "task_events": self.task_events, "rows": self.rows}


class _Recorder:
    """Stands in the bus's subscriptions and keeps every event's name, whatever its site
    or permission (a real subscription sees one site's events only)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def wants(self, _event: Any) -> bool:
        return True

    def offer(self, event: Any) -> None:
        if event is not None:
            self.names.append(event.name)


async def _tables() -> list[str]:
    from tortoise.connection import get_connection

    connection = get_connection("default")
    if connection.capabilities.dialect == "sqlite":
        sql = "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        sql = "SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema()"
    _count, rows = await connection.execute_query(sql)
    return sorted(row["t"] for row in rows)


async def _snapshot() -> dict[str, Any]:
    from tortoise.connection import get_connection

    connection = get_connection("default")
    counts = {}
    for table in await _tables():
        # The names come from the database's own catalogue, not from input.
        _count, rows = await connection.execute_query(f'SELECT count(*) AS n FROM "{table}"')  # noqa: S608
        counts[table] = int(rows[0]["n"])
    _count, rows = await connection.execute_query("SELECT coalesce(max(id), 0) AS n FROM core_audit_entry")
    last_audit = int(rows[0]["n"])
    _count, rows = await connection.execute_query("SELECT coalesce(max(id), 0) AS n FROM core_task_event")
    return {"counts": counts, "audit": last_audit, "task_event": int(rows[0]["n"])}


async def _written_since(before: dict[str, Any]) -> tuple[list[str], list[str]]:
    from tortoise.connection import get_connection

    connection = get_connection("default")
    # int() ids only: one statement for both dialects (their placeholders differ).
    _count, rows = await connection.execute_query(
        f"SELECT action FROM core_audit_entry WHERE id > {int(before['audit'])}")  # noqa: S608
    actions = sorted(row["action"] for row in rows)
    _count, rows = await connection.execute_query(
        f"SELECT kind FROM core_task_event WHERE id > {int(before['task_event'])}")  # noqa: S608
    return actions, sorted(row["kind"] for row in rows)


class Parity:
    """Runs an action the two ways, each on its own fresh copy of the demo database."""

    def __init__(self, store: Any, backend: str):
        self.store = store
        self.backend = backend
        self.runs: list[Footprint] = []

    def _start(self) -> tuple[AppUnderTest, str]:
        from core.app import create_app
        from core.testing.databases import backend_runs, settings_for

        backend_runs[self.backend] = backend_runs.get(self.backend, 0) + 1  # for the run's summary line
        url = self.store.fresh("demo")
        try:
            return InProcessApp(create_app(settings_for(url))), url
        except BaseException:
            self.store.discard(url)
            raise

    def run(self, username: str, way: str, spec: Any, prepare: Callable[[AppUnderTest], Any] | None = None,
            ignore_tables: frozenset[str] | set[str] = WAY_IN_TABLES) -> Footprint:
        """Do the action one ``way`` ("api" or "page") as ``username`` on a fresh database."""
        server, url = self._start()
        try:
            context = prepare(server) if prepare else None
            spec = spec(context) if callable(spec) else spec
            if way == "api":
                client = server.api_client(username)
                method, path, body, *rest = spec
                headers = {"Idempotency-Key": uuid.uuid4().hex, **(rest[0] if rest else {})}
            else:
                client = server.sign_in(username)
                path, form = spec
                # As every rendered money form carries one (the API run's Idempotency-Key).
                form = {"form_key": uuid.uuid4().hex, **form}
            before = server.call(_snapshot)
            recorder = _Recorder()
            bus = server.app.state.events
            bus.subscriptions.add(recorder)
            try:
                if way == "api":
                    response = client.request(method, path, json=body, headers=headers)
                else:
                    response = client.form_post(path, form)
            finally:
                bus.subscriptions.discard(recorder)
            after = server.call(_snapshot)
            audit, task_events = server.call(_written_since, before)
            rows = {table: after["counts"].get(table, 0) - count for table, count in before["counts"].items()
                    if table not in ignore_tables and after["counts"].get(table, 0) != count}
            expected = response.status_code < 300 if way == "api" else response.status_code == 303
            if not expected:
                raise AssertionError(f"{way} {path}: {response.status_code} {response.text[:800]}")
            footprint = Footprint(status=response.status_code, events=sorted(recorder.names), audit=audit,
                                  task_events=task_events, rows=rows)
            self.runs.append(footprint)
            return footprint
        finally:
            server.stop()
            self.store.discard(url)

    def check(self, username: str, *, api: ApiSpec | Callable[[Any], ApiSpec],
              page: PageSpec | Callable[[Any], PageSpec], prepare: Callable[[AppUnderTest], Any] | None = None,
              ignore_tables: frozenset[str] | set[str] = WAY_IN_TABLES) -> Footprint:
        """Assert the API call and the page form leave the same footprint; return it (so
        a test can also say what that footprint must hold)."""
        through_api = self.run(username, "api", api, prepare, ignore_tables)
        through_page = self.run(username, "page", page, prepare, ignore_tables)
        if through_page.comparable() != through_api.comparable():
            raise AssertionError(f"the page and the API differ:\n  api:  {through_api.comparable()}\n"
                                 f"  page: {through_page.comparable()}")
        return through_api


@pytest.fixture
def parity(database_backend, template_store) -> Iterator[Parity]:
    """``parity.check(username, api=..., page=..., prepare=...)``: see ``core.testing.parity``."""
    yield Parity(template_store, database_backend)
