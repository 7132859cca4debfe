"""The retention job: once across hosts, on the server's timer and from the command line.

On PostgreSQL a session advisory lock (as the overdue pass, ``core.tasks.jobs``) lets one
process at a time run a pass; another that finds it taken does nothing and says so. SQLite
serves one host: a flag keeps two passes of one process (the timer and a slow previous
round) apart. The unique month of ``core_audit_archive`` keeps an archive single even so.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any, AsyncIterator

from tortoise.connection import get_connection

from core.retention.services import RunReport, run_policy
from core.settings import resolve_secret_key
from core.storage import storage_for
from core.timers import repeat

log = logging.getLogger("frontdesk.retention")

# An arbitrary 64-bit key naming "the retention pass" among PostgreSQL advisory locks.
RETENTION_LOCK_KEY = 0x46445F5245544E54  # "FD_RETNT"
_running_here: set[str] = set()


@contextlib.asynccontextmanager
async def held(settings: Any) -> AsyncIterator[bool]:
    """True inside when this process holds the retention lock; False when another has it."""
    if settings.is_sqlite:
        if settings.database_url in _running_here:
            yield False
            return
        _running_here.add(settings.database_url)
        try:
            yield True
        finally:
            _running_here.discard(settings.database_url)
        return
    connection = get_connection("default")
    # The lock lives on this one connection, held aside for the pass; the work uses others.
    async with connection.acquire_connection() as raw:
        if not await raw.fetchval("SELECT pg_try_advisory_lock($1)", RETENTION_LOCK_KEY):
            yield False
            return
        try:
            yield True
        finally:
            await raw.execute("SELECT pg_advisory_unlock($1)", RETENTION_LOCK_KEY)


async def run_once(settings: Any, secret: str, *, dry_run: bool = False, trigger: str = "cli", now=None) -> RunReport:
    """One pass of the policy unless another process is running one (``ran`` False)."""
    async with held(settings) as mine:
        if not mine:
            log.info("retention: another process is running the job; skipped")
            return RunReport(dry_run=dry_run, ran=False)
        return await run_policy(settings, storage_for(settings), secret, dry_run=dry_run, trigger=trigger, now=now)


def secret_of(settings: Any) -> str:
    return resolve_secret_key(settings, Path("var"))


def schedule(app: Any) -> None:
    """Run the job every ``retention_every_hours`` while ``app`` runs (not with migrations pending)."""
    settings = app.state.settings
    if getattr(app.state, "pending_migrations", None):
        return

    async def work(app: Any) -> None:
        await run_once(app.state.settings, app.state.secret_key, trigger="timer")

    repeat(app, settings.retention_every_hours * 3600, work, name="retention")
