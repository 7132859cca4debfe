"""KPIs and reports: calls by type and agent, handle time, callbacks on time, complaint rates
against the site's targets; the daily per-agent summary and the weekly report (CSV, XLSX).

Everything is counted by the database (GROUP BY and conditional counts): a month holds
tens of thousands of calls, and only the totals cross to Python. Averages and rates are
worked out here from the exact integer sums, so they round the same on both backends.
Periods are instants; callers turn the site's local days into them (``local_day_bounds``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import F, Q, Subquery
from tortoise.functions import Count, Sum

from core.clock import rfc3339, utcnow
from core.entities.models import Site
from core.exports import csv_text, xlsx_bytes
from core.i18n import gettext as _
from core.identity.models import User
from core.tasks.models import Task
from plugins.insurance_calls.models import CALL_TYPES, DIRECTIONS, OUTCOMES, Call
from plugins.insurance_calls.services import CALLBACK, COMPLAINT, REVISIT

#: Targets in percent; a site overrides them in settings["insurance_calls"]["targets"].
DEFAULT_TARGETS = {"on_time_reply_rate": 99.0, "standard_handling_rate": 98.0, "satisfaction_rate": 100.0}
UTC = dt.timezone.utc


def targets(site: Site) -> dict[str, float]:
    from core.site_settings import value
    from plugins.insurance_calls.site_settings import GROUP

    return value(site, GROUP, "targets").model_dump()


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _average(seconds: int, calls: int) -> float | None:
    return round(seconds / calls, 1) if calls else None


def local_day_bounds(site: Site, day: dt.date, days: int = 1) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(site.timezone)
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=days), dt.time(), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _calls(site: Site, start: dt.datetime, end: dt.datetime):
    # In UTC: SQLite compares the stored text, and Tortoise stores every instant in UTC.
    return Call.filter(site_id=site.id, started_at__gte=start.astimezone(UTC), started_at__lt=end.astimezone(UTC))


async def _agent_names(ids) -> dict[int, str]:
    ids = [i for i in ids if i is not None]
    rows = await User.filter(id__in=ids).values("id", "username", "display_name") if ids else []
    return {row["id"]: row["display_name"] or row["username"] for row in rows}


async def calls_by_type(site: Site, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """{call type: calls}, every type present."""
    counts = dict.fromkeys(CALL_TYPES, 0)
    for row in await _calls(site, start, end).annotate(n=Count("id")).group_by("call_type").values("call_type", "n"):
        counts[row["call_type"]] = row["n"]
    return counts


async def _calls_by_agent(site: Site, start: dt.datetime, end: dt.datetime,
                          detail: bool = False) -> list[dict[str, Any]]:
    """Per agent: calls, the calls with a known handle time (``timed``: COUNT skips the
    unknown, null, ones) and their handle seconds (read from the index alone), and with
    ``detail`` their calls by direction and by outcome too."""
    by_value = {value: Count("id", _filter=Q(**{column: value}))
                for column, values in (("direction", DIRECTIONS), ("outcome", OUTCOMES)) for value in values} \
        if detail else {}
    return await (_calls(site, start, end).annotate(calls=Count("id"), timed=Count("handle_seconds"),
                                                    seconds=Sum("handle_seconds"), **by_value)
                  .group_by("agent_id").values("agent_id", "calls", "timed", "seconds", *by_value))


async def _calls_by_agent_and_type(site: Site, start: dt.datetime,
                                   end: dt.datetime) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The period's calls per agent (calls, timed calls, handle seconds) and per type in one
    pass over the covering index, grouped by both and folded here: the month's KPIs read
    its ~83,000 calls once, not twice."""
    rows = await (_calls(site, start, end).annotate(calls=Count("id"), timed=Count("handle_seconds"),
                                                    seconds=Sum("handle_seconds"))
                  .group_by("agent_id", "call_type").values("agent_id", "call_type", "calls", "timed", "seconds"))
    agents: dict[Any, dict[str, Any]] = {}
    by_type = dict.fromkeys(CALL_TYPES, 0)
    for row in rows:
        agent = agents.setdefault(row["agent_id"], {"agent_id": row["agent_id"], "calls": 0, "timed": 0, "seconds": 0})
        agent["calls"] += row["calls"]
        agent["timed"] += row["timed"]
        agent["seconds"] += int(row["seconds"] or 0)
        by_type[row["call_type"]] = by_type.get(row["call_type"], 0) + row["calls"]
    return list(agents.values()), by_type


async def _callbacks(site: Site, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> dict[str, Any]:
    """Callbacks due in the period: done, done on time (by the promised time), still open."""
    done = Q(resolved_at__isnull=False)
    row = (await Task.filter(site_id=site.id, type=CALLBACK, due_at__gte=start.astimezone(UTC),
                             due_at__lt=end.astimezone(UTC))
           .annotate(n=Count("id"), due=Count("id", _filter=Q(due_at__lte=now) | done), done=Count("id", _filter=done),
                     on_time=Count("id", _filter=Q(resolved_at__lte=F("due_at"))))
           .values("n", "due", "done", "on_time"))[0]
    return {"due": row["due"], "done": row["done"], "done_on_time": row["on_time"], "open": row["n"] - row["done"],
            "on_time_rate": _rate(row["on_time"], row["due"])}


async def _complaints(site: Site, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> dict[str, int]:
    """Complaints received in the period.

    - counted (for the on-time reply rate): replied, or past their reply time;
    - replied on time: resolved (the reply) by their due time;
    - settled (for the standard-handling rate): closed or cancelled, or past their due
      time: cancelling must not take a complaint out of the denominator;
    - handled to standard: closed, replied on time, a revisit done by its own due time, and
      never reopened (an unsatisfied revisit reopens a replied complaint: its first closure
      did not handle it).
    """
    revisited_on_time = Task.filter(site_id=site.id, type=REVISIT, resolved_at__lte=F("due_at")).values("parent_id")
    reopened = Call.filter(site_id=site.id, reopen_count__gt=0, complaint_task_id__isnull=False) \
        .values("complaint_task_id")
    on_time = Q(resolved_at__lte=F("due_at"))
    return (await Task.filter(site_id=site.id, type=COMPLAINT, created_at__gte=start.astimezone(UTC),
                              created_at__lt=end.astimezone(UTC))
            .annotate(count=Count("id"), counted=Count("id", _filter=Q(resolved_at__isnull=False) | Q(due_at__lte=now)),
                      replied_on_time=Count("id", _filter=on_time),
                      settled=Count("id", _filter=Q(status__in=("closed", "cancelled")) | Q(due_at__lte=now)),
                      standard=Count("id", _filter=Q(on_time, ~Q(id__in=Subquery(reopened)), status="closed",
                                                     id__in=Subquery(revisited_on_time))))
            .values("count", "counted", "replied_on_time", "settled", "standard"))[0]


async def _revisits_judged(site: Site, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """Revisit calls in the period that recorded the customer's satisfaction."""
    revisits = Task.filter(site_id=site.id, type=REVISIT).values("id")
    # (the annotations' names are not the column's: Tortoise would read satisfied=True as the count)
    row = (await _calls(site, start, end).filter(satisfied__isnull=False, task_id__in=Subquery(revisits))
           .annotate(n=Count("id"), yes=Count("id", _filter=Q(satisfied=True))).values("n", "yes"))[0]
    return {"judged": row["n"], "satisfied": row["yes"]}


async def kpis(site: Site, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    now = utcnow()
    agents, by_type = await _calls_by_agent_and_type(site, start, end)
    total = sum(row["calls"] for row in agents)
    # Averages are over the calls whose handle time is known: an unknown one is no 0.
    timed = sum(row["timed"] for row in agents)
    seconds = sum(int(row["seconds"] or 0) for row in agents)
    names = await _agent_names(row["agent_id"] for row in agents)
    # Most calls first; the agent's id breaks ties, so the order is the same on both backends.
    agents.sort(key=lambda row: (-row["calls"], row["agent_id"] is None, row["agent_id"] or 0))
    by_agent = [{"agent_id": row["agent_id"], "name": names.get(row["agent_id"], ""), "calls": row["calls"],
                 "timed_calls": row["timed"], "average_handle_seconds": _average(int(row["seconds"] or 0), row["timed"])}
                for row in agents]
    complaints = await _complaints(site, start, end, now)
    judged = await _revisits_judged(site, start, end)
    goal = targets(site)
    rates = {
        "on_time_reply_rate": _rate(complaints["replied_on_time"], complaints["counted"]),
        "standard_handling_rate": _rate(complaints["standard"], complaints["settled"]),
        "satisfaction_rate": _rate(judged["satisfied"], judged["judged"]),
    }
    return {
        "from": rfc3339(start), "to": rfc3339(end),
        "calls": total,
        "timed_calls": timed,
        "average_handle_seconds": _average(seconds, timed),
        "by_type": by_type,
        "by_agent": by_agent,
        "callbacks": await _callbacks(site, start, end, now),
        "complaints": {"count": complaints["count"], "replied_on_time": complaints["replied_on_time"],
                       "handled_to_standard": complaints["standard"], "revisits_judged": judged["judged"]},
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
    agents = await _calls_by_agent(site, start, end, detail=True)
    names = await _agent_names(row["agent_id"] for row in agents)
    out = []
    for row in sorted(agents, key=lambda row: (names.get(row["agent_id"], ""), row["agent_id"] or 0)):
        values = {**row, "agent": names.get(row["agent_id"], _("Unknown")),
                  "average_handle_seconds": _average(int(row["seconds"] or 0), row["timed"])}
        out.append({name: values[name] for name in DAILY_COLUMNS})
    return out


async def daily_report(site: Site, day: dt.date) -> dict[str, Any]:
    start, end = local_day_bounds(site, day)
    return {"date": day.isoformat(), "rows": await agent_summary(site, start, end)}


async def weekly_report(site: Site, week_start: dt.date) -> dict[str, Any]:
    start, end = local_day_bounds(site, week_start, days=7)
    days = []
    # One grouped query per local day (seven): a day's bounds move with the site's zone and
    # its daylight saving, which grouping by a date in SQL would not follow.
    for offset in range(7):
        day = week_start + dt.timedelta(days=offset)
        by_type = await calls_by_type(site, *local_day_bounds(site, day))
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
