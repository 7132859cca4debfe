"""The retention policy and one pass of it: what each kind of record keeps, and removing
what is past it in bounded batches.

Each kind reads its limit from the settings (``retention_*``, 0: keep forever). Rows go
``retention_batch_size`` at a time, each batch its own short transaction, so no table is
locked for long and a pass that stops half-way has removed whole batches only (the next
pass carries on). A dry run counts instead of deleting and records nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core import event_log, i18n
from core.audit.services import record
from core.clock import utcnow
from core.i18n import lazy_gettext as _l
from core.identity.models import ApiToken, IdempotencyRecord, LoginFailure, UserSession
from core.messages.models import Message, MessageAttempt
from core.retention import archives
from core.retention.models import RetentionRun
from core.storage import Storage
from core.tasks.models import TaskEvent

log = logging.getLogger("frontdesk.retention")

#: Messages in these states are finished: nothing will send or update them again.
FINISHED_MESSAGES = ("sent", "delivered", "failed", "suppressed", "cancelled")


@dataclass(frozen=True)
class Kind:
    """A kind of record the policy covers: its name in reports, what is kept, the setting."""

    name: str
    label: Any
    setting: str
    #: "days" or "years" (the setting's unit); "" for the live-event log's own bound.
    unit: str
    #: What the limit counts from, for people.
    counted_from: Any


KINDS = (
    Kind("sessions", _l("Browser sessions"), "retention_sessions_days", "days", _l("after they expired or ended")),
    Kind("api_tokens", _l("API tokens"), "retention_api_tokens_days", "days", _l("after they expired or were revoked")),
    Kind("login_failures", _l("Failed sign-ins"), "retention_login_failures_days", "days", _l("after they happened")),
    Kind("idempotency_records", _l("Idempotency records"), "retention_idempotency_days", "days",
         _l("after the request")),
    Kind("messages", _l("Messages sent, delivered, failed, not sent or cancelled"), "retention_messages_days", "days",
         _l("after they were queued")),
    Kind("live_events", _l("Live-event log"), "live_event_log_minutes", "minutes",
         _l("and at most the set number of events per site, pruned every minute by each server")),
    Kind("task_events", _l("Task history (all but the 'created' event)"), "retention_task_events_years", "years",
         _l("after the task was closed and last changed")),
    Kind("audit_entries", _l("Audit entries (archived, then deleted)"), "retention_audit_years", "years",
         _l("whole calendar months, after the month ended")),
)


def policy(settings: Any) -> list[dict[str, Any]]:
    """The policy as rows for the page and ``frontdesk retention show``: kind, label, limit
    (0: kept forever), unit and what it counts from."""
    return [{"kind": kind.name, "label": kind.label, "limit": getattr(settings, kind.setting), "unit": kind.unit,
             "counted_from": _counted_from(kind, settings), "setting": kind.setting} for kind in KINDS]


def _counted_from(kind: Kind, settings: Any) -> Any:
    # The live-event log is bounded twice (age and count): the page states the count as set.
    if kind.name == "live_events":
        return i18n.gettext("and at most %(count)s events per site, pruned every minute by each server",
                            count=settings.live_event_log_size)
    return kind.counted_from


def _days_before(now: dt.datetime, days: int) -> dt.datetime:
    return now - dt.timedelta(days=days)


def _candidates(kind: str, settings: Any, now: dt.datetime) -> QuerySet | None:
    """The rows of ``kind`` past their limit (None: this kind is kept forever)."""
    limit = getattr(settings, next(k.setting for k in KINDS if k.name == kind))
    if not limit:
        return None
    if kind == "sessions":
        cut = _days_before(now, limit)
        return UserSession.filter(Q(expires_at__lt=cut) | Q(ended_at__lt=cut))
    if kind == "api_tokens":
        cut = _days_before(now, limit)
        return ApiToken.filter(Q(expires_at__lt=cut) | Q(revoked_at__lt=cut))
    if kind == "login_failures":
        return LoginFailure.filter(at__lt=_days_before(now, limit))
    if kind == "idempotency_records":
        return IdempotencyRecord.filter(created_at__lt=_days_before(now, limit))
    if kind == "messages":
        return Message.filter(status__in=FINISHED_MESSAGES, created_at__lt=_days_before(now, limit))
    if kind == "task_events":
        # The task and its 'created' event stay: the task keeps its number, title and state,
        # and integrity's "task without its created event" still holds. (TaskEvent.delete()
        # refuses per row; the batch delete below is the one way history goes, on purpose.)
        return TaskEvent.filter(task__is_open=False, task__updated_at__lt=archives.years_before(now, limit)).exclude(
            kind="created")
    raise ValueError(kind)


async def _drop_attempts(ids: list[int]) -> None:
    # The database cascades too; deleting them first keeps SQLite without foreign keys honest.
    await MessageAttempt.filter(message_id__in=ids).delete()


BEFORE_DELETE: dict[str, Callable[[list[int]], Awaitable[None]]] = {"messages": _drop_attempts}


async def delete_in_batches(model: type[Model], query: QuerySet, batch: int,
                            before: Callable[[list[int]], Awaitable[None]] | None = None) -> int:
    """Delete the rows ``query`` selects, ``batch`` ids per transaction; how many went."""
    removed = 0
    while True:
        ids = await query.order_by("id").limit(batch).values_list("id", flat=True)
        if not ids:
            return removed
        async with in_transaction():
            if before:
                await before(ids)
            removed += await model.filter(id__in=ids).delete()
        if len(ids) < batch:
            return removed
        await asyncio.sleep(0)  # the server's requests get the database between batches


async def _live_events_due(keep: int, max_minutes: int, now: dt.datetime) -> int:
    """How many rows ``event_log.prune`` would drop now (for a dry run)."""
    due = 0
    for site_id in await event_log.LiveEventRecord.all().distinct().values_list("site_id", flat=True):
        rows = event_log.LiveEventRecord.filter(site_id=site_id)
        newest = await event_log.newest(site_id)
        kept = await rows.order_by("-id").limit(1).offset(max(keep, 1) - 1).values_list("id", flat=True)
        condition = Q(id__lt=kept[0]) if kept else Q(id__lt=0)
        if max_minutes:
            condition |= Q(id__lt=newest, created_at__lt=now - dt.timedelta(minutes=max_minutes))
        due += await rows.filter(condition).count()
    return due


@dataclass
class RunReport:
    dry_run: bool
    #: Rows removed (or due, in a dry run) per kind; a kind kept forever is absent.
    removed: dict[str, int] = field(default_factory=dict)
    #: Audit months archived (or that would be).
    archived: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: The recorded run (None in a dry run, or when another host was running).
    run_id: int | None = None
    #: False when another host held the lock and this one did nothing.
    ran: bool = True


async def run_policy(settings: Any, storage: Storage, secret: str, *, dry_run: bool = False, trigger: str = "cli",
                     now: dt.datetime | None = None) -> RunReport:
    """One pass over every kind (call it through ``core.retention.jobs.run_once``, which
    keeps it to one host at a time). A kind that fails is reported and the others still run."""
    now = now or utcnow()
    report = RunReport(dry_run=dry_run)
    run = None if dry_run else await RetentionRun.create(started_at=now, trigger=trigger)
    batch = settings.retention_batch_size
    for kind in KINDS:
        try:
            if kind.name == "live_events":
                args = (settings.live_event_log_size, settings.live_event_log_minutes, now)
                count = await (_live_events_due(*args) if dry_run else event_log.prune(*args))
            elif kind.name == "audit_entries":
                if not settings.retention_audit_years:
                    continue
                done = await archives.archive_and_delete(now, settings.retention_audit_years, storage, secret, batch,
                                                         dry_run=dry_run)
                count, report.archived = done.deleted, done.archived
                report.problems += [f"audit_entries: {problem}" for problem in done.problems]
            else:
                query = _candidates(kind.name, settings, now)
                if query is None:
                    continue
                model = query.model
                count = await (query.count() if dry_run else
                               delete_in_batches(model, query, batch, BEFORE_DELETE.get(kind.name)))
        except Exception as error:  # one kind failing must not keep the others forever
            log.exception("retention of %s failed", kind.name)
            report.problems.append(f"{kind.name}: {error!r}"[:300])
            continue
        report.removed[kind.name] = count
    if run is not None:
        async with in_transaction():
            await RetentionRun.filter(id=run.id).update(finished_at=utcnow(), removed=report.removed,
                                                        archived=report.archived,
                                                        error="; ".join(report.problems)[:500])
            if any(report.removed.values()):
                await record("retention.run", object_type="retention_run", object_id=run.id,
                             after={"removed": report.removed, "archived": report.archived})
        report.run_id = run.id
    log.info("retention%s: %s; archived %s", " (dry run)" if dry_run else "",
             ", ".join(f"{name} {count}" for name, count in report.removed.items()) or "nothing kept limited",
             ", ".join(report.archived) or "no month")
    return report


async def last_runs(limit: int = 20) -> list[RetentionRun]:
    return await RetentionRun.all().order_by("-id").limit(limit)


async def archived_months(limit: int = 240) -> list[Any]:
    return await archives_model().all().order_by("-month").limit(limit)


def archives_model():
    from core.retention.models import AuditArchive

    return AuditArchive
