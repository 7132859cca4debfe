"""Monthly archives of the audit log: written, signed and recorded before any entry goes.

An audit month (UTC) past ``retention_audit_years`` becomes one file in the document store
(``core.storage``, shared by every host): gzip of JSON lines, one entry a line in id order,
at ``core/audit-archive/YYYY-MM.jsonl.gz``. A row of ``core_audit_archive`` records the
month, the number of entries, the first and last id, the file's SHA-256 and an HMAC-SHA256
under the installation's secret key over all of these (``core.signing.sign_record``).

The order makes it crash-safe and idempotent: the file is written, then its row recorded,
then the file is read back and verified, and only then are the entries deleted, each batch
its own transaction, only ids found in the verified file. A run that stopped between these
steps is finished by the next one (a row without ``deleted_at``). A month whose row already
exists is never written again.

``frontdesk integrity`` verifies every archive (``audit_archives``) and counts a task
created in an archived month as having its audit entry (``core.integrity``).
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import gzip
import hashlib
import io
import itertools
import json
from array import array
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Iterator

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core import integrity, signing
from core.audit.models import AuditEntry
from core.audit.services import record
from core.clock import utcnow
from core.storage import MissingFile, Storage, read, storage_for

PREFIX = "core/audit-archive/"
PURPOSE = "frontdesk.audit-archive.v1"
CONTENT_TYPE = "application/gzip"
#: Entries read from the database per query while writing a file.
READ_BATCH = 5000
COLUMNS = ("id", "at", "actor_id", "actor_name", "site_id", "action", "object_type", "object_id", "before", "after",
           "client_address", "note")


class ArchiveInvalid(Exception):
    """A stored archive does not match its record (missing, altered, or signed with another key)."""


def month_of(moment: dt.datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of ``month`` (YYYY-MM) and of the next, in UTC."""
    year, number = int(month[:4]), int(month[5:7])
    start = dt.datetime(year, number, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=dt.timezone.utc)
    return start, end


def valid_month(text: str) -> bool:
    try:
        return len(text) == 7 and text[4] == "-" and 1 <= int(text[5:7]) <= 12 and int(text[:4]) >= 1
    except ValueError:
        return False


def years_before(moment: dt.datetime, years: int) -> dt.datetime:
    """The same day and time ``years`` earlier (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def archive_boundary(now: dt.datetime, years: int) -> dt.datetime:
    """Entries before this are due: whole months that ended at least ``years`` ago."""
    cut = years_before(now, years)
    return dt.datetime(cut.year, cut.month, 1, tzinfo=dt.timezone.utc)


def signed_text(month: str, count: int, first_id: int, last_id: int, sha256: str) -> str:
    return f"{month}|{count}|{first_id}|{last_id}|{sha256}"


def storage_key(month: str) -> str:
    return f"{PREFIX}{month}.jsonl.gz"


def _line(entry: dict[str, Any]) -> bytes:
    values = dict(entry)
    at = values["at"]
    values["at"] = at.astimezone(dt.timezone.utc).isoformat() if isinstance(at, dt.datetime) else str(at)
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"


async def _month_entries(start: dt.datetime, end: dt.datetime) -> AsyncIterator[dict[str, Any]]:
    """The month's entries in id order, ``READ_BATCH`` at a time (keyset, never OFFSET)."""
    after = 0
    while True:
        rows = await (AuditEntry.filter(at__gte=start, at__lt=end, id__gt=after).order_by("id").limit(READ_BATCH)
                      .values(*COLUMNS))
        for row in rows:
            yield row
        if len(rows) < READ_BATCH:
            return
        after = rows[-1]["id"]


@dataclass
class Written:
    month: str
    count: int = 0
    first_id: int = 0
    last_id: int = 0
    data: bytes = b""


async def _write_file(month: str) -> Written:
    start, end = month_bounds(month)
    written = Written(month)
    buffer = io.BytesIO()
    # mtime 0: the same entries give the same bytes, whoever writes them.
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as out:
        async for entry in _month_entries(start, end):
            out.write(_line(entry))
            written.count += 1
            written.first_id = written.first_id or entry["id"]
            written.last_id = entry["id"]
    written.data = buffer.getvalue()
    return written


def _entries(data: bytes) -> Iterator[dict[str, Any]]:
    """The file's entries one at a time (a month can hold millions: never all at once)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as lines:
            for line in lines:
                if line.strip():
                    yield json.loads(line)
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as error:
        raise ArchiveInvalid(f"the file cannot be read ({error})") from None


async def verified_file(archive: Any, storage: Storage, secret: str) -> tuple[bytes, array]:
    """The bytes of ``archive``'s file (an ``AuditArchive``) and its entries' ids (sorted),
    after checking, in this order, that the file is there, has its SHA-256, that the record
    is signed with ``secret``, and that the file holds the recorded number of entries, first
    and last id; ``ArchiveInvalid`` says which failed."""
    try:
        data = await read(storage, archive.storage_key)
    except MissingFile:
        raise ArchiveInvalid(f"file {archive.storage_key} is missing") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != archive.sha256:
        raise ArchiveInvalid(f"file {archive.storage_key} was altered (SHA-256 {digest[:12]}…, "
                             f"recorded {archive.sha256[:12]}…)")
    text = signed_text(archive.month, archive.entry_count, archive.first_id, archive.last_id, archive.sha256)
    if not signing.record_is_signed(secret, PURPOSE, text, archive.signature):
        raise ArchiveInvalid("the signature does not match (the record was altered, or signed with another secret key)")
    # 8 bytes an id: a month of a million entries costs 8 MB here, not its parsed lines.
    ids = array("q", (int(entry.get("id", 0)) for entry in _entries(data)))
    if len(ids) != archive.entry_count or (ids and (ids[0], ids[-1]) != (archive.first_id, archive.last_id)):
        raise ArchiveInvalid(f"the file holds {len(ids)} entries, recorded {archive.entry_count}")
    if any(earlier >= later for earlier, later in itertools.pairwise(ids)):
        raise ArchiveInvalid("the file's entries are not in id order")
    return data, ids


def _holds(ids: array, wanted: int) -> bool:
    at = bisect.bisect_left(ids, wanted)
    return at < len(ids) and ids[at] == wanted


def _delete_sql(ids: list[int]) -> str:
    # A raw DELETE: AuditEntry.delete() refuses on purpose (the log is append-only for every
    # caller), and the archive is the one way entries leave. The ids are integers read from
    # the database and checked against the verified file, so they are written inline.
    return f"DELETE FROM core_audit_entry WHERE id IN ({','.join(str(int(i)) for i in ids)})"  # noqa: S608


async def delete_archived(archive: Any, archived_ids: array, batch: int) -> tuple[int, int]:
    """Delete the month's entries that the verified file holds, ``batch`` per transaction;
    (deleted, left: entries of the month the file does not hold, kept)."""
    from core.retention.models import AuditArchive

    start, end = month_bounds(archive.month)
    deleted = left = 0
    after = 0
    while True:
        ids = await (AuditEntry.filter(at__gte=start, at__lt=end, id__gt=after).order_by("id").limit(batch)
                     .values_list("id", flat=True))
        if not ids:
            break
        after = ids[-1]
        doomed = [i for i in ids if _holds(archived_ids, i)]
        left += len(ids) - len(doomed)
        if doomed:
            async with in_transaction() as connection:
                await connection.execute_query(_delete_sql(doomed))
            deleted += len(doomed)
        await asyncio.sleep(0)  # let the server's requests in between batches
    await AuditArchive.filter(id=archive.id, deleted_at=None).update(deleted_at=utcnow())
    return deleted, left


@dataclass
class ArchiveReport:
    #: Months written this time.
    archived: list[str] = field(default_factory=list)
    #: Entries deleted (or, in a dry run, that would be).
    deleted: int = 0
    problems: list[str] = field(default_factory=list)


async def due_months(boundary: dt.datetime) -> list[tuple[str, int]]:
    """(month, entries) of every month before ``boundary`` holding entries, oldest first,
    found one month at a time from the oldest entry (no scan of empty years)."""
    months = []
    since = None
    while True:
        query = AuditEntry.filter(at__lt=boundary)
        if since is not None:
            query = query.filter(at__gte=since)
        oldest = await query.order_by("at").first().values_list("at", flat=True)
        if oldest is None:
            return months
        month = month_of(oldest if oldest.tzinfo is None else oldest.astimezone(dt.timezone.utc))
        start, since = month_bounds(month)
        months.append((month, await AuditEntry.filter(at__gte=start, at__lt=since).count()))


async def archive_and_delete(now: dt.datetime, years: int, storage: Storage, secret: str, batch: int,
                             dry_run: bool = False) -> ArchiveReport:
    """Archive then delete every audit month past ``years`` (0: none); finish any month
    archived earlier whose deletion did not complete."""
    from core.retention.models import AuditArchive

    report = ArchiveReport()
    if not years:
        return report
    due = await due_months(archive_boundary(now, years))
    unfinished = await AuditArchive.filter(deleted_at=None).values_list("month", flat=True)
    if dry_run:
        report.archived = [month for month, _count in due if month not in unfinished]
        report.deleted = sum(count for _month, count in due)
        return report
    for month in sorted(set(unfinished) | {month for month, _count in due}):
        archive = await AuditArchive.get_or_none(month=month)
        if archive is None:
            archive = await _archive(month, storage, secret, now)
            if archive is None:  # another host recorded it first: it deletes too
                continue
            report.archived.append(month)
        elif archive.deleted_at is not None:
            left = await AuditEntry.filter(at__gte=month_bounds(month)[0], at__lt=month_bounds(month)[1]).count()
            report.problems.append(f"{month}: {left} entries written after the month was archived are kept")
            continue
        try:
            _data, ids = await verified_file(archive, storage, secret)
        except ArchiveInvalid as error:
            report.problems.append(f"{month}: not deleted, {error}")
            continue
        deleted, left = await delete_archived(archive, ids, batch)
        report.deleted += deleted
        if left:
            report.problems.append(f"{month}: {left} entries not in the archive are kept")
    return report


async def _archive(month: str, storage: Storage, secret: str, now: dt.datetime) -> Any:
    """Write the month's file, then its signed row (with an audit entry). None when another
    run recorded the month meanwhile."""
    from core.retention.models import AuditArchive

    written = await _write_file(month)
    if not written.count:
        return None
    digest = hashlib.sha256(written.data).hexdigest()
    key = storage_key(month)
    # The file first: a crash before the row leaves a file the next run overwrites.
    await storage.put(key, written.data, CONTENT_TYPE)
    text = signed_text(month, written.count, written.first_id, written.last_id, digest)
    try:
        async with in_transaction():
            archive = await AuditArchive.create(
                month=month, entry_count=written.count, first_id=written.first_id, last_id=written.last_id,
                sha256=digest, signature=signing.sign_record(secret, PURPOSE, text), storage_key=key, created_at=now)
            await record("audit.archive", object_type="audit_archive", object_id=archive.id,
                         after={"month": month, "entries": written.count, "first_id": written.first_id,
                                "last_id": written.last_id, "sha256": digest, "storage_key": key})
    except IntegrityError:
        return None
    return archive


async def audit_archives() -> list[str]:
    """Every archive verified against its file (``frontdesk integrity``)."""
    from core.retention.models import AuditArchive

    archives = await AuditArchive.all().order_by("month")
    if not archives:
        return []
    settings = integrity.current_settings()
    if settings is None:
        return [f"{len(archives)} audit archive(s) not verified: the check was run without the settings"]
    secret = integrity.secret_key_of(settings)
    storage = storage_for(settings)
    problems = []
    for archive in archives:
        try:
            await verified_file(archive, storage, secret)
        except ArchiveInvalid as error:
            problems.append(f"audit archive {archive.month}: {error}")
    return problems


async def read_month(month: str, storage: Storage, secret: str) -> Iterator[dict[str, Any]] | None:
    """The entries of an archived month, one at a time, once its file has verified; None
    when the month is not archived."""
    from core.retention.models import AuditArchive

    archive = await AuditArchive.get_or_none(month=month)
    if archive is None:
        return None
    data, _ids = await verified_file(archive, storage, secret)
    return _entries(data)
