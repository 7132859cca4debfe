"""``core.timers.repeat``: work repeated beside the server while the app runs."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

from core.timers import repeat


def app_running() -> SimpleNamespace:
    return SimpleNamespace(state=SimpleNamespace(db_context=object()))


def test_work_repeats_survives_a_failing_round_and_stops_with_the_app(caplog):
    app, rounds = app_running(), []

    async def work(given):
        assert given is app
        rounds.append(len(rounds))
        if len(rounds) == 2:
            raise RuntimeError("the database went away for a moment")

    async def run():
        repeat(app, 0.01, work, name="the test pass")
        await asyncio.sleep(0.1)
        app.state.db_context = None  # the app stops
        seen = len(rounds)
        await asyncio.sleep(0.05)
        return seen

    with caplog.at_level(logging.ERROR, logger="frontdesk.timers"):
        seen = asyncio.run(run())
    assert seen >= 3  # the failure on round 2 did not stop the clock
    assert len(rounds) <= seen + 1  # nothing new after the app stopped (one tick may be under way)
    assert any("the test pass failed" in record.getMessage() for record in caplog.records)


def test_zero_seconds_is_never():
    app, rounds = app_running(), []

    async def work(_app):
        rounds.append(1)

    async def run():
        repeat(app, 0, work, name="never")
        await asyncio.sleep(0.05)

    asyncio.run(run())
    assert rounds == []
