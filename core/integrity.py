"""Consistency checks over the stored data, run by `frontdesk integrity` and after the
crash tests: the database's own check, then core's invariants, then each plugin's
(``register_integrity_checks``). Each check returns human-readable problems; none means
the data is whole.
"""

from __future__ import annotations

from typing import Any

from tortoise.connection import get_connection

from core.plugin_host import PluginHost, await_me_maybe


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


async def task_checks() -> list[str]:
    """Every task has its 'created' event and audit entry; no event points nowhere."""
    connection = get_connection("default")
    problems = []
    queries = {
        "task(s) without their 'created' event":
            "SELECT count(*) AS n FROM core_task t WHERE NOT EXISTS "
            "(SELECT 1 FROM core_task_event e WHERE e.task_id = t.id AND e.kind = 'created')",
        "task(s) without their audit entry":
            "SELECT count(*) AS n FROM core_task t WHERE NOT EXISTS (SELECT 1 FROM core_audit_entry a "
            "WHERE a.action = 'task.create' AND a.object_type = 'task' AND a.object_id = CAST(t.id AS VARCHAR(40)))",
        "task event(s) of a missing task":
            "SELECT count(*) AS n FROM core_task_event e WHERE NOT EXISTS (SELECT 1 FROM core_task t WHERE t.id = e.task_id)",
    }
    for description, sql in queries.items():
        _count, rows = await connection.execute_query(sql)
        if rows[0]["n"]:
            problems.append(f"{rows[0]['n']} {description}")
    return problems


async def run_checks(host: PluginHost, is_sqlite: bool) -> dict[str, list[str]]:
    results: dict[str, list[str]] = {"database": await database_check(is_sqlite), "core.tasks": await task_checks()}
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
