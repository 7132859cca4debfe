"""Writing migrations: Tortoise's autodetector, run one app at a time in load order.

Tortoise 1.1 can write a dependent app's first migration without its dependency on
another app when both are generated in the same run (it looks on disk before the other
file exists). Writing the first app that has changes, then detecting again, means every
migration is generated after the migrations it depends on are on disk.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.writer import MigrationWriter

from core.database import tortoise_config
from core.plugin_host import PluginHost
from core.settings import Settings


async def detect_changes(settings: Settings, host: PluginHost, app_labels: list[str] | None = None) -> list[MigrationWriter]:
    """Migrations the models need that are not on disk (nothing is written)."""
    config = tortoise_config(settings, host)
    if app_labels:
        unknown = set(app_labels) - set(config["apps"])
        if unknown:
            raise ValueError(f"unknown app(s): {', '.join(sorted(unknown))}")
    importlib.invalidate_caches()
    _forget_migration_modules(config["apps"])
    async with TortoiseContext() as context:
        await context.init(config=config, init_connections=False)
        writers = await MigrationAutodetector(context.apps, config["apps"]).changes()
    if app_labels:
        writers = [writer for writer in writers if writer.app_label in app_labels]
    return writers


def _forget_migration_modules(apps: dict[str, dict[str, Any]]) -> None:
    """Drop imported migration modules so the loader sees files written a moment ago."""
    prefixes = tuple(app["migrations"] + "." for app in apps.values())
    for name in [name for name in sys.modules if name.startswith(prefixes)]:
        del sys.modules[name]


def unsafe_additions(writer: MigrationWriter) -> list[str]:
    """Fields the migration would add to an existing table as NOT NULL without a database
    default: the migration applies to an empty database and fails on any table with rows
    (PostgreSQL refuses the column, SQLite's table rebuild has no value to copy), so
    ``makemigrations`` refuses to write it and says what to add."""
    from tortoise.migrations import operations as ops

    problems = []
    for operation in writer.operations:
        if type(operation) is not ops.AddField:  # core.migration_ops.AddColumn writes its own default
            continue
        field = operation.field
        if field.null or field.has_db_default() or getattr(field, "generated", False):
            continue
        default = field.default
        fix = (f"add db_default={default!r} beside default=" if default is not None and not callable(default)
               else "give it db_default= (a constant) or null=True")
        problems.append(f"{writer.app_label}.{operation.model_name}.{operation.name} is added NOT NULL to an "
                        f"existing table without a database default, which fails on any table with rows: {fix}")
    return problems


async def make_migrations(settings: Settings, host: PluginHost, app_labels: list[str] | None = None,
                          name: str | None = None) -> list[str]:
    """Write the missing migrations, one app at a time; returns the files written."""
    written: list[str] = []
    for _round in range(100):  # one file per round; far more apps than any install has
        writers = await detect_changes(settings, host, app_labels)
        if not writers:
            return written
        writer = writers[0]
        if problems := unsafe_additions(writer):
            raise ValueError("; ".join(problems))
        if name:
            number = writer.name.split("_", 1)[0]
            writer.name = f"{number}_{name}"
        written.append(str(writer.write()))
    raise RuntimeError("makemigrations did not settle after 100 rounds")


def _describe_operation(operation: Any) -> str:
    parts = [type(operation).__name__]
    for attribute in ("model_name", "name"):
        value = getattr(operation, attribute, None)
        if isinstance(value, str):
            parts.append(value)
    return " ".join(parts)


async def describe_drift(settings: Settings, host: PluginHost) -> list[str]:
    """One line per app whose models differ from its committed migrations, naming the
    operations ``makemigrations`` would write; empty when models and migrations match.
    The test kit's drift test and ``frontdesk check`` share it."""
    lines = []
    for writer in await detect_changes(settings, host):
        operations = ", ".join(_describe_operation(operation) for operation in writer.operations) or "changes"
        lines.append(f"{writer.app_label}: {operations}")
    return lines
