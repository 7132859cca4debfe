"""Fresh, fully migrated databases for every test, copied from templates built once a run.

A template (empty, or with the demo data) is migrated once per test run and per set of
plugins, then copied for each test: a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE``
on PostgreSQL. Templates live in the run's template folder (``FRONTDESK_TEST_TEMPLATES``),
which the first pytest process of a run creates and every process started from it
inherits: pytest-xdist workers and the nested pytest runs of the scaffold tests build
nothing that the run already has. A file lock makes the first process build and the
others wait, so two workers never build the same template twice.

A run with extra plugins (an installed third-party plugin, say) starts from the template
of the plugins it shares with the run that made the folder and only adds what is new:
the extra plugins' migrations and their demo data.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import itertools
import json
import os
import shutil
import socket
import tempfile
import threading
from pathlib import Path
from types import ModuleType
from typing import Any, Awaitable, Iterable, Iterator
from urllib.parse import urlsplit, urlunsplit

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
#: The folder of this run's templates; set by the first process, inherited by the rest.
TEMPLATES_ENV = "FRONTDESK_TEST_TEMPLATES"
#: argon2id at its cheapest: a sign-in in tests costs microseconds instead of a few tenths
#: of a second. Production's parameters are the settings' defaults (tests/core/identity).
TEST_PASSWORD_HASHING = {"password_time_cost": 1, "password_memory_kib": 8, "password_parallelism": 1}

backend_runs: dict[str, int] = {}
backend_skips: dict[str, str] = {}


# --- PostgreSQL helpers --------------------------------------------------------------


def postgres_url_for(database: str) -> str:
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


def run_async(coroutine: Awaitable[Any]) -> Any:
    """Run set-up coroutines in a thread of their own: Playwright's sync API keeps an
    event loop running in the test thread, where asyncio.run() is not allowed."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def admin_execute(*statements: str) -> None:
    """Run statements on the administrative connection (database ``test``)."""
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://", 1))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


# --- Migrating ------------------------------------------------------------------------


def settings_for(database_url: str, **overrides: Any):
    """Settings for a test app: this database, a fixed secret key, English, the overdue
    job off (tests run it when they mean to) and the cheapest password hashing."""
    from core.settings import Settings

    # The sign-in slow phase is off: tests count failures in quick succession (the slow
    # phase has its own tests, which turn it on and move the clock).
    values = {"database_url": database_url, "secret_key": TEST_SECRET_KEY, "default_language": "en",
              "overdue_check_seconds": 0, "outbox_poll_seconds": 0, "login_slow_after": 0, **TEST_PASSWORD_HASHING}
    values.update(overrides)
    return Settings(**values)


async def migrate_database(database_url: str, extra_plugins: Iterable[ModuleType] = (),
                           with_demo: bool = False, demo_plugins: Iterable[str] | None = None) -> list[str]:
    """Apply every pending migration of core, the installed plugins and ``extra_plugins``.

    ``with_demo`` loads the demo data as well; ``demo_plugins`` names the plugins whose
    demo data to add to a database that already holds the rest (``None``: everything)."""
    from core.database import apply_migrations, open_database
    from core.demo import load_demo, load_plugin_demo
    from core.identity.passwords import configure_hashing_from
    from core.identity.services import sync_roles_and_permissions
    from core.plugins import load_plugins

    settings = settings_for(database_url)
    configure_hashing_from(settings)
    host = load_plugins(settings.disabled_plugins, extra_plugins)
    async with open_database(settings, host):
        applied = await apply_migrations(host)
        await sync_roles_and_permissions(host)
        if with_demo and demo_plugins is None:
            await load_demo(host)
        elif with_demo:
            await load_plugin_demo(host, demo_plugins)
        return applied


def installed_plugins() -> dict[str, str]:
    """The installed plugins, each with a fingerprint of what it puts into a template: its
    migrations and its demo module. A template folder kept between runs (``make
    test-quick``) gets a new template when any of them changes."""
    from core.plugins import load_plugins

    fingerprints = {}
    for plugin in load_plugins([]).plugins:
        digest = hashlib.sha256()
        if folder := plugin.package_dir:
            for path in sorted(folder.glob("migrations/*.py")) + sorted(folder.glob("demo.py")):
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
        fingerprints[plugin.name] = digest.hexdigest()[:12]
    return dict(sorted(fingerprints.items()))


# --- Templates -------------------------------------------------------------------------


class TemplateStore:
    """This run's templates, shared by every process of the run through one folder."""

    _counter = itertools.count(1)

    def __init__(self, folder: Path, backend: str):
        self.folder = folder
        self.backend = backend
        self.plugins = installed_plugins()  # name -> fingerprint
        self.templates: dict[str, str] = {}  # flavour -> SQLite path or PostgreSQL name
        self.copies: PostgresCopies | None = None

    # A template's name says what it holds: backend, flavour, the plugin set and the
    # fingerprint of their migrations and demo modules.
    def _key(self, flavour: str, plugins: dict[str, str]) -> str:
        digest = hashlib.sha256(json.dumps(plugins).encode()).hexdigest()[:10]
        return f"{self.backend}_{flavour}_{digest}"

    def template(self, flavour: str) -> str:
        if flavour not in self.templates:
            self.templates[flavour] = self._ensure(flavour, self.plugins)
        return self.templates[flavour]

    def _ensure(self, flavour: str, plugins: dict[str, str]) -> str:
        from filelock import FileLock

        key = self._key(flavour, plugins)
        done = self.folder / f"{key}.json"
        with FileLock(str(self.folder / f"{key}.lock")):
            if done.exists():
                return json.loads(done.read_text())["template"]
            base = self._base_for(flavour, plugins)
            template = self._build(key, flavour, base, plugins)
            done.write_text(json.dumps({"template": template, "plugins": plugins}))
            return template

    def _base_for(self, flavour: str, plugins: dict[str, str]) -> tuple[str, dict[str, str]] | None:
        """A finished template of fewer plugins, each as it is now (the run that made the
        folder, say), to start from; or None."""
        for path in sorted(self.folder.glob(f"{self.backend}_{flavour}_*.json")):
            record = json.loads(path.read_text())
            if record["plugins"].items() < plugins.items():
                return record["template"], record["plugins"]
        return None

    def _build(self, key: str, flavour: str, base: tuple[str, dict[str, str]] | None,
               plugins: dict[str, str]) -> str:
        with_demo = flavour == "demo"
        new_plugins = sorted(set(plugins) - set(base[1])) if base else None
        if self.backend == "sqlite":
            path = self.folder / f"{key}.sqlite3"
            if base:
                shutil.copyfile(base[0], path)
            try:
                run_async(migrate_database(f"sqlite://{path}", with_demo=with_demo, demo_plugins=new_plugins))
            except BaseException:
                path.unlink(missing_ok=True)  # a half-built template must not be copied later
                raise
            return str(path)
        name = f"fdt_tpl_{os.getpid()}_{key}"
        return build_postgres_template(name, base[0] if base else None, lambda url: migrate_database(
            url, with_demo=with_demo, demo_plugins=new_plugins))

    def fresh(self, flavour: str) -> str:
        """A new database copied from the template; ``discard`` it after the test."""
        template = self.template(flavour)
        if self.backend == "sqlite":
            number = next(TemplateStore._counter)
            path = Path(tempfile.mkdtemp(prefix="fdt-", dir=self.folder)) / f"test_{number}.sqlite3"
            shutil.copyfile(template, path)
            return f"sqlite://{path}"
        if self.copies is None:
            self.copies = PostgresCopies()
        return postgres_url_for(self.copies.take(template))

    def discard(self, url: str) -> None:
        if self.backend == "sqlite":
            shutil.rmtree(Path(url[len("sqlite://"):]).parent, ignore_errors=True)
        else:
            self.copies.drop(urlsplit(url).path.lstrip("/"))

    def close(self) -> None:
        if self.copies is not None:
            self.copies.close()
            self.copies = None


def build_postgres_template(name: str, base: str | None, migrate) -> str:
    """Create the PostgreSQL database ``name`` (a copy of ``base`` if given) and run
    ``migrate(url)`` on it; when that fails the half-built database is dropped (else it
    stays on the server after the run, holding a failed migration)."""
    source = f' TEMPLATE "{base}"' if base else ""
    run_async(admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"{source}',
                            f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        run_async(migrate(postgres_url_for(name)))
    except BaseException:
        run_async(admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        raise
    return name


class PostgresCopies:
    """Copies of PostgreSQL templates, made and dropped beside the tests.

    ``CREATE DATABASE ... TEMPLATE`` and ``DROP DATABASE`` take a few tenths of a second
    each, mostly waiting for the server's disk; done in the test's path they were a third
    of the PostgreSQL pass. Here one thread with its own connection makes the next copy of
    a template while a test runs on the current one, and drops used copies afterwards."""

    _counter = itertools.count(1)

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="frontdesk-test-databases", daemon=True)
        self.thread.start()
        self.lock: asyncio.Lock | None = None
        self.connection = self._submit(self._connect()).result()
        self.ready: dict[str, concurrent.futures.Future] = {}  # template -> its next copy
        self.pending: list[concurrent.futures.Future] = []

    def _submit(self, coroutine: Awaitable[Any]) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    async def _connect(self):
        import asyncpg

        self.lock = asyncio.Lock()  # one statement at a time on the one connection
        return await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://", 1))

    async def _execute(self, statement: str) -> None:
        async with self.lock:
            await self.connection.execute(statement)

    async def _copy(self, template: str) -> str:
        name = f"fdt_{os.getpid()}_{next(self._counter)}"
        # FILE_COPY: for these small databases, half the time of PostgreSQL 15's WAL_LOG,
        # and the copies are dropped afterwards (measured: 0.16 s against 0.30 s a copy).
        await self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        # A test's commits need not wait for the disk: a copy is thrown away after one test,
        # and nothing in it must survive a crash of the server (make crash tests that).
        await self._execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        return name

    def take(self, template: str) -> str:
        ready = self.ready.pop(template, None) or self._submit(self._copy(template))
        name = ready.result(timeout=120)
        self.ready[template] = self._submit(self._copy(template))
        return name

    def drop(self, name: str) -> None:
        self.pending = [future for future in self.pending if not future.done()]
        self.pending.append(self._submit(self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))

    def close(self) -> None:
        for future in self.ready.values():
            self.drop(future.result(timeout=120))
        for future in self.pending:
            future.result(timeout=120)
        self._submit(self.connection.close()).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)


def _memory_folder() -> str | None:
    """The shared-memory folder where there is one: SQLite's synchronous commits then cost
    no disk flush, and a test's database is thrown away after the test anyway."""
    shm = Path("/dev/shm")  # noqa: S108 — mkdtemp() makes the run's private folder inside it
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def open_run_folder() -> tuple[Path, bool]:
    """This run's template folder, and whether this process made it (and cleans it up)."""
    if folder := os.environ.get(TEMPLATES_ENV):
        return Path(folder), False
    folder = Path(tempfile.mkdtemp(prefix="frontdesk-test-templates-", dir=_memory_folder()))
    os.environ[TEMPLATES_ENV] = str(folder)  # inherited by xdist workers and nested runs
    return folder, True


def close_run_folder(folder: Path) -> None:
    """Drop the run's PostgreSQL templates and remove the folder."""
    names = [json.loads(path.read_text())["template"] for path in folder.glob("postgres_*.json")]
    if names and not postgres_available():
        run_async(admin_execute(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names)))
    shutil.rmtree(folder, ignore_errors=True)
    os.environ.pop(TEMPLATES_ENV, None)


# --- Fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def template_store() -> Iterator[TemplateStore]:
    store = TemplateStore(Path(os.environ[TEMPLATES_ENV]), BACKEND)
    yield store
    store.close()


@pytest.fixture(scope="session")
def database_backend(template_store) -> str:
    """``"sqlite"`` or ``"postgres"`` (``FRONTDESK_TEST_BACKEND``): the database of this run."""
    backend = BACKEND
    if backend == "postgres":
        reason = postgres_available()
        if reason:
            backend_skips["postgres"] = reason
            if REQUIRE_POSTGRES:
                pytest.fail(f"FRONTDESK_TEST_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
            pytest.skip(reason)
    return backend


def _fresh_database(store: TemplateStore, backend: str, flavour: str) -> Iterator[str]:
    backend_runs[backend] = backend_runs.get(backend, 0) + 1
    url = store.fresh(flavour)
    yield url
    store.discard(url)


@pytest.fixture
def database_url(database_backend, template_store) -> Iterator[str]:
    """A fresh, fully migrated, empty database for this test (dropped afterwards)."""
    yield from _fresh_database(template_store, database_backend, "empty")


@pytest.fixture
def demo_database_url(database_backend, template_store) -> Iterator[str]:
    """A fresh database holding the demo sites, users and records (password
    ``frontdesk-demo``), copied from a template loaded once per run."""
    yield from _fresh_database(template_store, database_backend, "demo")
