"""Work a plugin repeats beside the server, every so many seconds, while the app runs.

A timer (``loop.call_later``) rather than a sleeping task: a stopping app leaves nothing
pending behind it, and each round is a task of its own, kept on ``app.state`` so that it
is not collected while it runs. A round that fails is logged with its name and tried
again at the next tick; one slow round does not stop the clock.

Several workers may each run the same work: it must be safe to repeat (a conditional
update, a row that is unique per site and day), as every user of this is.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

log = logging.getLogger("frontdesk.timers")


def repeat(app: Any, every_seconds: float, work: Callable[[Any], Awaitable[Any]], *, name: str) -> None:
    """Run ``await work(app)`` every ``every_seconds`` (0: never) from now on while
    ``app`` runs, starting one interval from now. ``name`` names it in the logs."""
    if not every_seconds:
        return
    loop = asyncio.get_running_loop()
    running: set[asyncio.Task] | None = getattr(app.state, "timer_rounds", None)
    if running is None:
        running = app.state.timer_rounds = set()

    async def round_() -> None:
        try:
            await work(app)
        except Exception:
            log.exception("%s failed; trying again at the next tick", name)

    def tick() -> None:
        if getattr(app.state, "db_context", None) is None:  # the app has stopped
            return
        task = loop.create_task(round_())
        running.add(task)
        task.add_done_callback(running.discard)
        loop.call_later(every_seconds, tick)

    loop.call_later(every_seconds, tick)
