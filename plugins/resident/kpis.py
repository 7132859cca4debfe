"""Complaint KPIs against the site's targets: on-time reply, standard handling, satisfaction.

Counted by core's KPI engine (``core.kpis``, ``docs/kpis.md``): this module only says
where the complaints are (``SOURCE``, declared through ``register_kpi_sources``), so the
desk, the site's KPI page and any export count them alike. The period is the site's
local days. A year of an estate's complaints is tens of thousands of cases; only the
counts per (agent, category) cross to Python.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from core import kpis as engine
from core.clock import local_today  # noqa: F401 — the desk's pages and API read it from here
from core.entities.models import Site
from core.i18n import N_
from plugins.resident.settings import setting

# The task's site and type repeat what every case's task is ("resident.complaint" at the
# case's site): they let PostgreSQL read just the complaints' tasks through (site, type)
# instead of scanning every task of the installation. Merged cases count once, as the
# case they were merged into.
_COMPLAINTS = ("resident_case c LEFT JOIN core_task t ON t.id = c.task_id AND t.site_id = c.site_id "
               "AND t.type = 'resident.complaint'")
_WHERE = "c.site_id = {site} AND c.kind = 'complaint' AND c.merged_into_id IS NULL"

ITEMS = {
    # Replied on time: the first reply (replied_at) by the reply time the site sets per kind.
    engine.REPLY: engine.Items(_COMPLAINTS, _WHERE, period="c.created_at", agent="t.assignee_id",
                               category="c.category", due_at="c.reply_due_at", done_at="c.replied_at"),
    # Handled to the standard: resolved or closed (finished when resolved, else when it
    # last changed) by the SLA's due time, never reopened and never marked overdue. A
    # cancelled complaint counts, never to standard (cancelling is a supervisor's act).
    engine.HANDLING: engine.Items(
        _COMPLAINTS, _WHERE, period="c.created_at", agent="t.assignee_id", category="c.category",
        due_at="t.due_at",
        done_at="CASE WHEN t.status IN ('resolved', 'closed') THEN COALESCE(t.resolved_at, t.updated_at) END",
        cancelled="t.status = 'cancelled'", standard="c.reopen_count = 0 AND NOT t.overdue"),
    # Satisfied: revisits done that reached the resident, of the period's complaints,
    # counted for the complaint's handler.
    engine.SATISFACTION: engine.Items(
        "resident_revisit r JOIN resident_case c ON c.id = r.case_id " + "LEFT JOIN core_task t ON t.id = c.task_id",
        _WHERE, period="c.created_at", agent="t.assignee_id", category="c.category",
        judged="r.status = 'done' AND r.reached", satisfied="r.satisfied"),
}


def targets(site: Site) -> dict[str, Decimal]:
    """The resident targets (stored as fractions, ``resident.targets``) in percent."""
    return {key: Decimal(str(value)) * 100 for key, value in setting(site, "targets").items()}


async def category_labels(site: Site) -> dict[str, str]:
    """The site's complaint categories (a managed list) by code."""
    from core.entities import code_lists
    from plugins.resident.complaints import CATEGORIES

    return await code_lists.labels(site, CATEGORIES)


SOURCE = engine.KpiSource(key="resident.complaints", label=N_("Resident complaints"),
                          permission="resident.kpi.read", items=ITEMS, targets=targets,
                          category_labels=category_labels)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def kpis_out(report: engine.Report, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The desk's answer (``GET .../resident/kpis``): its counts and rates as before (rates
    and targets in percent), ``met`` None without data, and the engine's breakdowns."""
    rates = report.rates
    reply, handling, satisfaction = rates[engine.REPLY], rates[engine.HANDLING], rates[engine.SATISFACTION]
    return {
        "from": start.isoformat(), "to": end.isoformat(),
        "complaints": report.items[engine.REPLY],
        "replied_on_time": reply.numerator, "reply_counted": reply.denominator,
        "handled": handling.denominator, "handled_to_standard": handling.numerator,
        "revisits_reached": satisfaction.denominator, "revisits_satisfied": satisfaction.numerator,
        **{key: _float(rate.percentage) for key, rate in rates.items()},
        "targets": {key: float(rate.target) for key, rate in rates.items()},
        "met": {key: rate.met for key, rate in rates.items()},
        "status": {key: rate.status for key, rate in rates.items()},
        "breakdown": report.breakdown(),
    }


async def report(site: Site, start: dt.date, end: dt.date, now: dt.datetime | None = None) -> engine.Report:
    return await engine.compute_days(site, SOURCE, start, end, now)


async def kpis(site: Site, start: dt.date, end: dt.date, now: dt.datetime | None = None) -> dict[str, Any]:
    """Complaints received from ``start`` to ``end`` (inclusive, the site's local days),
    by the engine's definitions (``docs/kpis.md``):

    - on-time reply rate: replied by the reply time / replied or past the reply time;
    - standard-handling rate: handled to the standard / resolved, closed, cancelled or past
      the due time;
    - satisfaction rate: satisfied revisits / revisits that reached the resident.
    """
    return kpis_out(await report(site, start, end, now), start, end)
