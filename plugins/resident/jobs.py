"""Work beside the server: revisits past their due time become overdue, as tasks do.

A timer (``call_later``) every ``overdue_check_seconds`` (the setting core's overdue pass
obeys; 0: off), not a sleeping task, so that a stopping app leaves nothing pending. Several
workers may run it: the conditional update in ``mark_overdue_revisits`` marks each once.
"""

from __future__ import annotations

import asyncio
import logging

from plugins.resident import services

log = logging.getLogger("frontdesk.resident")


def start(app) -> None:
    every_seconds = int(getattr(app.state.settings, "overdue_check_seconds", 60) or 0)
    if not every_seconds or getattr(app.state, "pending_migrations", None):
        return
    loop = asyncio.get_running_loop()

    def tick() -> None:
        if app.state.db_context is None:  # the app has stopped
            return
        app.state.resident_overdue_check = loop.create_task(check(app))
        loop.call_later(every_seconds, tick)

    loop.call_later(every_seconds, tick)


async def check(app) -> int:
    try:
        marked = await services.mark_overdue_revisits(app.state.tasks.bus)
    except Exception:
        log.exception("revisit overdue pass failed; retrying at the next check")
        return 0
    if marked:
        log.info("marked %s revisit(s) overdue", marked)
    return marked
