"""Complaint KPIs against the site's targets: on-time reply, standard handling, satisfaction."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from core.entities.models import Site
from core.i18n import gettext as _
from core.tasks.models import Task
from plugins.resident.settings import setting
from plugins.resident.models import Case, Revisit


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def kpis(site: Site, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Complaints received from ``start`` to ``end`` (inclusive).

    - on-time reply rate: replied within the reply time / complaints;
    - standard-handling rate: resolved or closed within the SLA and never reopened /
      complaints resolved, closed or cancelled (a cancelled one never to standard);
    - satisfaction rate: satisfied revisits / revisits that reached the resident.
    """
    low = dt.datetime.combine(start, dt.time(), dt.timezone.utc)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    cases = await Case.filter(site_id=site.id, kind="complaint", merged_into_id=None, created_at__gte=low,
                              created_at__lt=high).values("id", "task_id", "replied_at", "reply_due_at", "reopen_count")
    tasks = {row["id"]: row for row in await Task.filter(id__in=[c["task_id"] for c in cases]).values(
        "id", "status", "due_at", "resolved_at", "updated_at", "overdue")}
    on_time = sum(1 for c in cases if c["replied_at"] and c["replied_at"] <= c["reply_due_at"])
    handled = standard = 0
    for case in cases:
        task = tasks.get(case["task_id"])
        # A cancelled complaint was handled, never to standard: cancelling (a supervisor's
        # act, with a reason) must not take it out of the denominator.
        if task is None or task["status"] not in ("resolved", "closed", "cancelled"):
            continue
        handled += 1
        finished = task["resolved_at"] or task["updated_at"]
        if task["status"] != "cancelled" and case["reopen_count"] == 0 and not task["overdue"] and (task["due_at"] is None or finished <= task["due_at"]):
            standard += 1
    visits = await Revisit.filter(case_id__in=[c["id"] for c in cases], status="done", reached=True).values("satisfied")
    satisfied = sum(1 for v in visits if v["satisfied"])
    targets = {key: float(Decimal(str(value))) for key, value in setting(site, "targets").items()}
    result = {"from": start.isoformat(), "to": end.isoformat(), "complaints": len(cases), "replied_on_time": on_time,
              "handled": handled, "handled_to_standard": standard, "revisits_reached": len(visits),
              "revisits_satisfied": satisfied, "on_time_reply_rate": _rate(on_time, len(cases)),
              "standard_handling_rate": _rate(standard, handled), "satisfaction_rate": _rate(satisfied, len(visits)),
              "targets": targets}
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
