"""Baselines measured in the same run as Frontdesk, so each figure is also a ratio:

- ``/bare``: a bare Starlette JSON endpoint (the framework's floor);
- ``/raw-tasks``, ``/raw-calls``, ``/raw-units``: the query behind a Frontdesk list (a
  page of 50: "my open tasks", the insurance calls list, the units list) through the raw
  driver (asyncpg or aiosqlite), rendered as JSON by Starlette: no ORM, no auth, no
  validation, no masking. The same SQL as the endpoint, as Tortoise logs it: the columns
  its page returns, the same filter, order and ``LIMIT 51`` (50 and one to tell whether a
  next page exists), the same bound parameters.

The app imports nothing of Frontdesk, so the column lists below repeat the endpoints'
(``TASK_COLUMNS`` in core/tasks/services.py, ``CALL_COLUMNS`` in
plugins/insurance_calls/services.py, ``UnitOut``'s fields); change them together.
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Callable, Mapping

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

TASK_COLUMNS = ("id", "type", "title", "description", "status", "priority", "assignee_id", "unit_id", "party_id",
                "parent_id", "due_at", "overdue", "created_at", "updated_at", "version", "subject_plugin",
                "subject_kind", "subject_id", "created_by_id")
CALL_COLUMNS = ("id", "direction", "started_at", "ended_at", "handle_seconds", "agent_id", "phone", "caller_name",
                "plate", "policy_no", "call_type", "summary", "answer", "outcome", "follow_up_at", "type_fields",
                "satisfied", "follow_up_task_id", "complaint_task_id", "task_id", "created_at")
UNIT_COLUMNS = ("id", "code", "kind", "building", "floor", "name", "notes", "version")


@dataclass(frozen=True)
class ListQuery:
    """One list's SQL with ``?`` placeholders, bound as Tortoise binds them: the flag and
    the ``LIMIT`` too (PostgreSQL may plan a bound ``LIMIT`` differently from a literal)."""

    sql: str
    #: The bound values, in placeholder order, from the request's query string.
    values: Callable[[Mapping[str, str]], list]
    #: Columns the driver may return as datetimes (asyncpg): made text for JSON.
    datetimes: tuple[str, ...]


PAGE = 50


def _select(columns, rest: str) -> str:
    return f"SELECT {', '.join(columns)} {rest} LIMIT ?"


LISTS = {
    # GET /api/v1/sites/{site}/tasks?assignee_id=…&open=true&limit=50
    "tasks": ListQuery(_select(TASK_COLUMNS, "FROM core_task WHERE site_id = ? AND assignee_id = ? AND is_open = ? "
                                             "ORDER BY id DESC"),
                       lambda query: [int(query["site_id"]), int(query["assignee_id"]), True, PAGE + 1],
                       ("due_at", "created_at", "updated_at")),
    # GET /api/v1/sites/{site}/insurance/calls (default filters: none; newest first)
    "calls": ListQuery(_select(CALL_COLUMNS, "FROM insurance_calls_call WHERE site_id = ? ORDER BY id DESC"),
                       lambda query: [int(query["site_id"]), PAGE + 1],
                       ("started_at", "ended_at", "follow_up_at", "created_at")),
    # GET /api/v1/sites/{site}/units?limit=50
    "units": ListQuery(_select(UNIT_COLUMNS, "FROM core_unit WHERE site_id = ? ORDER BY id"),
                       lambda query: [int(query["site_id"]), PAGE + 1], ()),
}


def _numbered(sql: str) -> str:
    """``?`` placeholders as asyncpg's ``$1``, ``$2``, ..."""
    parts = sql.split("?")
    return parts[0] + "".join(f"${number}{part}" for number, part in enumerate(parts[1:], start=1))


def _text(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


def create_app() -> Starlette:
    url = os.environ["FRONTDESK_DATABASE_URL"]
    state: dict = {}

    @asynccontextmanager
    async def lifespan(app):
        if url.startswith("sqlite://"):
            import aiosqlite

            state["sqlite"] = await aiosqlite.connect(url[len("sqlite://"):].partition("?")[0])
            state["sqlite"].row_factory = aiosqlite.Row
        else:
            import asyncpg

            state["pool"] = await asyncpg.create_pool("postgresql://" + url.split("://", 1)[1], min_size=1, max_size=5)
        yield
        if "sqlite" in state:
            await state["sqlite"].close()
        else:
            await state["pool"].close()

    async def bare(request):
        return JSONResponse({"status": "ok"})

    async def rows_of(query: ListQuery, values: list) -> list[dict]:
        if "sqlite" in state:
            cursor = await state["sqlite"].execute(query.sql, values)
            return [dict(row) for row in await cursor.fetchall()]
        return [dict(row) for row in await state["pool"].fetch(_numbered(query.sql), *values)]

    def raw_list(query: ListQuery):
        async def endpoint(request):
            rows = await rows_of(query, query.values(request.query_params))
            items = [{**row, **{name: _text(row[name]) for name in query.datetimes}} for row in rows[:PAGE]]
            return JSONResponse({"items": items, "next_cursor": str(rows[-1]["id"]) if len(rows) > PAGE else None})

        return endpoint

    routes = [Route("/bare", bare), Route("/healthz", bare)]
    routes += [Route(f"/raw-{name}", raw_list(query)) for name, query in LISTS.items()]
    return Starlette(routes=routes, lifespan=lifespan)
