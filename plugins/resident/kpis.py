"""Complaint KPIs against the site's targets: on-time reply, standard handling, satisfaction.

Counted by the database: a year of an estate's complaints is tens of thousands of cases,
and only two rows of counts cross to Python. The period is the site's local days."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core.clock import utcnow
from core.entities.models import Site
from core.i18n import gettext as _
from plugins.resident.settings import setting
from plugins.resident.models import Case

UTC = dt.timezone.utc

# The counts need each case's task (its status and times) beside the case, and Tortoise
# neither joins inside a conditional aggregate nor aggregates over a join without grouping
# by every column: so one statement each, in SQL both databases read alike (only the
# parameter marks differ). The task's site and type repeat what every case's task is
# ("resident.<kind>" at the case's site): they let PostgreSQL read just the complaints'
# tasks through (site, type) instead of scanning every task of the installation.
# A task finished when it was resolved, or (never resolved: closed or cancelled straight
# away) when it last changed. A cancelled complaint was handled, never to standard:
# cancelling (a supervisor's act, with a reason) must not take it out of the denominator.
_PERIOD = "c.site_id = {0} AND c.kind = 'complaint' AND c.merged_into_id IS NULL AND c.created_at >= {1} " \
          "AND c.created_at < {2}"
_CASES_SQL = ("SELECT COUNT(*) AS complaints, "
              "COUNT(CASE WHEN c.replied_at <= c.reply_due_at THEN 1 END) AS replied_on_time, "
              "COUNT(CASE WHEN t.status IN ('resolved', 'closed', 'cancelled') THEN 1 END) AS handled, "
              "COUNT(CASE WHEN t.status IN ('resolved', 'closed') AND c.reopen_count = 0 AND NOT t.overdue "
              "AND (t.due_at IS NULL OR COALESCE(t.resolved_at, t.updated_at) <= t.due_at) THEN 1 END) "
              "AS handled_to_standard "
              "FROM resident_case c LEFT JOIN core_task t ON t.id = c.task_id AND t.site_id = c.site_id "
              "AND t.type = 'resident.complaint' WHERE " + _PERIOD)
_REVISITS_SQL = ("SELECT COUNT(*) AS revisits_reached, COUNT(CASE WHEN r.satisfied THEN 1 END) AS revisits_satisfied "
                 "FROM resident_revisit r JOIN resident_case c ON c.id = r.case_id "
                 "WHERE r.status = 'done' AND r.reached AND " + _PERIOD)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def local_today(site: Site) -> dt.date:
    """The site's date now: the default end of a KPI period."""
    return utcnow().astimezone(ZoneInfo(site.timezone)).date()


def _period(site: Site, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """From the local midnight that starts ``start`` to the one that ends ``end``, in UTC
    (SQLite compares the stored UTC text)."""
    zone = ZoneInfo(site.timezone)
    low = dt.datetime.combine(start, dt.time(), zone)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone)
    return low.astimezone(UTC), high.astimezone(UTC)


async def _counts(site: Site, low: dt.datetime, high: dt.datetime) -> dict[str, int]:
    connection = Case._meta.db
    marks = ("$1", "$2", "$3") if connection.capabilities.dialect == "postgres" else ("?", "?", "?")
    counts: dict[str, int] = {}
    for sql in (_CASES_SQL, _REVISITS_SQL):
        rows = await connection.execute_query_dict(sql.format(*marks), [site.id, low, high])
        counts.update({name: int(value or 0) for name, value in rows[0].items()})
    return counts


async def kpis(site: Site, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Complaints received from ``start`` to ``end`` (inclusive, the site's local days).

    - on-time reply rate: replied within the reply time / complaints;
    - standard-handling rate: resolved or closed within the SLA and never reopened /
      complaints resolved, closed or cancelled (a cancelled one never to standard);
    - satisfaction rate: satisfied revisits / revisits that reached the resident.
    """
    counts = await _counts(site, *_period(site, start, end))
    targets = {key: float(Decimal(str(value))) for key, value in setting(site, "targets").items()}
    result = {"from": start.isoformat(), "to": end.isoformat(), **counts,
              "on_time_reply_rate": _rate(counts["replied_on_time"], counts["complaints"]),
              "standard_handling_rate": _rate(counts["handled_to_standard"], counts["handled"]),
              "satisfaction_rate": _rate(counts["revisits_satisfied"], counts["revisits_reached"]), "targets": targets}
    result["met"] = {key: (result[key] is None or result[key] >= target) for key, target in targets.items()}
    return result


def kpis_xlsx(data: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Complaint KPIs")[:31]
    sheet.append([_("From"), data["from"], _("To"), data["to"]])
    sheet.append([_("Complaints"), data["complaints"]])
    sheet.append([_("Indicator"), _("Value"), _("Target"), _("Met")])
    for label, key in ((_("On-time reply rate"), "on_time_reply_rate"),
                       (_("Standard-handling rate"), "standard_handling_rate"),
                       (_("Satisfaction rate"), "satisfaction_rate")):
        value = data[key]
        sheet.append([label, "" if value is None else f"{value * 100:.1f}%", f"{data['targets'][key] * 100:.0f}%",
                      _("yes") if data["met"][key] else _("no")])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
