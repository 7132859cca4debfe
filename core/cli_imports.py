"""``frontdesk import`` and ``frontdesk export``: the import service from a terminal.

The command acts as the system (whoever may run it has the database anyway), audited
under no user; a refused file or rows with errors end with a non-zero status and one line
per error (the first ``SHOWN``, then how many more).
"""

from __future__ import annotations

from pathlib import Path

import click

from core.cli_support import friendly
from core.errors import StartupError

#: Errors printed before "... and N more".
SHOWN = 20


def _lines(errors: list[dict]) -> list[str]:
    lines = []
    for error in errors[:SHOWN]:
        where = f"row {error['row']}, {error['column']}" if error.get("row") else str(error.get("column") or "file")
        lines.append(f"{where}: {error['message']}")
    if len(errors) > SHOWN:
        lines.append(f"... and {len(errors) - SHOWN} more")
    return lines


async def _site(code: str):
    from core.entities.models import Site

    site = await Site.get_or_none(code=code)
    if site is None:
        raise StartupError(f"no site {code!r}", exit_status=1)
    return site


@click.command("import")
@click.argument("kind")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", "site_code", required=True, help="Code of the site to import into.")
@click.option("--dry-run", is_flag=True, help="Check every row and write nothing.")
@click.option("--encoding", default=None, help="Encoding of a CSV file: utf-8, big5 or gb18030 (default: detected).")
@friendly
def import_command(kind, file, site_code, dry_run, encoding) -> None:
    """Import a CSV or XLSX FILE of KIND (core.units, core.parties, core.users, ...)."""
    from core.actors import SYSTEM
    from core.cli_support import cli_settings, load_host, with_database
    from core.imports import services
    from core.problems import Problem

    settings = cli_settings()
    host = load_host(settings)
    data = file.read_bytes()

    async def work():
        site = await _site(site_code)
        try:
            return await services.run_import(host, kind, site, data, actor=SYSTEM, dry_run=dry_run,
                                             encoding=encoding, settings=settings, filename=file.name)
        except Problem as problem:
            report = problem.extra.get("report") or {}
            errors = report.get("errors") or [{"column": e.get("column") or e.get("field"), "row": e.get("row"),
                                               "message": e["message"]} for e in problem.errors or []]
            lines = [problem.detail] + [line for line in _lines(errors) if line != f"file: {problem.detail}"]
            raise StartupError("\n".join(lines), exit_status=1) from None

    import asyncio

    report = asyncio.run(with_database(settings, host, work, require_migrated=True))
    read_as = report.format + (f", {report.encoding}" if report.encoding else "")
    if report.errors:
        click.echo(f"{kind}: {report.rows} rows read ({read_as}); {len(report.errors)} errors, nothing written", err=True)
        for line in _lines(report.errors):
            click.echo(line, err=True)
        raise SystemExit(1)
    if report.dry_run:
        click.echo(f"{kind}: {report.rows} rows read ({read_as}), no errors (dry run: nothing written)")
    else:
        click.echo(f"{kind}: {report.created} records created from {report.rows} rows ({read_as})")


@click.command("export")
@click.argument("kind")
@click.option("--site", "site_code", required=True, help="Code of the site to export.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write: .xlsx or .csv.")
@friendly
def export_command(kind, site_code, output) -> None:
    """Export the site's records of KIND in the columns its import reads."""
    import asyncio

    from core.actors import SYSTEM
    from core.cli_support import cli_settings, load_host, with_database
    from core.imports import services
    from core.problems import Problem

    file_format = output.suffix.lower().lstrip(".")
    if file_format not in ("csv", "xlsx"):
        raise StartupError("export: the output file must end in .xlsx or .csv", exit_status=2)
    settings = cli_settings()
    host = load_host(settings)

    async def work():
        site = await _site(site_code)
        try:
            return await services.export_file(host, kind, site, file_format, actor=SYSTEM)
        except Problem as problem:
            raise StartupError(problem.detail, exit_status=1) from None

    data, _name = asyncio.run(with_database(settings, host, work, require_migrated=True))
    output.write_bytes(data)
    click.echo(f"{kind}: wrote {output}")
