"""The per-site log of live events: what a browser that lost its stream missed.

Every event the bus publishes is a row here first; the row's id is the event's id (one
sequence for the database, so increasing within each site), sent on the stream as the
server-sent ``id:``. A browser that reconnects sends back the last id it saw
(``Last-Event-ID``) and receives the rows after it that it may see, then the live events.

The log is bounded: ``prune`` (every ``PRUNE_SECONDS``, see ``core.app``) keeps the newest
``live_event_log_size`` rows of each site and drops rows older than
``live_event_log_minutes``, but never a site's newest row: an id at or after the oldest
kept row of its site can be replayed exactly; an older one cannot (``after`` says so, and
the stream answers with a ``resync`` event that makes the page reload its data).

Only the bus writes here (``core.events``): on PostgreSQL in the same statement as the
NOTIFY that carries the event to other processes.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

#: Seconds between two prunes of the log by each process.
PRUNE_SECONDS = 60
#: At most this many events are replayed to a reconnecting stream (more: a resync).
REPLAY_LIMIT = 1000


class LiveEventRecord(Model):
    """A live event as published, kept for streams that reconnect (Last-Event-ID)."""

    id = fields.BigIntField(primary_key=True)
    site_id = fields.IntField()
    name = fields.CharField(max_length=100)
    data = fields.JSONField()
    #: Only streams holding this permission at the site receive the event (none: every member).
    permission = fields.CharField(max_length=100, null=True)
    #: Users who receive it without the permission (a task's watchers).
    users = fields.JSONField(default=list)
    #: The publishing process's bus (other processes catch up on the rest after a reconnect).
    origin = fields.CharField(max_length=32)
    created_at = fields.DatetimeField()

    class Meta:
        table = "core_live_event"
        app = "core"
        table_description = "Live events as published, per site, kept a while for streams that reconnect"
        indexes = [Index(fields=["site_id", "id"])]


#: PostgreSQL: record the event and NOTIFY it with its id, in one statement (one round trip).
#: ``$7`` is the NOTIFY payload without its closing brace (the id completes it).
POSTGRES_APPEND = """
WITH e AS (
    INSERT INTO core_live_event (site_id, name, data, permission, users, origin, created_at)
    VALUES ($1, $2, $3::jsonb, $4, $5::jsonb, $6, now()) RETURNING id
)
SELECT id, pg_notify($8, $7 || ',"id":' || id || '}') FROM e
"""

#: PostgreSQL: what other processes published after ``$1`` (a reconnected bus catches up).
POSTGRES_AFTER = """
SELECT id, site_id, name, data::text AS data, permission, users::text AS users
FROM core_live_event WHERE id > $1 AND origin <> $2 ORDER BY id LIMIT $3
"""


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def row_values(row: Any) -> dict[str, Any]:
    """A row (a mapping) as the keyword arguments of a ``LiveEvent``."""
    return {"id": row["id"], "site_id": row["site_id"], "name": row["name"], "data": _decoded(row["data"]) or {},
            "permission": row["permission"], "users": tuple(_decoded(row["users"]) or ())}


async def append(site_id: int, name: str, data: dict, permission: str | None, users: tuple[int, ...],
                 origin: str) -> int:
    """Record an event through the app's database connection (SQLite; PostgreSQL when the
    bus's own connection is down); its id."""
    record = await LiveEventRecord.create(site_id=site_id, name=name, data=data, permission=permission,
                                          users=list(users), origin=origin,
                                          created_at=dt.datetime.now(dt.timezone.utc))
    return record.id


async def after(site_id: int, last_id: int, limit: int = REPLAY_LIMIT) -> list[dict[str, Any]] | None:
    """The site's events after ``last_id``, oldest first; None when some of them may be
    gone (``last_id`` older than the site's oldest kept row) or there are more than
    ``limit``: the stream then asks the page to resync. ``last_id`` 0 (the site had no
    event when the stream started): all the site's kept events."""
    if last_id > 0:
        oldest = await LiveEventRecord.filter(site_id=site_id).order_by("id").first().values_list("id", flat=True)
        if oldest is None:
            return []  # nothing recorded for the site: nothing missed
        if oldest > last_id:
            return None
    rows = await (LiveEventRecord.filter(site_id=site_id, id__gt=last_id).order_by("id").limit(limit + 1)
                  .values("id", "site_id", "name", "data", "permission", "users"))
    if len(rows) > limit:
        return None
    return [row_values(row) for row in rows]


async def newest(site_id: int) -> int | None:
    """The id of the site's newest recorded event."""
    return await LiveEventRecord.filter(site_id=site_id).order_by("-id").first().values_list("id", flat=True)


async def prune(keep: int, max_minutes: int, now: dt.datetime | None = None) -> int:
    """Drop each site's rows beyond its newest ``keep`` and those older than
    ``max_minutes`` (0: no age limit), never a site's newest row; how many were dropped."""
    now = now or dt.datetime.now(dt.timezone.utc)
    dropped = 0
    for site_id in await LiveEventRecord.all().distinct().values_list("site_id", flat=True):
        ids = await (LiveEventRecord.filter(site_id=site_id).order_by("-id").limit(1).offset(max(keep, 1) - 1)
                     .values_list("id", flat=True))
        if ids:  # more than keep rows: those before the keep-th newest go
            dropped += await LiveEventRecord.filter(site_id=site_id, id__lt=ids[0]).delete()
        if max_minutes:
            newest_id = await newest(site_id)
            dropped += await LiveEventRecord.filter(site_id=site_id, id__lt=newest_id,
                                                    created_at__lt=now - dt.timedelta(minutes=max_minutes)).delete()
    return dropped
