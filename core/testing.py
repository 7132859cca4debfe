"""The Frontdesk test kit: a pytest plugin for core's tests and for plugin authors.

Load it with ``-p core.testing`` (Frontdesk's own ``pyproject.toml`` does) or
``pytest_plugins = ["core.testing"]`` in a plugin's ``conftest.py``. It gives:

- ``database_backend``: the run's database, ``FRONTDESK_TEST_BACKEND=sqlite`` (default) or
  ``postgres`` (a server at ``FRONTDESK_TEST_POSTGRES_URL``; with
  ``FRONTDESK_TEST_REQUIRE_POSTGRES=1`` a missing server fails instead of skipping).
  ``make test`` runs the suite on SQLite, then its database tests on PostgreSQL.
- ``database_url``: a fresh database with every migration applied, copied per test from
  a template migrated once per session (a file copy on SQLite, ``CREATE DATABASE ...
  TEMPLATE`` on PostgreSQL), so tests use the real migrations and stay fast.
- ``make_app`` / ``server``: the app served by a real uvicorn on a loopback port, in a
  thread, with ``server.client`` (an ``httpx.Client``), ``server.call(coroutine_function,
  ...)`` to run service code inside the app's event loop and database context, and
  ``make_app(extra_plugins=[module])`` to register a plugin for one test only.

Nothing here mocks the database: tests talk to real SQLite files and a real PostgreSQL.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import os
import re
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, Awaitable, Callable, Iterable, Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

POSTGRES_URL = os.environ.get("FRONTDESK_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("FRONTDESK_TEST_REQUIRE_POSTGRES") == "1"
#: The backend this run uses: "sqlite" (default) or "postgres". One per process, because
#: Tortoise caches dialect-specific queries on the (shared) model classes; `make test`
#: runs the suite once per backend.
BACKEND = os.environ.get("FRONTDESK_TEST_BACKEND", "sqlite")
#: In the second (PostgreSQL) pass, tests that use no database have already run.
DATABASE_TESTS_ONLY = os.environ.get("FRONTDESK_TEST_DATABASE_ONLY") == "1"
TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-for-signing"

_backend_runs: dict[str, int] = {}
_backend_skips: dict[str, str] = {}


# --- PostgreSQL helpers --------------------------------------------------------------


def _postgres_url_for(database: str) -> str:
    parts = urlsplit(POSTGRES_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def postgres_available() -> str | None:
    """None when a server answers at FRONTDESK_TEST_POSTGRES_URL, else the reason."""
    parts = urlsplit(POSTGRES_URL)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    try:
        with socket.create_connection((host, port), timeout=2):
            return None
    except OSError as error:
        return f"no PostgreSQL server at {host}:{port} ({error.strerror or error})"


def _run(coroutine: Awaitable[Any]) -> Any:
    """Run set-up coroutines in a thread of their own: Playwright's sync API keeps an
    event loop running in the test thread, where asyncio.run() is not allowed."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _admin_execute(*statements: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://", 1))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


# --- Migrated template databases ------------------------------------------------------


def _settings_for(database_url: str, **overrides: Any):
    from core.settings import Settings

    # The overdue job stays off: tests run it when they mean to (kernel.mark_overdue).
    values = {"database_url": database_url, "secret_key": TEST_SECRET_KEY, "default_language": "en",
              "overdue_check_seconds": 0}
    values.update(overrides)
    return Settings(**values)


async def migrate_database(database_url: str, extra_plugins: Iterable[ModuleType] = (),
                           with_demo: bool = False) -> list[str]:
    """Apply every migration of core, the installed plugins and ``extra_plugins``; with
    ``with_demo``, load the demo data as well."""
    from core.database import apply_migrations, open_database
    from core.demo import load_demo
    from core.identity.services import sync_roles_and_permissions
    from core.plugin_host import load_plugins

    settings = _settings_for(database_url)
    host = load_plugins(settings.disabled_plugins, extra_plugins)
    async with open_database(settings, host):
        applied = await apply_migrations(host)
        await sync_roles_and_permissions(host)
        if with_demo:
            await load_demo(host)
        return applied


class TemplateDatabase:
    """A database migrated once per session; ``fresh()`` hands out copies."""

    _counter = itertools.count(1)

    def __init__(self, backend: str, workdir: Path, with_demo: bool = False):
        self.backend = backend
        self.workdir = workdir
        self.created: list[str] = []
        flavour = "demo" if with_demo else "empty"
        if backend == "sqlite":
            self.template_path = workdir / f"template-{flavour}.sqlite3"
            _run(migrate_database(f"sqlite://{self.template_path}", with_demo=with_demo))
        else:
            self.template_name = f"fdt_tpl_{flavour}_{os.getpid()}"
            _run(_admin_execute(f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)',
                                f'CREATE DATABASE "{self.template_name}"'))
            _run(migrate_database(_postgres_url_for(self.template_name), with_demo=with_demo))

    def fresh(self) -> str:
        number = next(TemplateDatabase._counter)
        if self.backend == "sqlite":
            path = self.workdir / f"test_{number}.sqlite3"
            shutil.copyfile(self.template_path, path)
            return f"sqlite://{path}"
        name = f"fdt_{os.getpid()}_{number}"
        _run(_admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template_name}"'))
        self.created.append(name)
        return _postgres_url_for(name)

    def discard(self, url: str) -> None:
        if self.backend == "sqlite":
            path = Path(url[len("sqlite://"):])
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            name = urlsplit(url).path.lstrip("/")
            _run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        if self.backend == "postgres":
            _run(_admin_execute(f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def _templates(tmp_path_factory) -> Iterator[dict[str, TemplateDatabase]]:
    templates: dict[str, TemplateDatabase] = {}
    yield templates
    for template in templates.values():
        template.close()


def pytest_configure(config) -> None:
    if BACKEND not in ("sqlite", "postgres"):
        raise pytest.UsageError(f"FRONTDESK_TEST_BACKEND must be sqlite or postgres, not {BACKEND!r}")


def pytest_collection_modifyitems(config, items) -> None:
    if not DATABASE_TESTS_ONLY:
        return
    keep = [item for item in items if "database_backend" in getattr(item, "fixturenames", ())]
    config.hook.pytest_deselected(items=[item for item in items if item not in keep])
    items[:] = keep


@pytest.fixture(scope="session")
def database_backend(_templates, tmp_path_factory) -> str:
    """``"sqlite"`` or ``"postgres"`` (``FRONTDESK_TEST_BACKEND``): the database of this run."""
    backend = BACKEND
    if backend == "postgres":
        reason = postgres_available()
        if reason:
            _backend_skips["postgres"] = reason
            if REQUIRE_POSTGRES:
                pytest.fail(f"FRONTDESK_TEST_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
            pytest.skip(reason)
    return backend


def _fresh_database(templates, backend: str, tmp_path_factory, with_demo: bool) -> Iterator[str]:
    key = f"{backend}-demo" if with_demo else backend
    if key not in templates:
        templates[key] = TemplateDatabase(backend, tmp_path_factory.mktemp(f"db-{key}"), with_demo=with_demo)
    _backend_runs[backend] = _backend_runs.get(backend, 0) + 1
    url = templates[key].fresh()
    yield url
    templates[key].discard(url)


@pytest.fixture
def database_url(database_backend, _templates, tmp_path_factory) -> Iterator[str]:
    """A fresh, fully migrated, empty database for this test (dropped afterwards)."""
    yield from _fresh_database(_templates, database_backend, tmp_path_factory, with_demo=False)


@pytest.fixture
def demo_database_url(database_backend, _templates, tmp_path_factory) -> Iterator[str]:
    """A fresh database holding the demo sites, users and records (password
    ``frontdesk-demo``), copied from a template loaded once per session."""
    yield from _fresh_database(_templates, database_backend, tmp_path_factory, with_demo=True)


# --- A real server on loopback --------------------------------------------------------


class LiveServer:
    """An app served by uvicorn in a background thread, on 127.0.0.1 and a free port."""

    def __init__(self, app):
        import uvicorn

        self.app = app
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, lifespan="on", log_level="warning", loop="asyncio", http="h11",
                                timeout_graceful_shutdown=2, proxy_headers=False)
        self.server = uvicorn.Server(config)
        self.loop = asyncio.new_event_loop()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._serve, name=f"frontdesk-test-server-{self.port}", daemon=True)
        self.clients: list[httpx.Client] = []

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.server.serve(sockets=[self.socket]))
        except BaseException as error:  # reported to the test thread by start()
            self.error = error
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def start(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"test server did not start: {self.error!r}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        for client in self.clients:
            client.close()
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.socket.close()

    def client(self, **kwargs: Any) -> httpx.Client:
        """A new HTTP client for this server (English unless told otherwise)."""
        headers = {"Accept-Language": "en", **kwargs.pop("headers", {})}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30, follow_redirects=False, **kwargs)
        self.clients.append(client)
        return client

    def sign_in(self, username: str, password: str = "frontdesk-demo", **kwargs: Any) -> httpx.Client:
        """A browser-like client signed in through the sign-in form. Its ``csrf`` attribute
        holds the session's CSRF token; ``client.form_post(url, data)`` adds it."""
        client = self.client(**kwargs)
        form = client.get("/login")
        anonymous_token = _hidden_csrf(form.text)
        response = client.post("/login", data={"username": username, "password": password,
                                               "csrf_token": anonymous_token, "next": "/"})
        if response.status_code != 303:
            raise AssertionError(f"sign-in as {username} failed: {response.status_code}")
        client.csrf = _hidden_csrf(client.get("/").text)  # type: ignore[attr-defined]
        client.form_post = lambda url, data=None, **kw: client.post(  # type: ignore[attr-defined]
            url, data={"csrf_token": client.csrf, **(data or {})}, **kw)
        return client

    def api_client(self, username: str, password: str = "frontdesk-demo", **kwargs: Any) -> httpx.Client:
        """A client holding a bearer token for ``username`` (as scripts and apps use)."""
        response = self.client().post("/api/v1/auth/token", json={"username": username, "password": password})
        if response.status_code != 201:
            raise AssertionError(f"token for {username} refused: {response.status_code} {response.text}")
        client = self.client(headers={"Authorization": f"Bearer {response.json()['token']}"}, **kwargs)
        client.token = response.json()["token"]  # type: ignore[attr-defined]
        return client

    def call(self, function: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        """Run ``await function(*args, **kwargs)`` in the server's loop and database context."""
        from tortoise.context import _current_context

        from core import i18n

        async def in_context():
            token = _current_context.set(self.app.state.db_context)
            i18n.activate(self.app.state.catalogs, "en")
            try:
                return await function(*args, **kwargs)
            finally:
                _current_context.reset(token)

        return asyncio.run_coroutine_threadsafe(in_context(), self.loop).result(timeout=60)


def _app_builder(database_url: str):
    servers: list[LiveServer] = []

    def build(extra_plugins: Iterable[ModuleType] = (), migrate: bool = True,
              allow_pending_migrations: bool = False, **settings: Any) -> LiveServer:
        from core.app import create_app

        extra_plugins = list(extra_plugins)
        if extra_plugins and migrate:
            _run(migrate_database(database_url, extra_plugins))
        app = create_app(_settings_for(database_url, **settings), extra_plugins=extra_plugins,
                         allow_pending_migrations=allow_pending_migrations)
        server = LiveServer(app).start()
        servers.append(server)
        return server

    return build, servers


@pytest.fixture
def make_app(database_url) -> Iterator[Callable[..., LiveServer]]:
    """Build and serve an app on this test's database; stopped after the test.

    ``make_app(extra_plugins=[module], **settings)``: the extra plugins are registered for
    this app only and their migrations applied to this test's database first (unless
    ``migrate=False``, to test what happens with pending migrations).
    """
    build, servers = _app_builder(database_url)
    yield build
    for server in servers:
        server.stop()


@pytest.fixture
def make_demo_app(demo_database_url) -> Iterator[Callable[..., LiveServer]]:
    """Like ``make_app``, on a copy of the demo database."""
    build, servers = _app_builder(demo_database_url)
    yield build
    for server in servers:
        server.stop()


@pytest.fixture
def demo_server(make_demo_app) -> LiveServer:
    """The standard app on the demo data: sign in with ``demo_server.sign_in("agent")``."""
    return make_demo_app()


@pytest.fixture
def server(make_app) -> LiveServer:
    """The standard app (core and the installed plugins) served for this test."""
    return make_app()


@pytest.fixture
def client(server) -> httpx.Client:
    return server.client()


def _hidden_csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]*)"', html)
    if not match:
        raise AssertionError("no CSRF token in the page")
    return match.group(1)


# --- Browsers ------------------------------------------------------------------------

CHROMIUM = os.environ.get("FRONTDESK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (Playwright's own download is not used).

    Per module, not per session: Playwright's sync API keeps an event loop running in the
    test thread while it lives, and later tests that call asyncio.run() need it gone."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server) -> Iterator[Any]:
    """A browser tab on the standard app (empty database)."""
    context = browser.new_context(base_url=server.url, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def browser_as(browser, demo_server) -> Iterator[Callable[..., Any]]:
    """``browser_as("frontdesk")``: a new browser tab on the demo app, signed in through
    the real sign-in form. Each call is a separate browser context (its own cookies), so
    a test can watch one user's page while another acts."""
    contexts = []

    def open_as(username: str, password: str = "frontdesk-demo", locale: str = "en-US"):
        context = browser.new_context(base_url=demo_server.url, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield open_as
    for context in contexts:
        context.close()


# --- Reporting -----------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter) -> None:
    ran = ", ".join(f"{name} ({count} tests)" for name, count in sorted(_backend_runs.items())) or "none"
    terminalreporter.write_line(f"database backends exercised: {ran}")
    for name, reason in _backend_skips.items():
        terminalreporter.write_line(f"database backend skipped: {name}: {reason}")


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
