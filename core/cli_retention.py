"""``frontdesk retention run|show`` and ``frontdesk audit-archive list|show MONTH`` (core.retention)."""

from __future__ import annotations

import json
import sys

import click

from core.cli_support import cli_settings, fail, friendly, run_with_database
from core.errors import StartupError


def _settings():
    return cli_settings()


@click.group()
def retention() -> None:
    """How long records are kept, and removing what is past it (docs/operations.md)."""


@retention.command("show")
@friendly
def show() -> None:
    """Print the policy (from the settings) and the last runs."""
    from core.retention.services import last_runs, policy

    settings = _settings()
    for row in policy(settings):
        limit = f"{row['limit']} {row['unit']}" if row["limit"] else "kept forever"
        click.echo(f"{row['kind']:<20} {limit:<14} {row['counted_from']}  ({row['setting']})")

    async def work(_host):
        return await last_runs(10)

    runs = run_with_database(work)
    click.echo("last runs:" if runs else "no run yet")
    for run in runs:
        removed = ", ".join(f"{name} {count}" for name, count in (run.removed or {}).items())
        state = "" if run.finished_at else " (did not finish)"
        click.echo(f"  {run.started_at.isoformat()} {run.trigger}{state}: {removed or 'nothing'}"
                   f"{'; archived ' + ', '.join(run.archived) if run.archived else ''}"
                   f"{'; problems: ' + run.error if run.error else ''}")


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Count what would be removed; change nothing.")
@friendly
def run(dry_run: bool) -> None:
    """Remove (or with --dry-run count) every record past the policy, archiving audit months first."""
    from core.retention.jobs import run_once, secret_of

    settings = _settings()

    async def work(_host):
        return await run_once(settings, secret_of(settings), dry_run=dry_run, trigger="cli")

    report = run_with_database(work)
    if not report.ran:
        fail("retention: another process is running the job now; try again later", 1)
    verb = "would remove" if dry_run else "removed"
    for name, count in report.removed.items():
        click.echo(f"{name}: {verb} {count}")
    if report.archived:
        click.echo(f"audit months {'to archive' if dry_run else 'archived'}: {', '.join(report.archived)}")
    for problem in report.problems:
        click.echo(f"problem: {problem}", err=True)
    sys.exit(1 if report.problems else 0)


@click.group("audit-archive")
def audit_archive() -> None:
    """Read the signed monthly archives of the audit log."""


@audit_archive.command("list")
@friendly
def archive_list() -> None:
    """Every archived month: entries, ids, when, and whether its entries were deleted."""
    from core.retention.services import archived_months

    async def work(_host):
        return await archived_months()

    for archive in reversed(run_with_database(work)):
        state = "deleted" if archive.deleted_at else "not yet deleted"
        click.echo(f"{archive.month} {archive.entry_count} entries, ids {archive.first_id}-{archive.last_id}, "
                   f"{archive.storage_key}, sha256 {archive.sha256}, {state}")


@audit_archive.command("show")
@click.argument("month")
@friendly
def archive_show(month: str) -> None:
    """Print an archived MONTH (YYYY-MM) as JSON lines, after verifying its file and signature."""
    from core.retention import archives
    from core.retention.jobs import secret_of
    from core.storage import storage_for

    if not archives.valid_month(month):
        raise StartupError(f"audit-archive: {month!r} is not a month; write it as YYYY-MM", exit_status=2)
    settings = _settings()

    async def work(_host):
        try:
            entries = await archives.read_month(month, storage_for(settings), secret_of(settings))
            if entries is None:
                return None
            for entry in entries:  # printed as read: a month may hold millions
                click.echo(json.dumps(entry, ensure_ascii=False, sort_keys=True))
            return True
        except archives.ArchiveInvalid as error:
            raise StartupError(f"audit-archive {month}: {error}", exit_status=1) from None

    if run_with_database(work) is None:
        raise StartupError(f"audit-archive: {month} is not archived (see `frontdesk audit-archive list`)",
                           exit_status=1)
