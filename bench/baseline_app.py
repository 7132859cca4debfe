"""Baselines measured in the same run as Frontdesk, so each figure is also a ratio:

- ``/bare``: a bare Starlette JSON endpoint (the framework's floor);
- ``/raw-tasks``: the query behind "my open tasks, page of 50" through the raw driver
  (asyncpg or aiosqlite), rendered as JSON by Starlette: no ORM, no auth, no validation.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

QUERY = ("SELECT id, type, title, description, status, priority, assignee_id, unit_id, party_id, parent_id, "
         "due_at, overdue, created_at, updated_at, version FROM core_task "
         "WHERE site_id = {p1} AND assignee_id = {p2} AND is_open = {true} ORDER BY id DESC LIMIT 51")


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

    async def raw_tasks(request):
        site_id, assignee_id = int(request.query_params["site_id"]), int(request.query_params["assignee_id"])
        if "sqlite" in state:
            cursor = await state["sqlite"].execute(QUERY.format(p1="?", p2="?", true="1"), (site_id, assignee_id))
            rows = [dict(row) for row in await cursor.fetchall()]
        else:
            rows = [dict(row) for row in await state["pool"].fetch(QUERY.format(p1="$1", p2="$2", true="true"),
                                                                    site_id, assignee_id)]
        items = [{**row, "due_at": str(row["due_at"]), "created_at": str(row["created_at"]),
                  "updated_at": str(row["updated_at"])} for row in rows[:50]]
        return JSONResponse({"items": items, "next_cursor": str(rows[-1]["id"]) if len(rows) > 50 else None})

    return Starlette(routes=[Route("/bare", bare), Route("/raw-tasks", raw_tasks), Route("/healthz", bare)],
                     lifespan=lifespan)
