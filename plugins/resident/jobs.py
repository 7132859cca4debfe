"""Work beside the server: revisits past their due time become overdue, as tasks do.

Every ``overdue_check_seconds`` (the setting core's overdue pass obeys; 0: off), on a
``core.timers`` timer. Several workers may run it: the conditional update in
``mark_overdue_revisits`` marks each once.
"""

from __future__ import annotations

import logging

from core.timers import repeat
from plugins.resident import services

log = logging.getLogger("frontdesk.resident")


def start(app) -> None:
    if getattr(app.state, "pending_migrations", None):
        return
    every_seconds = int(getattr(app.state.settings, "overdue_check_seconds", 60) or 0)
    repeat(app, every_seconds, check, name="the revisit overdue pass")


async def check(app) -> int:
    marked = await services.mark_overdue_revisits(app.state.tasks.bus)
    if marked:
        log.info("marked %s revisit(s) overdue", marked)
    return marked
