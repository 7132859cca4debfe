"""What every ``frontdesk`` command shares: one-line failures, settings, the loaded
plugins and an open database.

``core.cli`` (the top-level group and the platform commands) and ``core.cli_accounts``
(user and site commands) both import these; neither imports the other's helpers.
"""

from __future__ import annotations

import asyncio

import sys
from functools import wraps
from typing import Any, Awaitable, Callable

import click

from core.errors import StartupError


#: ``frontdesk --debug``: a failure shows its whole traceback after its line.
DEBUG = False


def fail(message: str, status: int = 2, error: BaseException | None = None) -> None:
    """End the command with one line on stderr and a non-zero exit status (with
    ``--debug``, the traceback of ``error`` first)."""
    if DEBUG and error is not None:
        import traceback

        traceback.print_exception(error, file=sys.stderr)
    click.echo(f"frontdesk: {message}", err=True)
    sys.exit(status)


def friendly(function):
    """Turn StartupError into one line and its exit status."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except StartupError as error:
            fail(str(error), error.exit_status, error)

    return wrapper


def cli_settings(**overrides):
    """The settings, with the options given on the command line (None: not given)."""
    from core.identity.passwords import configure_hashing_from
    from core.settings import load_settings

    settings = load_settings(**{key: value for key, value in overrides.items() if value is not None})
    configure_hashing_from(settings)
    return settings


def load_host(settings):
    """Core and the installed plugins, less the disabled ones."""
    from core.plugins import load_plugins

    return load_plugins(settings.disabled_plugins)


async def with_database(settings, host, work: Callable[[], Awaitable[Any]], require_migrated: bool = False) -> Any:
    """Run ``work()`` with the database open (refusing pending migrations if asked)."""
    from core.database import open_database, pending_migrations

    async with open_database(settings, host):
        if require_migrated and (pending := await pending_migrations(host)):
            raise StartupError(f"database: {len(pending)} migration(s) not applied; run `frontdesk migrate` first")
        return await work()


def run_with_database(work: Callable[[Any], Awaitable[Any]], require_migrated: bool = True) -> Any:
    """What every account and site command does around its ``work(host)``: the settings,
    the plugins, the database open (migrated), then ``work`` run to its end."""
    settings = cli_settings()
    host = load_host(settings)
    return asyncio.run(with_database(settings, host, lambda: work(host), require_migrated=require_migrated))
