"""Retention (issue 21): on a demo database with fifteen months of activity, the job removes
exactly what the policy says per kind and nothing newer, archives the audit months past
their age to signed files first, and `frontdesk integrity` still passes; a tampered archive
is reported; two runs at once do the work once; a dry run changes nothing; bad settings are
refused. Both databases."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import json
import os
import subprocess
import sys

import pytest

from core.audit.models import AuditEntry
from core.entities.models import Site
from core.errors import StartupError
from core.identity.models import ApiToken, IdempotencyRecord, LoginFailure, User, UserSession
from core.integrity import problems_of, run_checks
from core.messages.models import Message, MessageAttempt
from core.retention import archives
from core.retention.jobs import run_once
from core.retention.models import AuditArchive, RetentionRun
from core.settings import load_settings
from core.storage import read, storage_for
from core.tasks.models import Task, TaskEvent
from tests.core.tasks.conftest import new_task

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
#: The test's policy: a year of audit and task history, the defaults for the rest.
POLICY = {"retention_audit_years": 1, "retention_task_events_years": 1, "retention_batch_size": 10}


def months_ago(months: int, day: int = 15) -> dt.datetime:
    year, month = divmod(NOW.year * 12 + NOW.month - 1 - months, 12)
    return dt.datetime(year, month + 1, day, 12, tzinfo=dt.timezone.utc)


def due(days: int) -> int:
    """How many of the fifteen monthly records are older than ``days``."""
    return sum(1 for months in range(15) if months_ago(months) < NOW - dt.timedelta(days=days))


async def _backdate_task(task_id: int, when: dt.datetime, closed: bool) -> None:
    """A task as if created (and, if ``closed``, closed) at ``when``, with a comment."""
    task = await Task.get(id=task_id)
    await TaskEvent.create(task_id=task_id, site_id=task.site_id, at=when, kind="commented", note="old note")
    await TaskEvent.filter(task_id=task_id).update(at=when)
    await AuditEntry.filter(object_type="task", object_id=str(task_id)).update(at=when)
    changes = {"created_at": when, "updated_at": when}
    if closed:
        changes.update(is_open=False, status="closed")
    await Task.filter(id=task_id).update(**changes)


async def _activity() -> dict:
    """Fifteen months of records of every kind, one per month, older ones past the policy."""
    site = await Site.get(code="harbour")
    user = await User.get(username="agent")
    for months in range(15):
        when = months_ago(months)
        await UserSession.create(key_hash=f"s{months:02d}".ljust(64, "0"), user=user, user_session_version=1,
                                 last_seen_at=when, expires_at=when)
        await ApiToken.create(token_hash=f"t{months:02d}".ljust(64, "0"), user=user, user_session_version=1,
                              expires_at=when + dt.timedelta(days=400))  # still valid: kept
        await LoginFailure.create(scope="user:agent", at=when)
        record = await IdempotencyRecord.create(user_id=user.id, key=f"k{months}", method="POST", path="/x",
                                                body_hash="0" * 64, status_code=201)
        await IdempotencyRecord.filter(id=record.id).update(created_at=when)
        for status in ("delivered", "queued"):  # a queued message is never removed
            message = await Message.create(site=site, channel="in_app", template="core.text", language="en",
                                           status=status, user=user)
            await MessageAttempt.create(message=message, number=1, started_at=when, finished_at=when, outcome="sent")
            await Message.filter(id=message.id).update(created_at=when)
        for entry in range(3):
            created = await AuditEntry.create(at=when, action="test.activity", note=f"{months}/{entry}")
            assert created.id
    return {"site": site.id}


def _count_all():
    async def counts():
        return {
            "sessions": await UserSession.all().count(),
            "api_tokens": await ApiToken.all().count(),
            "login_failures": await LoginFailure.all().count(),
            "idempotency_records": await IdempotencyRecord.all().count(),
            "messages": await Message.all().count(),
            "attempts": await MessageAttempt.all().count(),
            "task_events": await TaskEvent.all().count(),
            "created_events": await TaskEvent.filter(kind="created").count(),
            "tasks": await Task.all().count(),
            "audit": await AuditEntry.all().count(),
            "audit_old": await AuditEntry.filter(at__lt=archives.archive_boundary(NOW, 1)).count(),
        }
    return counts


@pytest.fixture
def year_of_activity(make_demo_app):
    server = make_demo_app(**POLICY)
    agent = server.api_client("agent")
    tasks = {months: new_task(agent, title=f"Task of {months} months ago")["id"] for months in (2, 11, 13, 14)}
    server.call(_activity)
    for months, task_id in tasks.items():
        # All closed: those of 13 and 14 months ago are past the year, the others are not.
        server.call(_backdate_task, task_id, months_ago(months), True)
    server.tasks = tasks
    return server


def _integrity(server):
    return problems_of(server.call(run_checks, server.app.state.host, server.app.state.settings.is_sqlite,
                                   server.app.state.settings))


def _run(server, **options):
    return server.call(run_once, server.app.state.settings, server.app.state.secret_key, now=NOW, **options)


def test_the_job_removes_what_the_policy_says_and_integrity_passes(year_of_activity):
    server = year_of_activity
    before = server.call(_count_all())
    assert before["audit_old"] >= 2 * 3  # months 13 and 14 (at least) lie before the boundary
    assert _integrity(server) == []

    dry = _run(server, dry_run=True)
    assert server.call(_count_all()) == before  # a dry run deletes nothing
    assert server.call(lambda: RetentionRun.all().count()) == 0  # and records nothing

    report = _run(server)
    assert report.ran and report.problems == []
    after = server.call(_count_all())
    # One record a month of each kind: those of the months before the kind's cut-off go.
    assert report.removed["sessions"] == due(days=30) and after["sessions"] == before["sessions"] - due(days=30)
    assert report.removed["api_tokens"] == 0  # none expired 30 days ago yet
    assert report.removed["login_failures"] == due(days=90)
    assert report.removed["idempotency_records"] == due(days=7)
    # Finished messages older than 365 days, with their attempts; queued ones stay.
    assert report.removed["messages"] == due(days=365)
    assert after["messages"] == before["messages"] - due(days=365)
    assert after["attempts"] == before["attempts"] - due(days=365)
    # Task history: the tasks closed 13 and 14 months ago lose their comment, keep 'created'.
    assert report.removed["task_events"] == 2
    assert after["tasks"] == before["tasks"] and after["created_events"] == before["created_events"]
    # Audit: every entry before the boundary archived by month, then deleted; nothing newer.
    assert report.removed["audit_entries"] == before["audit_old"]
    assert after["audit_old"] == 0
    months = {archives.month_of(months_ago(m)) for m in (13, 14)}
    assert months <= set(report.archived)
    assert report.archived == sorted(report.archived)
    new_entries = len(report.archived) + 1  # one audit.archive per month and the retention.run
    assert after["audit"] == before["audit"] - before["audit_old"] + new_entries
    # What the dry run announced is what the run did.
    assert dry.removed == report.removed and dry.archived == report.archived

    run = server.call(lambda: RetentionRun.get(id=report.run_id))
    assert run.finished_at and run.removed == report.removed and run.archived == report.archived
    assert _integrity(server) == []  # tasks whose creation entry is archived count as fine

    # The archive holds exactly the month's entries, readable and signed.
    storage = storage_for(server.app.state.settings)
    oldest = report.archived[0]
    async def read_back():
        return list(await archives.read_month(oldest, storage, server.app.state.secret_key))

    entries = server.call(read_back)
    start, end = archives.month_bounds(oldest)
    assert entries and all(start.isoformat() <= entry["at"] < end.isoformat() for entry in entries)
    assert [entry["id"] for entry in entries] == sorted(entry["id"] for entry in entries)

    again = _run(server)  # nothing left to do
    assert again.removed["audit_entries"] == 0 and again.archived == [] and again.removed["sessions"] == 0


def test_a_tampered_archive_fails_integrity(year_of_activity):
    server = year_of_activity
    _run(server)
    archive = server.call(lambda: AuditArchive.all().order_by("month").first())
    storage = storage_for(server.app.state.settings)
    data = server.call(read, storage, archive.storage_key)
    lines = gzip.decompress(data).decode().splitlines()
    doctored = json.loads(lines[0]) | {"note": "nothing to see"}
    forged = gzip.compress(("\n".join([json.dumps(doctored)] + lines[1:]) + "\n").encode(), mtime=0)
    server.call(storage.put, archive.storage_key, forged, "application/gzip")
    problems = _integrity(server)
    assert any(f"audit archive {archive.month}: file {archive.storage_key} was altered" in p for p in problems)

    # A forger who also rewrites the recorded SHA-256 lacks the secret key.
    import hashlib

    server.call(lambda: AuditArchive.filter(id=archive.id).update(sha256=hashlib.sha256(forged).hexdigest()))
    assert any("the signature does not match" in p for p in _integrity(server))

    server.call(storage.delete, archive.storage_key)
    assert any("is missing" in p for p in _integrity(server))


def test_a_crash_between_archive_and_deletion_is_finished_by_the_next_run(year_of_activity):
    server = year_of_activity
    month = archives.month_of(months_ago(14))
    storage = storage_for(server.app.state.settings)
    archive = server.call(archives._archive, month, storage, server.app.state.secret_key, NOW)  # then "crash"
    start, end = archives.month_bounds(month)
    assert server.call(lambda: AuditEntry.filter(at__gte=start, at__lt=end).count()) == archive.entry_count

    report = _run(server)
    assert month not in report.archived  # not written twice
    assert server.call(lambda: AuditEntry.filter(at__gte=start, at__lt=end).count()) == 0
    assert server.call(lambda: AuditArchive.get(month=month)).deleted_at is not None
    assert _integrity(server) == []


def test_an_archive_that_does_not_verify_is_not_deleted(year_of_activity):
    server = year_of_activity
    month = archives.month_of(months_ago(14))
    storage = storage_for(server.app.state.settings)
    archive = server.call(archives._archive, month, storage, server.app.state.secret_key, NOW)
    server.call(storage.put, archive.storage_key, b"not the archive", "application/gzip")
    report = _run(server)
    assert any(f"{month}: not deleted" in problem for problem in report.problems)
    start, end = archives.month_bounds(month)
    assert server.call(lambda: AuditEntry.filter(at__gte=start, at__lt=end).count()) == archive.entry_count


def test_two_runs_at_once_do_the_work_once(year_of_activity):
    server = year_of_activity
    before = server.call(_count_all())
    settings, secret = server.app.state.settings, server.app.state.secret_key

    async def both():
        return await asyncio.gather(run_once(settings, secret, now=NOW), run_once(settings, secret, now=NOW))

    first, second = server.call(both)
    assert sorted([first.ran, second.ran]) == [False, True]
    done = first if first.ran else second
    assert done.removed["audit_entries"] == before["audit_old"]
    months = server.call(lambda: AuditArchive.all().values_list("month", flat=True))
    assert sorted(months) == done.archived
    assert server.call(lambda: RetentionRun.all().count()) == 1


@pytest.mark.skipif(os.environ.get("FRONTDESK_TEST_BACKEND") != "postgres", reason="advisory locks: PostgreSQL")
def test_two_processes_share_one_advisory_lock(year_of_activity):
    """A second connection (as another host would) finds the lock taken and skips."""
    server = year_of_activity
    settings, secret = server.app.state.settings, server.app.state.secret_key
    from core.retention.jobs import RETENTION_LOCK_KEY

    async def while_another_host_holds_it():
        import asyncpg

        other = await asyncpg.connect(settings.database_url.split("?")[0].replace("postgres://", "postgresql://"))
        try:
            assert await other.fetchval("SELECT pg_try_advisory_lock($1)", RETENTION_LOCK_KEY)
            skipped = await run_once(settings, secret, now=NOW)
            await other.execute("SELECT pg_advisory_unlock($1)", RETENTION_LOCK_KEY)
        finally:
            await other.close()
        return skipped, await run_once(settings, secret, now=NOW)

    skipped, done = server.call(while_another_host_holds_it)
    assert not skipped.ran and skipped.removed == {}
    assert done.ran and done.removed["audit_entries"] > 0


def test_a_policy_of_zero_keeps_everything(make_demo_app):
    server = make_demo_app(**{key: 0 for key in ("retention_sessions_days", "retention_api_tokens_days",
                                                  "retention_login_failures_days", "retention_idempotency_days",
                                                  "retention_messages_days", "retention_task_events_years",
                                                  "retention_audit_years")})
    server.call(_activity)
    before = server.call(_count_all())
    report = _run(server)
    assert set(report.removed) == {"live_events"}
    assert server.call(_count_all()) == before


@pytest.mark.parametrize("environ, expected", [
    ({"FRONTDESK_RETENTION_AUDIT_YEARS": "-1"}, "config: retention_audit_years:"),
    ({"FRONTDESK_RETENTION_SESSIONS_DAYS": "soon"}, "config: retention_sessions_days:"),
    ({"FRONTDESK_RETENTION_BATCH_SIZE": "1"}, "config: retention_batch_size:"),
    ({"FRONTDESK_RETENTION_LOGIN_FAILURES_DAYS": "1", "FRONTDESK_LOGIN_FAILURE_WINDOW_MINUTES": "2880"},
     "retention_login_failures_days must cover login_failure_window_minutes"),
])
def test_invalid_retention_settings_are_refused_naming_the_key(environ, expected):
    with pytest.raises(StartupError) as error:
        load_settings(environ)
    assert expected in str(error.value)


def test_the_admin_page_shows_the_policy_and_the_runs(year_of_activity):
    server = year_of_activity
    _run(server)
    page = server.sign_in("admin").get("/admin/retention")
    assert page.status_code == 200
    assert 'data-kind="audit_entries"' in page.text and "retention_audit_years" in page.text
    assert archives.month_of(months_ago(14)) in page.text
    # It covers every site: a site's manager (who reads the audit log) does not see it.
    assert server.sign_in("manager").get("/admin/retention").status_code == 403
    assert server.sign_in("agent").get("/admin/retention").status_code == 403


def test_the_command_line(year_of_activity):
    server = year_of_activity
    env = {**os.environ, "FRONTDESK_DATABASE_URL": server.app.state.settings.database_url,
           "FRONTDESK_SECRET_KEY": server.app.state.secret_key,
           "FRONTDESK_RETENTION_AUDIT_YEARS": "1", "FRONTDESK_RETENTION_TASK_EVENTS_YEARS": "1"}

    def frontdesk(*args):
        return subprocess.run([sys.executable, "-m", "core", *args], env=env, capture_output=True, text=True,
                              timeout=120)

    dry = frontdesk("retention", "run", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "sessions: would remove" in dry.stdout and "audit months to archive:" in dry.stdout
    done = frontdesk("retention", "run")
    assert done.returncode == 0, done.stderr
    assert "audit_entries: removed" in done.stdout
    shown = frontdesk("retention", "show")
    assert "retention_audit_years" in shown.stdout and "last runs:" in shown.stdout
    month = archives.month_of(months_ago(14))
    read_back = frontdesk("audit-archive", "show", month)
    assert read_back.returncode == 0, read_back.stderr
    lines = [json.loads(line) for line in read_back.stdout.splitlines()]
    assert lines and all(line["at"].startswith(month) for line in lines)
    assert frontdesk("audit-archive", "show", "2019-13").returncode == 2
    assert "is not archived" in frontdesk("audit-archive", "show", "1999-01").stderr
    checked = frontdesk("integrity")
    assert checked.returncode == 0, checked.stdout + checked.stderr



def test_the_server_runs_the_job_on_its_timer(make_demo_app):
    import logging
    import threading

    finished = threading.Event()

    class Finished(logging.Handler):
        def emit(self, record):
            if record.getMessage().startswith("retention:"):
                finished.set()

    logger = logging.getLogger("frontdesk.retention")
    handler, level = Finished(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        server = make_demo_app(retention_every_hours=0.0005)  # every 1.8 s
        assert finished.wait(30), "the timer did not run the job"
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert server.call(lambda: RetentionRun.filter(trigger="timer").exists())
