"""The one import and export service behind the API, the page and the CLI.

``run_import`` reads the file (``core.imports.readers``), maps its header to the importer's
columns, parses every cell, lets the importer check across rows and against the database,
and reports every error with its row and the column as headed in the file. A dry run
stops there and writes nothing. An import runs the checks again inside one transaction
and writes only when there is no error at all: all or nothing.

Audit: every record an import creates gets its own entry (``audit_created``, bulk-created
in batches, so 20,000 units cost 40 statements, not 20,000), because every change to
business data is audited and a record's history must start with where it came from; one
summary entry per import (``import.<key>``: rows, created, file format and encoding)
says who loaded what at once. Cell values (passwords never among them) are the
records' own fields, as a single create's entry would hold.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit.models import AuditEntry
from core.audit.services import record, snapshot
from core.clock import utcnow
from core.exports import tables_csv, xlsx_bytes
from core.i18n import current_language
from core.i18n import gettext as _
from core.i18n import ngettext
from core.imports import (BATCH, HOOK, CellError, Column, ImportContext, Importer, ImportRefused, Row, RowError,
                          normalise_header)
from core.imports.readers import FileRefused, read
from core.problems import Problem

log = logging.getLogger("frontdesk.imports")

#: The most data rows one file may hold when no setting says otherwise (``import_max_rows``).
MAX_ROWS = 50_000
#: The most bytes one uploaded file may hold (``import_max_bytes``): 50,000 rows of a
#: dozen columns fit in a few megabytes.
MAX_BYTES = 20_000_000


@dataclass
class Report:
    """What an import or a dry run found and did."""

    importer: str
    dry_run: bool
    format: str = ""
    encoding: str = ""
    rows: int = 0
    created: int = 0
    applied: bool = False
    #: ``{row, column, message}``: ``column`` as headed in the file (or the column's label).
    errors: list[dict[str, Any]] = field(default_factory=list)
    #: Column key → the header it was read from.
    columns: dict[str, str] = field(default_factory=dict)
    #: Headers that name no column (ignored, reported).
    unknown_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def importers(host) -> dict[str, Importer]:
    """Every declared importer, by key, in load order."""
    return {importer.key: importer for importer in host.collect(HOOK)}


def find(host, key: str) -> Importer:
    importer = importers(host).get(key)
    if importer is None:
        raise Problem(404, _("Nothing called %(key)s can be imported.", key=key))
    return importer


def visible(host, actor: Actor, site) -> list[Importer]:
    """The importers ``actor`` may use (import or export) at ``site``."""
    return [importer for importer in importers(host).values()
            if actor.can_at(site.id, importer.permission) or actor.can_at(site.id, export_permission(importer))]


def export_permission(importer: Importer) -> str:
    return importer.export_permission or importer.permission


def _check(actor: Actor, site, permission: str) -> None:
    # The routes let in the site's members (each importer has its own permission): a member
    # without this one is told which it needs, as core.web.access tells for any route; one
    # who is no member does not learn that the site exists.
    if actor.can_at(site.id, permission):
        return
    if actor.permissions_by_site.get(site.id) is None:
        raise Problem(404, _("No site %(code)s.", code=site.code))
    raise Problem(403, _("You do not have the permission this needs (%(permission)s).", permission=permission))


# --- Headers ----------------------------------------------------------------------------


def header_names(column: Column) -> set[str]:
    """Every normalised header that names ``column``: its key, its English label, the
    label's translations in the loaded catalogues, and its aliases."""
    from core.i18n import _catalogs

    names = {column.key, column.label, *column.aliases}
    catalogs = _catalogs.get() or {}
    names |= {catalog.gettext(column.label) for catalog in catalogs.values()}
    return {normalise_header(name) for name in names if name}


def map_header(importer: Importer, header: list[str]) -> tuple[dict[int, Column], list[str], list[Column]]:
    """``({position: column}, unknown headers, missing required columns)``."""
    lookup: dict[str, Column] = {}
    for column in importer.columns:
        for name in header_names(column):
            lookup.setdefault(name, column)
    mapped: dict[int, Column] = {}
    unknown: list[str] = []
    taken: set[str] = set()
    for position, text in enumerate(header):
        column = lookup.get(normalise_header(text))
        if column is None or column.key in taken:
            if text:
                unknown.append(text)
            continue
        mapped[position] = column
        taken.add(column.key)
    missing = [column for column in importer.columns if column.required and column.key not in taken]
    return mapped, unknown, missing


def header_score(importer: Importer):
    """How many headers of a first line name a column (the Big5/GB18030 tie-break)."""
    def score(header: list[str]) -> int:
        mapped, _unknown, _missing = map_header(importer, header)
        return len(mapped)
    return score


def expected_headers(column: Column) -> str:
    """``Code (code, 單位編號, 单位编号)``: how a person is told what to write."""
    return f"{_(column.label)} ({', '.join([column.key, *column.aliases])})"


# --- Reading and checking -----------------------------------------------------------------


def _parse_rows(importer: Importer, sheet, mapped: dict[int, Column], report: Report,
                errors: list[RowError]) -> list[Row]:
    """Every data row's cells parsed; cell errors appended. Blank rows are skipped.

    A row with cells that did not parse is kept, those keys in ``Row.failed`` and holding
    their column's default, so that ``validate`` still reports the row's other errors."""
    absent = {column.key: column.default for column in importer.columns
              if column not in mapped.values()}
    rows: list[Row] = []
    for number, cells in enumerate(sheet.rows, start=2):
        if not any(cells):
            continue
        report.rows += 1
        values = dict(absent)
        failed: set[str] = set()
        for position, column in mapped.items():
            text = cells[position] if position < len(cells) else ""
            if not text:
                if column.required:
                    errors.append(RowError(number, column.key, _("This field is required.")))
                    failed.add(column.key)
                values[column.key] = column.default
                continue
            try:
                values[column.key] = column.parse(text)
            except CellError as error:
                errors.append(RowError(number, column.key, str(error)))
                failed.add(column.key)
                values[column.key] = column.default
        rows.append(Row(number, values, frozenset(failed)))
    return rows


def _shown(importer: Importer, errors: Iterable[RowError], report: Report) -> list[dict[str, Any]]:
    keys = {column.key for column in importer.columns}
    shown = []
    for error in sorted(errors, key=lambda e: (e.row, e.column)):
        column = report.columns.get(error.column) or (_(importer.column(error.column).label)
                                                      if error.column in keys else error.column)
        shown.append({"row": error.row, "column": column, "message": error.message})
    return shown


def refusal(report: Report) -> Problem:
    """The 422 of an import with row errors (nothing written), listing them all."""
    rows = len({error["row"] for error in report.errors})
    message = ngettext("%(num)s row has errors: nothing was imported.",
                       "%(num)s rows have errors: nothing was imported.", rows)
    return Problem(422, message, errors=[{"field": f"row {e['row']}: {e['column']}", "message": e["message"],
                                          "row": e["row"], "column": e["column"]} for e in report.errors],
                   report=report.as_dict())


async def run_import(host, key: str, site, data: bytes, *, actor: Actor, dry_run: bool = True,
                     encoding: str | None = None, app: Any = None, settings: Any = None,
                     filename: str = "") -> Report:
    """Dry-run or import ``data`` (a CSV or XLSX file's bytes) with the importer ``key``.

    Returns the report; a dry run with row errors returns them too. Raises ``Problem`` (422)
    for a file that cannot be read at all (not CSV/XLSX, encoding, too many rows, missing
    columns) and for an import with any row error (``refusal``): nothing is written then."""
    importer = find(host, key)
    _check(actor, site, importer.permission)
    max_rows = getattr(settings, "import_max_rows", MAX_ROWS)
    max_bytes = getattr(settings, "import_max_bytes", MAX_BYTES)
    if len(data) > max_bytes:
        raise FileRefused(_("The file is larger than %(limit)s MB.", limit=max_bytes // 1_000_000))
    sheet = read(data, encoding=encoding, max_rows=max_rows, score_header=header_score(importer))
    report = Report(importer=importer.key, dry_run=dry_run, format=sheet.format, encoding=sheet.encoding)
    mapped, report.unknown_columns, missing = map_header(importer, sheet.header)
    report.columns = {column.key: sheet.header[position] for position, column in mapped.items()}
    if missing:
        message = _("Columns missing: %(columns)s.", columns="; ".join(expected_headers(c) for c in missing))
        raise FileRefused(message, errors=[{"field": "file", "row": 1, "column": _(c.label),
                                            "message": _("This column is required: %(headers)s.",
                                                         headers=expected_headers(c))} for c in missing],
                          report=report.as_dict())
    if not mapped:
        raise FileRefused(_("No column of the first row is one this import knows."), report=report.as_dict())
    errors: list[RowError] = []
    rows = _parse_rows(importer, sheet, mapped, report, errors)
    if not report.rows:
        raise FileRefused(_("The file has a header but no rows."), report=report.as_dict())
    context = ImportContext(site=site, actor=actor, host=host, app=app, dry_run=dry_run)
    if dry_run:
        if importer.validate is not None:
            errors += await importer.validate(rows, context)
        report.errors = _shown(importer, errors, report)
        return report
    if errors:  # refused whatever the database holds: still report every error, as a dry run would
        if importer.validate is not None:
            errors += await importer.validate(rows, context)
        report.errors = _shown(importer, errors, report)
        raise refusal(report)
    try:
        async with in_transaction():
            if importer.validate is not None:
                errors = list(await importer.validate(rows, context))
                if errors:
                    raise ImportRefused(errors)
            report.created = await importer.write(rows, context)
            await record(f"import.{importer.key}"[:80], actor=actor.user, site_id=site.id, object_type="import",
                         object_id=importer.key[:40], client_address=actor.client_address,
                         after={"rows": report.rows, "created": report.created, "format": report.format,
                                "encoding": report.encoding, "file": filename[:200]})
    except ImportRefused as refused:
        report.errors = _shown(importer, refused.errors, report)
        raise refusal(report) from None
    report.applied = True
    await _after_commit(importer, context)
    return report


async def _after_commit(importer: Importer, context: ImportContext) -> None:
    """Run the effects ``write`` left for after the commit. The import is stored by now:
    one that fails is logged and the others still run, and the report says what was
    imported (a 500 would have the file imported twice)."""
    for effect in context.after_commit:
        try:
            await effect()
        except Exception:
            log.exception("An after-commit effect of the import %s failed", importer.key)


# --- Audit --------------------------------------------------------------------------------


async def audit_created(context: ImportContext, action: str, object_type: str, records: Iterable[Any],
                        fields: list[str]) -> int:
    """One audit entry per stored record (``after`` = its ``fields``), bulk-created in
    batches inside the import's transaction; returns how many. A record is a model
    instance or a dict holding ``id`` and the fields (read with ``.values()``, which is
    much cheaper than building 20,000 model objects)."""
    actor = context.actor
    now = utcnow()
    name = getattr(actor.user, "username", "") or ""
    address = (actor.client_address or "")[:64]
    entries = [AuditEntry(at=now, actor_id=actor.user_id, actor_name=name, site_id=context.site.id, action=action,
                          object_type=object_type, object_id=str(item["id"] if isinstance(item, dict) else item.id),
                          after=({field_name: item[field_name] for field_name in fields} if isinstance(item, dict)
                                 else snapshot(item, fields)),
                          client_address=address, note="import")
               for item in records]
    if entries:
        await AuditEntry.bulk_create(entries, batch_size=BATCH)
    return len(entries)


# --- Export -------------------------------------------------------------------------------


async def export_rows(host, key: str, site, *, actor: Actor, app: Any = None) -> tuple[Importer, list[str], list[list]]:
    """``(importer, headers, rows)``: the site's records in the importer's columns, headed
    with the labels in the current language (which the importer reads back)."""
    importer = find(host, key)
    _check(actor, site, export_permission(importer))
    context = ImportContext(site=site, actor=actor, host=host, app=app, dry_run=True)
    records = await importer.export(context)
    headers = [_(column.label) for column in importer.columns]
    rows = [[column.format(item.get(column.key, column.default)) for column in importer.columns]
            for item in records]
    return importer, headers, rows


async def export_file(host, key: str, site, file_format: str, *, actor: Actor, app: Any = None
                      ) -> tuple[bytes, str]:
    """``(bytes, file name)`` of the export as ``csv`` or ``xlsx``."""
    importer, headers, rows = await export_rows(host, key, site, actor=actor, app=app)
    stamp = dt.date.today().isoformat()
    name = f"{site.code}-{importer.key.replace('.', '-')}-{stamp}.{file_format}"
    if file_format == "xlsx":
        return xlsx_bytes([(importer.key, headers, rows)]), name
    return tables_csv([(importer.key, headers, rows)]), name


__all__ = ["Report", "run_import", "audit_created", "export_rows", "export_file", "importers", "find", "visible",
           "current_language"]
