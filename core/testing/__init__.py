"""The Frontdesk test kit: a pytest plugin for core's tests and for plugin authors.

Load it with ``-p core.testing`` (Frontdesk's own ``pyproject.toml`` does) or
``pytest_plugins = ["core.testing"]`` in a plugin's ``conftest.py``. It gives:

- **Databases** (``core.testing.databases``): ``database_backend`` is the run's database,
  ``FRONTDESK_TEST_BACKEND=sqlite`` (default) or ``postgres`` (a server at
  ``FRONTDESK_TEST_POSTGRES_URL``; with ``FRONTDESK_TEST_REQUIRE_POSTGRES=1`` a missing
  server fails instead of skipping). ``database_url`` / ``demo_database_url``: a fresh,
  fully migrated database (empty, or with the demo data) copied per test from a template
  built once per run, even across pytest-xdist workers and nested runs.
- **Apps, in-process by default** (``core.testing.servers``): ``server`` / ``demo_server``
  and ``make_app`` / ``make_demo_app`` drive the app through its ASGI interface with its
  lifespan, with real HTTP semantics and no socket. ``live_server`` / ``live_demo_server``
  and ``make_live_app`` / ``make_live_demo_app`` serve it with uvicorn on loopback, for
  browsers, event streams and outside clients. Both offer ``client()``,
  ``sign_in(username)``, ``api_client(username)`` and ``call(coroutine_function, ...)``;
  ``make_app(extra_plugins=[module])`` registers a plugin for one test only.
- **Parity** (``core.testing.parity``): ``parity.check(username, api=..., page=...)`` does
  an action through the API and through its page form, each on a fresh copy of the demo
  database, and asserts both left the same live events, audit actions, task events and
  row counts.
- **Migrations** (``core.testing.migrations``): ``migrations_on_data()`` applies every
  committed migration of core and the installed plugins one at a time to a new database
  whose tables hold generated rows (a ``default=``-only column fails here, as it would in
  production); ``models_match_migrations()`` fails when a model differs from its
  committed migrations.
- **Browsers** (``core.testing.browsers``): ``browser``, ``page`` and ``browser_as``
  (Debian's Chromium through Playwright, against a live server).
- **Time**: ``clock`` moves the wall clock forward (``clock.shift(seconds)``) instead of
  sleeping; the app, the database rows it writes and the test all see the moved time.

Password hashing in tests uses argon2id's cheapest parameters (production keeps its own).
Nothing here mocks the database: tests talk to real SQLite files and a real PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import contextmanager
from typing import Any, Iterator

import pytest

from core.testing.browsers import browser, browser_as, page  # noqa: F401 — fixtures
from core.testing.databases import (  # noqa: F401 — fixtures and names plugin tests use
    BACKEND, DATABASE_TESTS_ONLY, POSTGRES_URL, REQUIRE_POSTGRES, TEST_SECRET_KEY, admin_execute, backend_runs,
    backend_skips, close_run_folder, database_backend, database_url, demo_database_url, migrate_database,
    open_run_folder, postgres_available, postgres_url_for, settings_for, template_store)
from core.testing.migrations import (  # noqa: F401 — fixtures and checks plugin tests use
    check_migrations_on_data, check_models_match_migrations, migrations_on_data, model_drift, models_match_migrations)
from core.testing.parity import Footprint, Parity, parity  # noqa: F401 — fixture and classes
from core.testing.servers import (  # noqa: F401 — fixtures and classes
    AppUnderTest, InProcessApp, LiveServer, client, demo_server, live_demo_server, live_server, make_app,
    make_demo_app, make_live_app, make_live_demo_app, server)

_run_folder: list[Any] = []


def pytest_configure(config) -> None:
    if BACKEND not in ("sqlite", "postgres"):
        raise pytest.UsageError(f"FRONTDESK_TEST_BACKEND must be sqlite or postgres, not {BACKEND!r}")
    config.addinivalue_line("markers", "browser: drives a real Chromium through Playwright")
    config.addinivalue_line("markers", "slow: runs for many seconds; left out of a quick inner loop")
    from core.web import api

    api.STRICT_RESPONSES = True  # a response that differs from its declared model fails the test
    _run_folder.append(open_run_folder())


def pytest_unconfigure(config) -> None:
    for folder, made_here in _run_folder:
        if made_here:
            close_run_folder(folder)
    _run_folder.clear()


def pytest_collection_modifyitems(config, items) -> None:
    if not DATABASE_TESTS_ONLY:
        return
    keep = [item for item in items if "database_backend" in getattr(item, "fixturenames", ())]
    config.hook.pytest_deselected(items=[item for item in items if item not in keep])
    items[:] = keep


def pytest_sessionfinish(session) -> None:
    if hasattr(session.config, "workeroutput"):  # a pytest-xdist worker: report to the controller
        session.config.workeroutput["frontdesk_backend_runs"] = dict(backend_runs)
        session.config.workeroutput["frontdesk_backend_skips"] = dict(backend_skips)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    output = getattr(node, "workeroutput", {})
    for name, count in output.get("frontdesk_backend_runs", {}).items():
        backend_runs[name] = backend_runs.get(name, 0) + count
    backend_skips.update(output.get("frontdesk_backend_skips", {}))


def pytest_terminal_summary(terminalreporter) -> None:
    ran = ", ".join(f"{name} ({count} tests)" for name, count in sorted(backend_runs.items())) or "none"
    terminalreporter.write_line(f"database backends exercised: {ran}")
    for name, reason in backend_skips.items():
        terminalreporter.write_line(f"database backend skipped: {name}: {reason}")


@pytest.fixture
def clock() -> Iterator[Any]:
    """The wall clock, started at now and ticking: ``clock.shift(3.2)`` (seconds, or a
    timedelta) moves it forward at once, for the app and the test alike, instead of a
    sleep. Monotonic clocks (event loops, timeouts) are left alone."""
    import time_machine

    with time_machine.travel(dt.datetime.now(dt.timezone.utc), tick=True) as traveller:
        yield traveller


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for a block (for settings tests)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
