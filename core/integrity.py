"""Consistency checks over the stored data, run by `frontdesk integrity` and after the
crash tests: the database's own check, then core's invariants, then each plugin's
(``register_integrity_checks``). Each check returns human-readable problems; none means
the data is whole.
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Any

from tortoise.connection import get_connection

from core.plugin_host import PluginHost, await_me_maybe

#: The settings of the run, for checks that need them (the audit archives: storage and key).
_settings: ContextVar[Any] = ContextVar("integrity_settings", default=None)


def current_settings() -> Any:
    """The settings ``run_checks`` was given (None: not given)."""
    return _settings.get()


def secret_key_of(settings: Any) -> str:
    """The installation's secret key, as the app resolves it (``core.settings``)."""
    from core.settings import resolve_secret_key

    return resolve_secret_key(settings, Path("var"))


async def database_check(is_sqlite: bool) -> list[str]:
    connection = get_connection("default")
    if is_sqlite:
        _count, rows = await connection.execute_query("PRAGMA integrity_check")
        verdict = [list(row.values())[0] if isinstance(row, dict) else row[0] for row in rows]
        return [] if verdict == ["ok"] else [f"SQLite integrity_check: {'; '.join(map(str, verdict[:5]))}"]
    _count, rows = await connection.execute_query(
        "SELECT count(*) AS n FROM pg_index WHERE NOT indisvalid")
    invalid = rows[0]["n"]
    return [f"PostgreSQL: {invalid} invalid index(es)"] if invalid else []


#: The task's creation month as YYYY-MM, compared with the archives' months.
_MONTH_SQLITE = "strftime('%Y-%m', datetime(t.created_at, '-1 minute'))"
_MONTH_POSTGRES = "to_char((t.created_at - interval '1 minute') AT TIME ZONE 'UTC', 'YYYY-MM')"


async def task_checks(is_sqlite: bool = True) -> list[str]:
    """Every task has its 'created' event and audit entry; no event points nowhere."""
    connection = get_connection("default")
    problems = []
    _month_of_task = _MONTH_SQLITE if is_sqlite else _MONTH_POSTGRES
    queries = {
        "task(s) without their 'created' event":
            "SELECT count(*) AS n FROM core_task t WHERE NOT EXISTS "
            "(SELECT 1 FROM core_task_event e WHERE e.task_id = t.id AND e.kind = 'created')",
        # A task created in a month whose audit entries were archived (core.retention) has its
        # entry in that archive, which the retention check verifies. Archives run from the
        # oldest month without gaps, so "before the end of the newest archived month" is
        # "in an archived month"; a minute's grace covers a task row stamped a moment after
        # its audit entry, across a month's end.
        "task(s) without their audit entry":  # the month expression is one of two constants, no input
            "SELECT count(*) AS n FROM core_task t WHERE NOT EXISTS (SELECT 1 FROM core_audit_entry a "  # noqa: S608
            "WHERE a.action = 'task.create' AND a.object_type = 'task' AND a.object_id = CAST(t.id AS VARCHAR(40))) "
            "AND NOT EXISTS (SELECT 1 FROM core_audit_archive x WHERE x.month >= "
            + _month_of_task + ")",
        "task event(s) of a missing task":
            "SELECT count(*) AS n FROM core_task_event e WHERE NOT EXISTS (SELECT 1 FROM core_task t WHERE t.id = e.task_id)",
    }
    for description, sql in queries.items():
        _count, rows = await connection.execute_query(sql)
        if rows[0]["n"]:
            problems.append(f"{rows[0]['n']} {description}")
    return problems


async def run_checks(host: PluginHost, is_sqlite: bool, settings: Any = None) -> dict[str, list[str]]:
    """Every check; ``settings`` lets the checks that need them (archives in the document
    store, signed with the secret key) read them through ``current_settings``."""
    token = _settings.set(settings)
    try:
        return await _run_checks(host, is_sqlite)
    finally:
        _settings.reset(token)


async def _run_checks(host: PluginHost, is_sqlite: bool) -> dict[str, list[str]]:
    results: dict[str, list[str]] = {"database": await database_check(is_sqlite),
                                     "core.tasks": await task_checks(is_sqlite)}
    for plugin, checks in host.call_each("register_integrity_checks"):
        for check in checks:
            name = f"{plugin.name}.{getattr(check, '__name__', 'check')}"
            try:
                results[name] = list(await await_me_maybe(check) or [])
            except Exception as error:  # a broken check is itself a finding
                results[name] = [f"the check failed: {error!r}"]
    return results


def problems_of(results: dict[str, Any]) -> list[str]:
    return [f"{name}: {problem}" for name, found in results.items() for problem in found]
