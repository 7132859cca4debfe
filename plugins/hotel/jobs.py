"""Work beside the server: the nightly job (night audit) loop.

Hooks that get no app (``on_task_event``) find the task kernel of the app running in
their event loop: one app per loop (per worker process, or per test server).
"""

from __future__ import annotations

import logging

from core.timers import repeat
from plugins.hotel import services

log = logging.getLogger("frontdesk.hotel")

CHECK_SECONDS = 60


def start(app, every_seconds: int = CHECK_SECONDS) -> None:
    """Look for due night audits every ``every_seconds`` (a ``core.timers`` timer)."""
    repeat(app, every_seconds, check, name="the night audit")


async def check(app) -> int:
    """Run the nightly job for the hotel sites whose local night-audit hour it is; once
    per site and day, whatever the number of workers (``NightAuditRun`` is unique per
    site and date)."""
    changed = await services.due_night_audits(app.state.tasks, window_only=True)
    if changed:
        log.info("night audit made %s occupied room(s) dirty", changed)
    return changed
