"""KPIs and reports: calls by type and agent, handle time, callbacks on time, complaint rates
against the site's targets; the daily per-agent summary and the weekly report (CSV, XLSX)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.functions import Count, Sum

from core.clock import rfc3339, utcnow
from core.entities.models import Site
from core.exports import csv_text, xlsx_bytes
from core.i18n import gettext as _
from core.identity.models import User
from core.tasks.models import Task
from plugins.insurance_calls.models import CALL_TYPES, Call
from plugins.insurance_calls.services import CALLBACK, COMPLAINT, REVISIT

#: Targets in percent; a site overrides them in settings["insurance_calls"]["targets"].
DEFAULT_TARGETS = {"on_time_reply_rate": 99.0, "standard_handling_rate": 98.0, "satisfaction_rate": 100.0}


def targets(site: Site) -> dict[str, float]:
    own = ((site.settings or {}).get("insurance_calls") or {}).get("targets") or {}
    return {name: float(own.get(name, default)) for name, default in DEFAULT_TARGETS.items()}


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def local_day_bounds(site: Site, day: dt.date, days: int = 1) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(site.timezone)
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=days), dt.time(), tzinfo=zone)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


async def _agent_names(ids) -> dict[int, str]:
    ids = [i for i in ids if i is not None]
    rows = await User.filter(id__in=ids).values("id", "username", "display_name") if ids else []
    return {row["id"]: row["display_name"] or row["username"] for row in rows}


async def call_groups(site: Site, start: dt.datetime, end: dt.datetime) -> list[dict]:
    return await (Call.filter(site_id=site.id, started_at__gte=start, started_at__lt=end)
                  .annotate(n=Count("id"), seconds=Sum("handle_seconds"))
                  .group_by("call_type", "agent_id", "outcome", "direction")
                  .values("call_type", "agent_id", "outcome", "direction", "n", "seconds"))


async def kpis(site: Site, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    now = utcnow()
    groups = await call_groups(site, start, end)
    by_type = {name: 0 for name in CALL_TYPES}
    agents: dict[Any, dict[str, Any]] = {}
    total = seconds = 0
    for row in groups:
        count, secs = row["n"], int(row["seconds"] or 0)
        total += count
        seconds += secs
        by_type[row["call_type"]] = by_type.get(row["call_type"], 0) + count
        agent = agents.setdefault(row["agent_id"], {"agent_id": row["agent_id"], "calls": 0, "seconds": 0})
        agent["calls"] += count
        agent["seconds"] += secs
    names = await _agent_names(agents)
    by_agent = [{"agent_id": a["agent_id"], "name": names.get(a["agent_id"], ""), "calls": a["calls"],
                 "average_handle_seconds": round(a["seconds"] / a["calls"], 1) if a["calls"] else None}
                for a in sorted(agents.values(), key=lambda a: -a["calls"])]

    callbacks = await (Task.filter(site_id=site.id, type=CALLBACK, due_at__gte=start, due_at__lt=end)
                       .values("due_at", "resolved_at"))
    due_by_now = [c for c in callbacks if c["due_at"] <= now or c["resolved_at"] is not None]
    done = [c for c in callbacks if c["resolved_at"] is not None]
    on_time = [c for c in done if c["resolved_at"] <= c["due_at"]]

    complaints = await (Task.filter(site_id=site.id, type=COMPLAINT, created_at__gte=start, created_at__lt=end)
                        .values("id", "due_at", "resolved_at", "status"))
    revisits = await (Task.filter(site_id=site.id, type=REVISIT, parent_id__in=[c["id"] for c in complaints])
                      .values("parent_id", "due_at", "resolved_at")) if complaints else []
    revisit_done_on_time = {r["parent_id"] for r in revisits
                            if r["resolved_at"] is not None and r["resolved_at"] <= r["due_at"]}
    counted = [c for c in complaints if c["resolved_at"] is not None or (c["due_at"] and c["due_at"] <= now)]
    replied_on_time = [c for c in counted if c["resolved_at"] is not None and c["resolved_at"] <= c["due_at"]]
    # A cancelled complaint is settled at once, never to standard: cancelling must not
    # take it out of the denominator.
    settled = [c for c in complaints if c["status"] in ("closed", "cancelled") or (c["due_at"] and c["due_at"] <= now)]
    standard = [c for c in settled if c["status"] == "closed" and c["id"] in revisit_done_on_time
                and c["resolved_at"] is not None and c["resolved_at"] <= c["due_at"]]
    judged = await (Call.filter(site_id=site.id, task__type=REVISIT, started_at__gte=start, started_at__lt=end)
                    .exclude(satisfied=None).values_list("satisfied", flat=True))
    goal = targets(site)
    rates = {
        "on_time_reply_rate": _rate(len(replied_on_time), len(counted)),
        "standard_handling_rate": _rate(len(standard), len(settled)),
        "satisfaction_rate": _rate(sum(1 for s in judged if s), len(judged)),
    }
    return {
        "from": rfc3339(start), "to": rfc3339(end),
        "calls": total,
        "average_handle_seconds": round(seconds / total, 1) if total else None,
        "by_type": by_type,
        "by_agent": by_agent,
        "callbacks": {"due": len(due_by_now), "done": len(done), "done_on_time": len(on_time),
                      "open": len(callbacks) - len(done), "on_time_rate": _rate(len(on_time), len(due_by_now))},
        "complaints": {"count": len(complaints), "replied_on_time": len(replied_on_time),
                       "handled_to_standard": len(standard), "revisits_judged": len(judged)},
        **rates,
        "targets": goal,
        "met": {name: (None if value is None else value >= goal[name]) for name, value in rates.items()},
    }


# --- reports ---------------------------------------------------------------------------------

DAILY_COLUMNS = ("agent", "calls", "inbound", "outbound", "average_handle_seconds", "resolved", "follow_up",
                 "transferred", "complaint")


def daily_headers() -> list[str]:
    return [_("Agent"), _("Calls"), _("Inbound"), _("Outbound"), _("Average handle time (s)"), _("Resolved"),
            _("Follow-up promised"), _("Transferred"), _("Complaint")]


async def agent_summary(site: Site, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    groups = await call_groups(site, start, end)
    rows: dict[Any, dict[str, Any]] = {}
    for group in groups:
        row = rows.setdefault(group["agent_id"], {name: 0 for name in DAILY_COLUMNS} | {"seconds": 0})
        row["calls"] += group["n"]
        row["seconds"] += int(group["seconds"] or 0)
        row[group["direction"]] += group["n"]
        row[group["outcome"]] += group["n"]
    names = await _agent_names(rows)
    out = []
    for agent_id, row in sorted(rows.items(), key=lambda item: names.get(item[0], "")):
        row["agent"] = names.get(agent_id, _("Unknown"))
        row["average_handle_seconds"] = round(row.pop("seconds") / row["calls"], 1) if row["calls"] else 0
        out.append(row)
    return out


async def daily_report(site: Site, day: dt.date) -> dict[str, Any]:
    start, end = local_day_bounds(site, day)
    return {"date": day.isoformat(), "rows": await agent_summary(site, start, end)}


async def weekly_report(site: Site, week_start: dt.date) -> dict[str, Any]:
    start, end = local_day_bounds(site, week_start, days=7)
    days = []
    for offset in range(7):
        day = week_start + dt.timedelta(days=offset)
        day_start, day_end = local_day_bounds(site, day)
        groups = await call_groups(site, day_start, day_end)
        by_type = {name: 0 for name in CALL_TYPES}
        for group in groups:
            by_type[group["call_type"]] += group["n"]
        days.append({"date": day.isoformat(), "calls": sum(by_type.values()), "by_type": by_type})
    return {"week_start": week_start.isoformat(), "days": days, "agents": await agent_summary(site, start, end),
            "kpis": await kpis(site, start, end)}


def daily_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    return daily_headers(), [[row[name] for name in DAILY_COLUMNS] for row in report["rows"]]


def weekly_tables(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    from plugins.insurance_calls.rules import CALL_TYPE_LABELS

    day_headers = [_("Date"), _("Calls")] + [str(CALL_TYPE_LABELS[name]) for name in CALL_TYPES]
    day_rows = [[day["date"], day["calls"]] + [day["by_type"][name] for name in CALL_TYPES] for day in report["days"]]
    k = report["kpis"]
    kpi_rows = [
        [_("Calls"), k["calls"], ""],
        [_("Average handle time (s)"), k["average_handle_seconds"], ""],
        [_("Callbacks done on time (%)"), k["callbacks"]["on_time_rate"], ""],
        [_("Complaints replied on time (%)"), k["on_time_reply_rate"], k["targets"]["on_time_reply_rate"]],
        [_("Complaints handled to standard (%)"), k["standard_handling_rate"], k["targets"]["standard_handling_rate"]],
        [_("Satisfaction (%)"), k["satisfaction_rate"], k["targets"]["satisfaction_rate"]],
    ]
    headers, agent_rows = daily_table({"rows": report["agents"]})
    return [(_("Days"), day_headers, day_rows), (_("Agents"), headers, agent_rows),
            (_("KPIs"), [_("Measure"), _("Value"), _("Target")], kpi_rows)]


def to_csv(tables: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    rows: list[list[Any]] = []
    for index, (title, headers, table_rows) in enumerate(tables):
        if len(tables) > 1:
            if index:
                rows.append([])
            rows.append([title])
        rows.append(headers)
        rows.extend(table_rows)
    # Every cell neutralised: agent names are user text (core.exports).
    return ("\ufeff" + csv_text(rows)).encode("utf-8")  # BOM: Excel opens UTF-8 Chinese correctly


def to_xlsx(tables: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    return xlsx_bytes(tables)
