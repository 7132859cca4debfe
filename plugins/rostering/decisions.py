"""A request's decision as one versioned step, the same for swaps and leave.

``refuse_unless`` answers 409 before any work when the request is no longer in a state the
action takes, or the caller read an older version. ``claim`` is the change itself, made first
inside the caller's transaction: the update names the version and the states it expects, so
of two racing decisions one updates the row (on PostgreSQL taking its lock until the commit)
and the other finds nothing to update and gets 409 with the request as it now is.
"""

from __future__ import annotations

from typing import Any, Callable

from tortoise.models import Model

from core.clock import utcnow
from core.problems import Problem


def refuse_unless(record: Model, version: int, statuses: tuple[str, ...], message: str,
                  out: Callable[[Any], dict], stale: str) -> None:
    if record.status not in statuses:
        raise Problem(409, message, current=out(record))
    if version != record.version:
        raise Problem(409, stale, current=out(record))


async def claim(record: Model, version: int, statuses: tuple[str, ...], out: Callable[[Any], dict], stale: str,
                **changes: Any) -> None:
    updated = await type(record).filter(id=record.id, version=version, status__in=list(statuses)).update(
        version=version + 1, updated_at=utcnow(), **changes)
    if not updated:
        await record.refresh_from_db()
        raise Problem(409, stale, current=out(record))
