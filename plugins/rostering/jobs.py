"""Work beside the server: certificate reminders (a task for a supervisor before a
certificate expires).

Every ``CHECK_SECONDS`` on a ``core.timers`` timer, off where the app's overdue pass is
off (``overdue_check_seconds`` 0: tests run it when they mean to). Several workers may
run it: ``certificates.remind_expiring`` gives each certificate one reminder.
"""

from __future__ import annotations

import logging

from core.timers import repeat
from plugins.rostering import certificates

log = logging.getLogger("frontdesk.rostering")

#: Expiry is counted in days, so a round every ten minutes is soon enough after midnight.
CHECK_SECONDS = 600


def start(app) -> None:
    if getattr(app.state, "pending_migrations", None):
        return
    if not int(getattr(app.state.settings, "overdue_check_seconds", 60) or 0):
        return
    repeat(app, CHECK_SECONDS, check, name="the certificate reminders")


async def check(app) -> int:
    created = await certificates.remind_expiring(app.state.tasks)
    if created:
        log.info("created %s certificate reminder(s)", created)
    return created
