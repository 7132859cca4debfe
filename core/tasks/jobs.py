"""Periodic work beside the server: marking overdue tasks.

Several workers may run this loop. On PostgreSQL an advisory lock lets one worker at a
time do the pass; the conditional update in ``mark_overdue`` keeps each mark single even
where no such lock exists (SQLite, which serialises writers anyway).
"""

from __future__ import annotations

import asyncio
import logging

from tortoise.connection import get_connection

log = logging.getLogger("frontdesk.jobs")

# An arbitrary 64-bit key naming "the overdue pass" among PostgreSQL advisory locks.
OVERDUE_LOCK_KEY = 0x46445F4F56455244  # "FD_OVERD"


async def overdue_pass(kernel, is_postgres: bool) -> int:
    if not is_postgres:
        return await kernel.mark_overdue()
    connection = get_connection("default")
    async with connection.acquire_connection() as raw:
        if not await raw.fetchval("SELECT pg_try_advisory_lock($1)", OVERDUE_LOCK_KEY):
            return 0  # another worker is doing this pass
        try:
            return await kernel.mark_overdue()
        finally:
            await raw.execute("SELECT pg_advisory_unlock($1)", OVERDUE_LOCK_KEY)


async def run_overdue_loop(kernel, is_postgres: bool, every_seconds: int) -> None:
    while True:
        try:
            marked = await overdue_pass(kernel, is_postgres)
            if marked:
                log.info("marked %s task(s) overdue", marked)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("overdue pass failed; retrying at the next interval")
        await asyncio.sleep(every_seconds)
