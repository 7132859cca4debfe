"""The database: one Tortoise app per plugin (and core), migrations, readiness.

The Tortoise configuration is built from the loaded plugins, so a plugin installed with
pip brings its tables with it. Each app's migrations are committed inside its package.
"""

from __future__ import annotations

import asyncio
import socket
import warnings
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import parse_qsl, urlencode, urlsplit

from tortoise.connection import get_connection
from tortoise.context import TortoiseContext
from tortoise.migrations.executor import MigrationExecutor

from core.errors import StartupError
from core.plugin_host import PluginHost
from core.settings import Settings

# A plugin may start with an empty models module (its migrations only mark its place);
# Tortoise warns when it loads the models, long after this module is imported.
warnings.filterwarnings("ignore", message=r"Module .* has no models", category=RuntimeWarning)

# SQLite holds money here: every commit must reach the disk before it is acknowledged
# (synchronous=FULL with WAL), and writers from several workers wait instead of failing.
SQLITE_DEFAULTS = {"journal_mode": "WAL", "synchronous": "FULL", "busy_timeout": "5000", "foreign_keys": "ON"}


def database_url(settings: Settings) -> str:
    """The configured URL with the driver defaults Frontdesk relies on."""
    url = settings.database_url
    if url.startswith("sqlite://"):
        path, _, query = url[len("sqlite://") :].partition("?")
        params = dict(SQLITE_DEFAULTS)
        params.update(dict(parse_qsl(query)))
        return f"sqlite://{path}?{urlencode(params)}"
    if url.startswith("postgresql://"):
        url = "postgres://" + url[len("postgresql://") :]
    return url


def postgres_dsn(settings: Settings) -> str:
    """The URL in the form asyncpg accepts, for connections outside Tortoise."""
    return "postgresql://" + database_url(settings).split("://", 1)[1].split("?")[0]


def sqlite_path(settings: Settings) -> Path | None:
    if not settings.is_sqlite:
        return None
    return Path(settings.database_url[len("sqlite://") :].partition("?")[0])


def apps_config(host: PluginHost) -> dict[str, dict[str, Any]]:
    """Tortoise apps in load order: core first, then each plugin after its dependencies."""
    from core.model_checks import check_relation_indexes

    apps: dict[str, dict[str, Any]] = {}
    contributions = host.contributions("register_models")
    check_relation_indexes(contributions)  # before Tortoise writes a wrong index
    for plugin, modules in contributions:
        apps[plugin.name] = {
            "models": list(modules),
            "migrations": f"{plugin.package}.migrations",
            "default_connection": "default",
        }
    return apps


def connection_config(settings: Settings) -> str | dict[str, Any]:
    """The ``default`` connection: the URL, or on PostgreSQL with a statement timeout its
    expanded form, so each pooled connection starts with ``SET statement_timeout``."""
    url = database_url(settings)
    if settings.is_sqlite or not settings.statement_timeout_ms:
        return url
    from tortoise.backends.base.config_generator import expand_db_url

    config = expand_db_url(url)
    server_settings = dict(config["credentials"].get("server_settings") or {})
    server_settings["statement_timeout"] = str(settings.statement_timeout_ms)
    config["credentials"]["server_settings"] = server_settings
    return config


def tortoise_config(settings: Settings, host: PluginHost) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(settings)},
        "apps": apps_config(host),
        "use_tz": True,
        "timezone": "UTC",
    }


def _describe_target(settings: Settings) -> str:
    if settings.is_sqlite:
        return f"SQLite file {sqlite_path(settings)}"
    parts = urlsplit(database_url(settings))
    return f"PostgreSQL at {parts.hostname or 'localhost'}:{parts.port or 5432} (database {parts.path.lstrip('/') or '?'})"


def check_reachable(settings: Settings, timeout: float = 3.0) -> None:
    """Fail early, in one line, when the database server does not answer."""
    if settings.is_sqlite:
        path = sqlite_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    parts = urlsplit(database_url(settings))
    host, port = parts.hostname or "localhost", parts.port or 5432
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as error:
        raise StartupError(
            f"database: cannot reach PostgreSQL at {host}:{port} ({error.strerror or error})"
        ) from None


@asynccontextmanager
async def open_database(settings: Settings, host: PluginHost) -> AsyncIterator[TortoiseContext]:
    """An initialised Tortoise context for this app's database, closed on exit."""
    check_reachable(settings)
    context = TortoiseContext()
    async with context:
        try:
            await context.init(config=tortoise_config(settings, host))
        except (OSError, asyncio.TimeoutError) as error:
            raise StartupError(f"database: cannot connect to {_describe_target(settings)}: {error}") from None
        except Exception as error:
            if type(error).__module__.startswith(("asyncpg", "tortoise")):
                raise StartupError(f"database: {_describe_target(settings)}: {error}") from None
            raise
        yield context


def _executor(host: PluginHost, apps: dict[str, dict[str, Any]] | None = None) -> MigrationExecutor:
    return MigrationExecutor(get_connection("default"), apps if apps is not None else apps_config(host))


async def pending_migrations(host: PluginHost) -> list[str]:
    """``app.migration`` names not yet applied (in the current Tortoise context)."""
    steps = await _executor(host).plan()
    return [f"{step.migration.app_label}.{step.migration.name}" for step in steps if not step.backward]


async def apply_migrations(host: PluginHost, progress=None, apps: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """Apply every pending migration of every app; returns what was applied."""
    applied: list[str] = []

    def record(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(f"{app_label}.{name}")
        if progress:
            progress(event, app_label, name)

    await _executor(host, apps).migrate(progress=record)
    await record_migration_checksums(host, apps)
    return applied


# --- Applied-migration checksums ---------------------------------------------------------
# An applied migration edited afterwards never runs again: the database keeps what the old
# file did while the file (and a new database) says otherwise. ``migrate`` stores each
# applied migration's SHA-256 (core migration 0019: a plain table, like Tortoise's own);
# ``check`` and ``serve`` compare. Migrations applied before the table existed are recorded
# by the first ``migrate`` after it (trust on first use).

CHECKSUM_MIGRATION = ("core", "0019_migration_checksums")


def migration_checksums(host: PluginHost, apps: dict[str, dict[str, Any]] | None = None) -> dict[tuple[str, str], str]:
    """``(app, migration) -> sha256`` of every committed migration file."""
    import hashlib
    import importlib.util

    checksums = {}
    for app_label, app in (apps if apps is not None else apps_config(host)).items():
        spec = importlib.util.find_spec(app["migrations"])
        if spec is None or not spec.submodule_search_locations:
            continue
        for folder in spec.submodule_search_locations:
            for path in Path(folder).glob("[0-9]*.py"):
                checksums[(app_label, path.stem)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return checksums


async def _stored_checksums(connection) -> dict[tuple[str, str], str] | None:
    """What ``migrate`` stored; None before core migration 0019 is applied."""
    from tortoise.migrations.recorder import MigrationRecorder

    applied = {(key.app_label, key.name) for key in await MigrationRecorder(connection).applied_migrations()}
    if CHECKSUM_MIGRATION not in applied:
        return None
    _count, rows = await connection.execute_query("SELECT app, name, sha256 FROM core_migration_checksum")
    return {(row["app"], row["name"]): row["sha256"] for row in rows}


async def record_migration_checksums(host: PluginHost, apps: dict[str, dict[str, Any]] | None = None) -> None:
    """Store the checksum of each applied migration that has none yet."""
    from tortoise.migrations.recorder import MigrationRecorder

    connection = get_connection("default")
    stored = await _stored_checksums(connection)
    if stored is None:
        return
    applied = [(key.app_label, key.name) for key in await MigrationRecorder(connection).applied_migrations()]
    files = migration_checksums(host, apps)
    insert = ("INSERT INTO core_migration_checksum (app, name, sha256) VALUES ($1, $2, $3)"
              if connection.capabilities.dialect == "postgres" else
              "INSERT INTO core_migration_checksum (app, name, sha256) VALUES (?, ?, ?)")
    for key in applied:
        if key not in stored and key in files:
            await connection.execute_insert(insert, [*key, files[key]])


async def rewritten_migrations(host: PluginHost) -> list[str]:
    """``app.migration`` of applied migrations whose file changed since they were applied."""
    stored = await _stored_checksums(get_connection("default"))
    files = migration_checksums(host)
    return [f"{app}.{name}" for (app, name), checksum in sorted((stored or {}).items())
            if (app, name) in files and files[(app, name)] != checksum]


def rewritten_line(name: str) -> str:
    return (f"{name} was changed after it was applied (its checksum differs from the one recorded); "
            "restore the applied file and put the change in a new migration")


async def check_database(settings: Settings) -> None:
    """The database exists and answers (``frontdesk check``); one line naming what is wrong.
    SQLite: the file exists (it is created by ``migrate``, never by a check)."""
    if settings.is_sqlite:
        path = sqlite_path(settings)
        if not path.exists():
            raise StartupError(f"database: SQLite file {path} does not exist; `frontdesk migrate` creates it")
        return
    import asyncpg

    check_reachable(settings)
    try:
        connection = await asyncpg.connect(postgres_dsn(settings), timeout=10)
    except asyncpg.InvalidCatalogNameError:
        raise StartupError(f"database: {_describe_target(settings)} does not exist; create it (createdb) "
                           "and run `frontdesk migrate`") from None
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as error:
        raise StartupError(f"database: cannot connect to {_describe_target(settings)}: {error}") from None
    try:
        await connection.fetchval("SELECT 1")
    except asyncpg.PostgresError as error:
        raise StartupError(f"database: {_describe_target(settings)} does not answer: {error}") from None
    finally:
        await connection.close()


# An arbitrary 64-bit key naming "migrating this database" among PostgreSQL advisory locks.
MIGRATE_LOCK_KEY = 0x46445F4D49475241  # "FD_MIGRA"


@asynccontextmanager
async def migration_lock(settings: Settings, on_wait=None) -> AsyncIterator[None]:
    """One ``frontdesk migrate`` at a time per database, whatever host runs it: the second
    waits here, then finds nothing left to apply. PostgreSQL: a session advisory lock on
    a connection of its own (released if the process dies); SQLite: an exclusive lock on
    a file beside the database. ``on_wait()`` is called once when another holds it."""
    if settings.is_sqlite:
        import fcntl

        path = sqlite_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{path}.migrate-lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait:
                    on_wait()
                await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    import asyncpg

    check_reachable(settings)
    try:
        connection = await asyncpg.connect(postgres_dsn(settings))
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as error:
        raise StartupError(f"database: cannot connect to {_describe_target(settings)}: {error}") from None
    try:
        if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", MIGRATE_LOCK_KEY):
            if on_wait:
                on_wait()
            await connection.execute("SELECT pg_advisory_lock($1)", MIGRATE_LOCK_KEY)
        try:
            yield
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATE_LOCK_KEY)
    finally:
        await connection.close()


async def database_answers() -> bool:
    try:
        await get_connection("default").execute_query("SELECT 1")
        return True
    except Exception:
        return False
