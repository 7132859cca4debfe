"""Work beside the server: the nightly job (night audit) loop.

Hooks that get no app (``on_task_event``) find the task kernel of the app running in
their event loop: one app per loop (per worker process, or per test server).
"""

from __future__ import annotations

import asyncio
import logging

from plugins.hotel import services

log = logging.getLogger("frontdesk.hotel")

CHECK_SECONDS = 60
def start(app, every_seconds: int = CHECK_SECONDS) -> None:
    """Schedule the nightly-job check.

    The check is a timer (``call_later``), not a sleeping task, so that a stopping app
    leaves nothing pending behind it."""
    loop = asyncio.get_running_loop()

    def tick() -> None:
        if app.state.db_context is None:  # the app has stopped
            return
        app.state.hotel_night_check = loop.create_task(check(app))
        loop.call_later(every_seconds, tick)

    loop.call_later(every_seconds, tick)


async def check(app) -> int:
    """Run the nightly job for the hotel sites whose local night-audit hour it is; once
    per site and day, whatever the number of workers (``NightAuditRun`` is unique per
    site and date)."""
    try:
        changed = await services.due_night_audits(app.state.tasks, window_only=True)
    except Exception:
        log.exception("night audit failed; retrying at the next check")
        return 0
    if changed:
        log.info("night audit made %s occupied room(s) dirty", changed)
    return changed
