"""Migrations proven on data, and models that match their committed migrations.

A migration that passes on an empty database can still fail on every real one: a column
added ``NOT NULL`` with a Python ``default=`` only (no ``db_default``) is refused by
PostgreSQL on a table with rows, and on SQLite the table rebuild copies no value into it.
Test databases are empty when each migration runs, so a suite never sees this.

``migrate_with_rows`` applies every committed migration of core and every installed
plugin one at a time to a new database, and before each one puts a generated row into
every table that exists at that point and is still empty. Rows are made from the
migration state (the tables as the migrations so far define them, not today's models):
a value of the column's type for every column, a parent row's key for a foreign key.
So each migration runs against tables that hold data, as it will in production.

``check_migrations_on_data`` does that on a database of its own (a file on SQLite, a
database it creates and drops on PostgreSQL); ``check_models_match_migrations`` fails
when a model differs from what the committed migrations build (a forgotten
``makemigrations``). Both are fixtures of the kit, one line each in a plugin's tests::

    def test_migrations_apply_to_tables_with_rows(migrations_on_data):
        migrations_on_data()

    def test_models_match_their_migrations(models_match_migrations):
        models_match_migrations()
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import os
import tempfile
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable, Iterator

import pytest


class MigrationOnDataError(AssertionError):
    """A migration failed on tables holding rows; names the migration and the fix."""


#: Core's migrations released before any installation held data, which ran on empty
#: tables only (core 0002 added a NOT NULL column without a database default). Every
#: check starts proving on rows after them. This may only shrink.
CORE_BASELINE = {"core": "0008_superadmin"}

FIX_HINT = ("a column added to a table with rows needs a database default: give the field `db_default=` "
            "(or use core.migration_ops.AddColumn in the migration), or make it null=True")


# --- Rows made from the migration state ----------------------------------------------


def _value_for(field: Any, model: Any, number: int) -> Any:
    """A value of the field's type that its column accepts (Python side, before to_db_value)."""
    default = getattr(field, "default", None)
    if default is not None and not callable(default):
        return default
    enum_type = getattr(field, "enum_type", None)
    if enum_type is not None:
        return next(iter(enum_type))
    kind = getattr(field, "field_type", None)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return next(iter(kind))
    if kind is bool:
        return False
    if kind is int:
        return number
    if kind is decimal.Decimal:
        return decimal.Decimal("1")
    if kind is float:
        return 1.0
    if kind is dt.datetime:
        return dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    if kind is dt.date:
        return dt.date(2024, 1, 2)
    if kind is dt.time:
        return dt.time(3, 4, 5)
    if kind is dt.timedelta:
        return dt.timedelta(minutes=5)
    if kind is uuid.UUID:
        return uuid.uuid4()
    if kind is bytes:
        return b"x"
    if kind in (dict, list) or type(field).__name__ == "JSONField":
        return {}
    text = f"r{number}"
    max_length = getattr(field, "max_length", None)
    return text[:max_length] if max_length else text


def _models_of(state: Any) -> list[Any]:
    return [model for app in state.apps.apps.values() for model in app.values()]


def _parents(model: Any) -> list[tuple[str, Any, bool]]:
    """(column, parent model, nullable) for each foreign key and one-to-one of the model."""
    meta = model._meta
    found = []
    for name in (*meta.fk_fields, *meta.o2o_fields):
        field = meta.fields_map[name]
        parent = field.related_model
        if isinstance(parent, type):
            found.append((field.source_field or f"{name}_id", parent, field.null))
    return found


async def _count(connection: Any, table: str) -> int:
    rows = await connection.execute_query_dict(f'SELECT COUNT(*) AS n FROM "{table}"')  # noqa: S608 — table names from the models
    return int(rows[0]["n"])


async def _first_key(connection: Any, model: Any) -> Any:
    meta = model._meta
    column = meta.fields_db_projection[meta.pk_attr]
    rows = await connection.execute_query_dict(f'SELECT "{column}" AS k FROM "{meta.db_table}" ORDER BY 1 LIMIT 1')  # noqa: S608
    return rows[0]["k"] if rows else None


async def fill_empty_tables(connection: Any, state: Any, dialect: str) -> list[str]:
    """Insert one generated row into every table of ``state`` that has none; parents
    before children. Returns the tables filled."""
    models = [model for model in _models_of(state) if not model._meta.abstract]
    pending = {model._meta.db_table: model for model in models}
    filled: list[str] = []
    for number in range(1, len(pending) + 2):
        progressed = False
        for table, model in list(pending.items()):
            parents = _parents(model)
            if any(parent._meta.db_table in pending and parent is not model and not null
                   for _column, parent, null in parents):
                continue  # a required parent is still empty: next round
            del pending[table]
            progressed = True
            if await _count(connection, table):
                continue
            await _insert_row(connection, model, parents, dialect, number)
            filled.append(table)
        if not pending:
            return filled
        if not progressed:
            raise MigrationOnDataError(f"cannot order the tables {sorted(pending)} to fill them (a cycle of "
                                       "required foreign keys)")
    return filled


async def _insert_row(connection: Any, model: Any, parents: list, dialect: str, number: int) -> None:
    meta = model._meta
    keys = {column: parent for column, parent, _null in parents}
    columns, values = [], []
    for name, column in meta.fields_db_projection.items():
        field = meta.fields_map[name]
        if name == meta.pk_attr and getattr(field, "generated", False):
            continue
        if column in keys:
            parent = keys[column]
            value = None if parent is model else await _first_key(connection, parent)
        else:
            value = field.to_db_value(_value_for(field, model, number), model)
        columns.append(f'"{column}"')
        values.append(value)
    marks = ", ".join(f"${index}" if dialect == "postgres" else "?" for index in range(1, len(values) + 1))
    sql = f'INSERT INTO "{meta.db_table}" ({", ".join(columns)}) VALUES ({marks})'  # noqa: S608 — names from the models, values bound
    if not columns:
        sql = f'INSERT INTO "{meta.db_table}" DEFAULT VALUES'  # noqa: S608
    try:
        await connection.execute_query(sql, values)
    except Exception as error:
        raise MigrationOnDataError(f"could not put a generated row into {meta.db_table} "
                                   f"({', '.join(columns)}): {error}") from error


# --- Step by step ---------------------------------------------------------------------


def _in_baseline(app_label: str, name: str, baseline: dict[str, str]) -> bool:
    """Whether the migration is at or before its app's baseline (migration names start
    with their number, which orders them within an app)."""
    last = baseline.get(app_label)
    return last is not None and name.split("_", 1)[0] <= last.split("_", 1)[0]


async def migrate_with_rows(host: Any, baseline: dict[str, str] | None = None,
                            progress: Callable[[str], None] | None = None) -> list[str]:
    """Apply every pending migration one at a time, each onto tables holding rows.

    ``baseline`` names, per app, the last migration released before any installation
    held data: it and the ones before it run on empty tables (no rows are added while
    any baseline migration is still to come), everything after is proven on rows.

    Runs inside an open Tortoise context (``core.database.open_database``). Returns the
    migrations applied; a failure raises ``MigrationOnDataError`` naming the migration."""
    from tortoise.connection import get_connection
    from tortoise.migrations.executor import MigrationExecutor
    from tortoise.migrations.schema_generator.state import State
    from tortoise.migrations.schema_generator.state_apps import StateApps

    from core.database import apps_config

    connection = get_connection("default")
    dialect = connection.capabilities.dialect
    config = apps_config(host)
    executor = MigrationExecutor(connection, config)
    await executor.recorder.ensure_schema(executor._schema_editor(atomic=False))
    plan = await executor.plan()
    steps = [step for step in plan if not step.backward]
    if len(steps) != len(plan) or await executor.recorder.applied_migrations():
        raise MigrationOnDataError("migrate_with_rows needs a new, empty database")
    state = State(models={}, apps=StateApps(default_connections={label: "default" for label in config}))
    applied: list[str] = []
    baseline = {**CORE_BASELINE, **(baseline or {})}
    last_baseline = max((index for index, step in enumerate(steps)
                         if _in_baseline(step.migration.app_label, step.migration.name, baseline)), default=-1)
    for index, step in enumerate(steps):
        migration = step.migration
        name = f"{migration.app_label}.{migration.name}"
        # Rows only once every baseline migration has run: a row added earlier would
        # still be there when a later baseline migration runs.
        filled = await fill_empty_tables(connection, state, dialect) if index > last_baseline else []
        if progress:
            progress(f"{name}: rows in {len(filled)} more tables")
        try:
            await _apply(executor, migration, state)
        except Exception as error:
            raise MigrationOnDataError(f"migration {name} fails on tables that hold rows: "
                                       f"{type(error).__name__}: {error}\n{FIX_HINT}") from error
        applied.append(name)
    return applied


async def _apply(executor: Any, migration: Any, state: Any) -> None:
    """What ``MigrationExecutor.migrate`` does for one forward step, on a state carried
    from step to step (``migrate([target])`` would rebuild the graph and replay every
    earlier migration each time: minutes instead of seconds for a few dozen)."""
    from tortoise.transactions import in_transaction

    editor = executor._schema_editor(atomic=migration.atomic)
    if editor.atomic_migration:
        async with in_transaction(executor.connection.connection_name) as client:
            editor.client = client
            await migration.apply(state, schema_editor=editor)
    else:
        await migration.apply(state, schema_editor=editor)
    await executor.recorder.record_applied(migration.app_label, migration.name)


def check_migrations_on_data(backend: str, extra_plugins: Iterable[ModuleType] = (),
                             baseline: dict[str, str] | None = None) -> list[str]:
    """Build a new database on ``backend`` ("sqlite" or "postgres"), apply every
    migration of core, the installed plugins and ``extra_plugins`` one at a time onto
    tables holding rows, and drop it. Returns the migrations applied."""
    from core.database import open_database
    from core.plugins import load_plugins
    from core.testing.databases import TEMPLATES_ENV, admin_execute, postgres_url_for, run_async, settings_for

    extra_plugins = list(extra_plugins)

    async def run(url: str) -> list[str]:
        settings = settings_for(url)
        host = load_plugins(settings.disabled_plugins, extra_plugins)
        async with open_database(settings, host):
            return await migrate_with_rows(host, baseline)

    if backend == "sqlite":
        # In the run's template folder (shared memory where there is one): SQLite's
        # synchronous commits then cost no disk flush.
        with tempfile.TemporaryDirectory(prefix="fdt-steps-", dir=os.environ.get(TEMPLATES_ENV)) as folder:
            return run_async(run(f"sqlite://{Path(folder) / 'steps.sqlite3'}"))
    name = f"fdt_steps_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    run_async(admin_execute(f'CREATE DATABASE "{name}"'))
    try:
        return run_async(run(postgres_url_for(name)))
    finally:
        run_async(admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def model_drift(extra_plugins: Iterable[ModuleType] = ()) -> list[str]:
    """One line per app whose models differ from its committed migrations (what
    ``frontdesk makemigrations`` would write), empty when they match."""
    from core.migrations_tool import describe_drift
    from core.plugins import load_plugins
    from core.testing.databases import run_async, settings_for

    settings = settings_for("sqlite://:memory:")
    host = load_plugins(settings.disabled_plugins, list(extra_plugins))
    return run_async(describe_drift(settings, host))


def check_models_match_migrations(extra_plugins: Iterable[ModuleType] = ()) -> None:
    drift = model_drift(extra_plugins)
    if drift:
        raise AssertionError("models differ from the committed migrations; run `frontdesk makemigrations` "
                             "and commit the result:\n" + "\n".join(drift))


# --- Fixtures --------------------------------------------------------------------------


@pytest.fixture
def migrations_on_data(database_backend) -> Iterator[Callable[..., list[str]]]:
    """``migrations_on_data(extra_plugins=(), baseline=None)``: every committed migration of core and the
    installed plugins, applied one at a time to a new database whose tables hold rows,
    on this run's backend. Fails naming the migration that cannot apply."""
    def check(extra_plugins: Iterable[ModuleType] = (), baseline: dict[str, str] | None = None) -> list[str]:
        return check_migrations_on_data(database_backend, extra_plugins, baseline)

    yield check


@pytest.fixture
def models_match_migrations() -> Iterator[Callable[..., None]]:
    """``models_match_migrations(extra_plugins=())``: fails when a model differs from what
    the committed migrations build (a model change without ``makemigrations``)."""
    yield check_models_match_migrations
