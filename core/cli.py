"""The ``frontdesk`` command line.

Every failure a person can cause (bad config, database down, port taken) ends in one
line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import asyncio
import errno
from pathlib import Path
import logging
import socket
import sys

import click

from core.cli_accounts import site, user
from core.cli_imports import export_command, import_command
from core.cli_privacy import privacy
from core.cli_retention import audit_archive, retention
from core.cli_support import cli_settings, fail, friendly, load_host, with_database
from core.errors import StartupError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="frontdesk", prog_name="frontdesk")
@click.option("--debug", is_flag=True, help="On a failure, show the whole traceback after the one line.")
def cli(debug) -> None:
    """Frontdesk: service desks for residents, hotel guests, cashiers and callers."""
    from core import cli_support

    cli_support.DEBUG = cli_support.DEBUG or debug


# The account and site commands live in core.cli_accounts.
cli.add_command(user)
cli.add_command(site)
# Retention and the audit archives live in core.cli_retention.
cli.add_command(retention)
cli.add_command(audit_archive)
# Bulk imports and exports live in core.cli_imports.
cli.add_command(import_command)
cli.add_command(export_command)
# Personal-data requests (export, erase) live in core.cli_privacy.
cli.add_command(privacy)


def _port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise StartupError(f"server: port {port} on {host} is already in use (set FRONTDESK_PORT or --port)") from None
            raise StartupError(f"server: cannot listen on {host}:{port}: {error.strerror}") from None


def _metrics_folder(workers: int) -> None:
    """With several workers, each writes its metrics to files in one folder that every
    worker reads on a scrape (``core.web.metrics``): ``PROMETHEUS_MULTIPROC_DIR`` when set
    (emptied now: the files of an earlier run would be counted again), else a new folder
    removed when the server stops. Set before the workers start and import the client."""
    import atexit
    import os
    import shutil
    import tempfile

    if workers < 2:
        return
    if given := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
    else:
        folder = Path(tempfile.mkdtemp(prefix="frontdesk-metrics-"))
        atexit.register(shutil.rmtree, folder, True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


@cli.command()
@click.option("--host", default=None, help="Address to listen on (setting: host).")
@click.option("--port", type=int, default=None, help="Port to listen on (setting: port).")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
@click.option("--reload", is_flag=True, help="Restart when a file of core, a theme or a plugin changes "
              "(development only, one worker).")
@friendly
def serve(host, port, workers, reload) -> None:
    """Serve the web application (refuses to start with pending migrations)."""
    import uvicorn

    if reload and workers != 1:
        raise StartupError("serve: --reload runs one worker; leave out --workers", exit_status=2)

    from core.database import pending_migrations

    settings = cli_settings(host=host, port=port)
    plugin_host = load_host(settings)
    _port_free(settings.host, settings.port)
    from core.startup_checks import validate

    validate(plugin_host)  # what create_app refuses, refused here in lines rather than in uvicorn's traceback
    _refuse_drift(settings, plugin_host)
    pending = asyncio.run(with_database(settings, plugin_host, lambda: pending_migrations(plugin_host)))
    if pending:
        raise StartupError(
            f"database: {len(pending)} migration(s) not applied ({', '.join(pending[:5])}); "
            "run `frontdesk migrate` (make run does it for you)"
        )
    from core.database import rewritten_line, rewritten_migrations

    if rewritten := asyncio.run(with_database(settings, plugin_host, lambda: rewritten_migrations(plugin_host))):
        raise StartupError("\n".join(f"migrations: {rewritten_line(name)}" for name in rewritten))
    overrides = {"FRONTDESK_HOST": settings.host, "FRONTDESK_PORT": str(settings.port)}
    import os

    os.environ.update(overrides)
    click.echo(f"Frontdesk on http://{settings.host}:{settings.port}  (stop with Ctrl+C)")
    from core.logs import logging_config

    _metrics_folder(workers)
    # uvicorn handles SIGTERM (the app ends its event streams at once, core.app), then
    # raises it again once it has shut down: exit 0 then, a stop asked for is no failure.
    import signal

    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    from core.dev_reload import reload_options

    uvicorn.run("core.app:create_app", factory=True, host=settings.host, port=settings.port,
                workers=workers, log_level=settings.log_level,
                # The reloader needs the import string above; it watches what reload_options names.
                **(reload_options(plugin_host) if reload else {}),
                # Requests still running this long after SIGTERM are cancelled.
                timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
                # One access line per request comes from core.web.metrics, in log_format.
                log_config=logging_config(settings.log_format, settings.log_level), access_log=False,
                # X-Forwarded-For is read by core.web.authentication, and only from the
                # configured trusted proxies; uvicorn must not rewrite the peer first.
                proxy_headers=False)


@cli.command()
@friendly
def migrate() -> None:
    """Apply every pending migration of core and the plugins (one host at a time: a second
    ``migrate`` waits for the first, then finds nothing to do)."""
    from core.database import apply_migrations, migration_lock
    from core.identity.services import sync_roles_and_permissions

    settings = cli_settings()
    plugin_host = load_host(settings)
    running = {"step": "reading the migrations"}

    def progress(event, app_label, name):
        if event == "apply_start":
            running["step"] = f"{app_label}.{name}"
        elif event == "apply_done":
            click.echo(f"  applied {app_label}.{name}")

    async def work():
        applied = await apply_migrations(plugin_host, progress)
        running["step"] = "updating roles and permissions"
        await sync_roles_and_permissions(plugin_host)
        return applied

    async def locked():
        waiting = lambda: click.echo("Another `frontdesk migrate` is running on this database; waiting for it.")  # noqa: E731
        async with migration_lock(settings, on_wait=waiting):
            # A long table rewrite must not meet the requests' statement timeout.
            return await with_database(settings.with_changes(statement_timeout_ms=0), plugin_host, work)

    try:
        applied = asyncio.run(locked())
    except StartupError:
        raise
    except Exception as error:
        detail = " ".join(str(error).split()) or type(error).__name__
        raise StartupError(f"migrate: {running['step']} failed: {detail}") from None
    click.echo(f"{len(applied)} migration(s) applied." if applied else "No migrations to apply.")


@cli.command()
@click.argument("apps", nargs=-1)
@click.option("--name", default=None, help="Name for the new migration (after its number).")
@friendly
def makemigrations(apps, name) -> None:
    """Write migrations for model changes (for plugin and core developers)."""
    from core.migrations_tool import make_migrations

    settings = cli_settings()
    plugin_host = load_host(settings)
    try:
        written = asyncio.run(make_migrations(settings, plugin_host, list(apps) or None, name))
    except ValueError as error:
        raise StartupError(f"makemigrations: {error}") from None
    for path in written:
        click.echo(f"  wrote {path}")
    click.echo(f"{len(written)} migration(s) written." if written else "No changes detected.")


@cli.command()
@click.option("--if-empty", is_flag=True, help="Only when the database holds no sites yet.")
@friendly
def demo(if_empty) -> None:
    """Load the demo sites, users and records (password: frontdesk-demo)."""
    from core.demo import DEMO_PASSWORD, load_demo

    settings = cli_settings()
    plugin_host = load_host(settings)
    loaded = asyncio.run(with_database(settings, plugin_host, lambda: load_demo(plugin_host, only_if_empty=if_empty)))
    if loaded:
        click.echo(f"Demo data loaded. Sign in as any of: {', '.join(loaded)} (password: {DEMO_PASSWORD})")
    else:
        click.echo("The database already has data; demo not loaded.")


@cli.command()
@friendly
def plugins() -> None:
    """List the loaded plugins, their versions and the hooks they implement."""
    settings = cli_settings()
    plugin_host = load_host(settings)
    for plugin in plugin_host.plugins:
        origin = "built-in" if plugin.builtin else "installed"
        click.echo(f"{plugin.name} {plugin.meta.version} ({origin}): {', '.join(plugin.hooks) or 'no hooks'}")


@cli.command()
@friendly
def check() -> None:
    """Check what start-up checks and more, one line each: config, plugins, theme, the
    secret key (shared databases), the app as `serve` builds it, the database, pending
    migrations and models that differ from the committed migrations. Exit 1 on a problem."""
    from core.database import check_database, pending_migrations
    from core.migrations_tool import detect_changes
    from core.web.templating import theme_chain

    problems = []

    def report(name: str, problem: str | None, ok: str = "ok") -> None:
        if problem:
            problems.append(name)
        click.echo(f"{name}: {problem or ok}")

    settings = cli_settings()
    click.echo("config: ok")
    plugin_host = load_host(settings)
    click.echo(f"plugins: ok ({', '.join(plugin_host.names)})")
    try:
        theme_chain(settings.theme)
        report("theme", None, f"ok ({settings.theme})")
    except StartupError as error:
        report("theme", str(error).removeprefix("config: theme: "))
    if not settings.is_sqlite and not settings.secret_key:
        report("secret_key", "empty while the database is shared (PostgreSQL): each host would make its own key "
                             "and refuse the others' sessions and CSRF tokens; set one 32+ character secret_key "
                             "on every host")
    else:
        report("secret_key", None, "ok" if settings.secret_key else "ok (generated once in var/secret_key)")
    # The start-up validation pass `serve` runs (core.startup_checks), one line per problem.
    from core.startup_checks import startup_problems

    for problem in startup_problems(plugin_host):
        report("plugins", problem)
    report("app", _app_problem(settings))

    pending = None
    try:
        asyncio.run(check_database(settings))
        pending = asyncio.run(with_database(settings, plugin_host, lambda: pending_migrations(plugin_host)))
        report("database", None)
    except StartupError as error:
        report("database", str(error).removeprefix("database: "))
    rewritten = []
    if pending is not None:
        from core.database import rewritten_line, rewritten_migrations

        rewritten = asyncio.run(with_database(settings, plugin_host, lambda: rewritten_migrations(plugin_host)))
        for name in rewritten:
            report("migrations", rewritten_line(name))
    if pending:
        report("migrations", f"{len(pending)} pending ({', '.join(pending[:5])}); run `frontdesk migrate`")
    elif pending is not None and not rewritten:
        report("migrations", None, "ok (none pending)")
    try:
        drift = sorted({writer.app_label for writer in asyncio.run(detect_changes(settings, plugin_host))})
        for app_label in drift:
            report("models", _drift_line(app_label))
        if not drift:
            report("models", None, "ok (match the committed migrations)")
    except Exception as error:
        report("models", f"cannot compare with the migrations: {' '.join(str(error).split())}")
    sys.exit(1 if problems else 0)


def _drift_line(app_label: str) -> str:
    return (f"differ from the committed migrations in {app_label}; "
            f"run `frontdesk makemigrations {app_label}` and commit the result")


def _refuse_drift(settings, plugin_host) -> None:
    """A model change without its migration would start and then fail on the first write
    with a 500: `serve` refuses it, one line per app (as `check` reports it)."""
    from core.migrations_tool import detect_changes

    drift = sorted({writer.app_label for writer in asyncio.run(detect_changes(settings, plugin_host))})
    if drift:
        raise StartupError("\n".join(f"models: {_drift_line(app_label)}" for app_label in drift))


def _app_problem(settings) -> str | None:
    """Build the app as `serve` would (every start-up validation), without its database;
    None when it builds. An empty secret key stays empty: no key file is written here."""
    from core.app import create_app

    from core.startup_checks import StartupProblems

    try:
        create_app(settings if settings.secret_key else settings.with_changes(secret_key="c" * 32))
    except StartupProblems:
        return None  # the validation pass's problems are reported above, one line each
    except StartupError as error:
        return str(error)
    return None


@cli.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@friendly
def backup_command(destination) -> None:
    """Write a consistent copy of the database (SQLite backup API, or pg_dump -Fc)."""
    from core.backup import backup

    written = backup(cli_settings(), destination)
    click.echo(f"Backup written to {written}.")


@cli.command()
@friendly
def integrity() -> None:
    """Check the stored data: the database's own check, core's and each plugin's."""
    from core.integrity import problems_of, run_checks

    settings = cli_settings()
    plugin_host = load_host(settings)
    results = asyncio.run(with_database(settings, plugin_host, lambda: run_checks(plugin_host, settings.is_sqlite, settings),
                                         require_migrated=True))
    for name, found in results.items():
        click.echo(f"{name}: {'ok' if not found else '; '.join(found)}")
    sys.exit(1 if problems_of(results) else 0)


@cli.group()
def storage() -> None:
    """Uploaded files: check the configured store, move files between stores."""


def _run_storage(settings, work):
    """``work()`` with the database open; a store that cannot be reached is one line."""
    from botocore.exceptions import BotoCoreError, ClientError

    from core.storage import StoreUnreachable

    try:
        return asyncio.run(with_database(settings, load_host(settings), work, require_migrated=True))
    except StoreUnreachable as error:
        raise StartupError(f"storage: {error.cause or error.detail}", exit_status=1) from None
    except (BotoCoreError, ClientError, OSError, ValueError) as error:
        raise StartupError(f"storage: {error}", exit_status=1) from None


@storage.command("check")
@friendly
def storage_check() -> None:
    """Count the files (and bytes) in the store the settings name."""
    from core.storage import check, storage_for

    settings = cli_settings()
    files, size = _run_storage(settings, lambda: check(storage_for(settings)))
    click.echo(f"storage ({settings.storage_backend}): ok, {files} file(s), {size} byte(s)")


@storage.command("move")
@click.option("--to", "target", type=click.Choice(["s3", "database"]), required=True, help="The store to move to.")
@click.option("--keep-source", is_flag=True, help="Copy only: leave the files in the store they come from.")
@friendly
def storage_move(target, keep_source) -> None:
    """Move every stored file to the other store (run again: nothing left to move)."""
    from core.storage import move, storage_for

    settings = cli_settings()
    if target == "s3" and not settings.s3_bucket:
        raise StartupError("storage: set s3_bucket (and the other s3_ settings) first", exit_status=2)
    source = "database" if target == "s3" else "s3"
    report = _run_storage(settings, lambda: move(storage_for(settings, source), storage_for(settings, target),
                                                  keep_source=keep_source))
    click.echo(f"storage: {report.copied} copied, {report.present} already in {target}, "
               f"{report.removed} removed from {source}")
    if settings.storage_backend != target:
        click.echo(f"storage: now set storage_backend = \"{target}\"")


@storage.command("import-folder")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--prefix", required=True, help="Key prefix, e.g. resident/legacy/ for the resident plugin's old uploads.")
@friendly
def storage_import_folder(folder, prefix) -> None:
    """Put every file under FOLDER into the store as PREFIX + its path in FOLDER."""
    from core.storage import import_folder, storage_for

    settings = cli_settings()
    copied, present = _run_storage(settings, lambda: import_folder(storage_for(settings), folder, prefix))
    click.echo(f"storage: {copied} imported, {present} already there")


@cli.group()
def plugin() -> None:
    """Tools for plugin authors."""


@plugin.command("new")
@click.argument("name")
@click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder in which to create NAME/.")
@click.option("--label", default="", help="Its name in English, in menus and titles (default: from NAME).")
@click.option("--zh-hant", default="", help="Its name in Traditional Chinese (e.g. 失物招領).")
@click.option("--zh-hans", default="", help="Its name in Simplified Chinese (e.g. 失物招领).")
@friendly
def plugin_new(name, parent, label, zh_hant, zh_hans) -> None:
    """Create a ready-to-install plugin package in a new folder NAME/."""
    from core.scaffold import create_plugin

    target = create_plugin(name, parent, label, zh_hant, zh_hans)
    click.echo(f"Created {target}/. Next: pip install -e {target} && frontdesk migrate, then restart the server.")


@plugin.command("messages")
@click.argument("name", required=False)
@friendly
def plugin_messages(name) -> None:
    """Extract, update and compile the translations of plugin NAME (installed), or of the
    plugin in the current folder: locale/messages.pot, then zh_Hant, zh_Hans and en."""
    from core.plugin_messages import package_of, update_catalogues

    plugin_name, package = package_of(name, Path.cwd())
    for report in update_catalogues(package, plugin_name):
        line = f"{package / 'locale' / report.language}: {report.messages} messages"
        line += " (created)" if report.created else ""
        if report.untranslated:
            line += f", {len(report.untranslated)} untranslated: " + "; ".join(report.untranslated[:5])
            line += " ..." if len(report.untranslated) > 5 else ""
        click.echo(line)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address both sinks listen on.")
@click.option("--smtp-port", type=int, default=1025, show_default=True, help="The SMTP server's port.")
@click.option("--sms-port", type=int, default=1026, show_default=True, help="The SMS gateway's port.")
@friendly
def devsinks(host, smtp_port, sms_port) -> None:
    """Run a local SMTP server and SMS gateway for the demo: mail to var/devmail/, SMS to
    var/devsms/, each SMS reported delivered a second later (signed with sms_report_secret)."""
    from core.messages.dev_sinks import DevSinks, serve_forever, settings_hint

    settings = cli_settings()
    sinks = DevSinks(Path("var"), settings.sms_report_secret, host=host, smtp_port=smtp_port, sms_port=sms_port,
                     say=click.echo)
    click.echo(f"SMTP on {host}:{smtp_port} -> var/devmail/, SMS gateway on http://{host}:{sms_port} -> var/devsms/"
               "  (stop with Ctrl+C)")
    if not settings.sms_report_secret:
        click.echo("sms_report_secret is empty: SMS are kept but no delivery report is sent.")
    click.echo("Point Frontdesk at them with:\n" + settings_hint(host, smtp_port, sms_port))
    try:
        asyncio.run(serve_forever(sinks))
    except OSError as error:
        raise StartupError(f"devsinks: {error.strerror or error}") from None


def build_cli() -> click.Group:
    """The command group with the plugins' commands added (``register_cli_commands``)."""
    try:
        settings = cli_settings()
        plugin_host = load_host(settings)
    except StartupError:
        return cli  # the command itself will report the problem in one line
    plugin_host.call_each("register_cli_commands", cli=cli)
    return cli


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from core import cli_support

    # Read before the commands are built: building them loads the plugins, which may fail.
    cli_support.DEBUG = "--debug" in sys.argv[1:sys.argv.index("--") if "--" in sys.argv else None]
    try:
        build_cli()(prog_name="frontdesk")
    except StartupError as error:
        fail(str(error), error.exit_status, error)
    except KeyboardInterrupt:
        sys.exit(130)
