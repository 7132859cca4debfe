"""KPIs and reports: calls by type and agent, handle time, callbacks on time, complaint rates
against the site's targets; the daily per-agent summary and the weekly report (CSV, XLSX).

Everything is counted by the database (GROUP BY and conditional counts): a month holds
tens of thousands of calls, and only the totals cross to Python. Averages and rates are
worked out here from the exact integer sums, so they round the same on both backends.
Periods are instants; callers turn the site's local days into them (``local_day_bounds``,
``core.clock``). The complaint rates are core's KPI engine's (``core.kpis``,
``docs/kpis.md``): this module says where the complaints and revisit calls are (``SOURCE``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.expressions import F, Q
from tortoise.functions import Count, Sum

from core import kpis as engine
from core.clock import local_day_bounds, rfc3339, utcnow
from core.entities.models import Site
from core.exports import xlsx_bytes
from core.i18n import N_
from core.i18n import gettext as _
from core.tasks.models import Task
from plugins.insurance_calls.models import CALL_TYPES, DIRECTIONS, OUTCOMES, Call
from plugins.insurance_calls.services import CALLBACK, COMPLAINT, REVISIT

#: Targets in percent; a site overrides them in settings["insurance_calls"]["targets"].
DEFAULT_TARGETS = {"on_time_reply_rate": 99.0, "standard_handling_rate": 98.0, "satisfaction_rate": 100.0}
UTC = dt.timezone.utc
__all__ = ["local_day_bounds"]  # the desk's pages and tests read it from here (core.clock's)


def targets(site: Site) -> dict[str, float]:
    from core.site_settings import value
    from plugins.insurance_calls.site_settings import GROUP

    return value(site, GROUP, "targets").model_dump()


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _average(seconds: int, calls: int) -> float | None:
    return round(seconds / calls, 1) if calls else None


# --- The complaint KPIs, as a source of core's engine -------------------------------------

# A complaint task's subject is the call that raised it (its type is the category).
_COMPLAINTS = ("core_task t LEFT JOIN insurance_calls_call k ON k.id = t.subject_id AND k.site_id = t.site_id "
               "AND t.subject_plugin = 'insurance_calls'")
_COMPLAINT_WHERE = f"t.site_id = {{site}} AND t.type = '{COMPLAINT}'"
# Revisited on time: a revisit of the complaint done by its own due time. Reopened: an
# unsatisfied revisit reopened it, so its first closure did not handle it (the partial
# index of migration 0005 holds those calls).
_STANDARD = ("t.id IN (SELECT v.parent_id FROM core_task v WHERE v.site_id = {site} "
             "AND v.type = 'insurance_calls.revisit' "
             "AND v.resolved_at <= v.due_at) "
             "AND t.id NOT IN (SELECT r.complaint_task_id FROM insurance_calls_call r WHERE r.site_id = {site} "
             "AND r.reopen_count > 0 AND r.complaint_task_id IS NOT NULL)")

ITEMS = {
    # Replied on time: the complaint resolved (the reply) by its due time.
    engine.REPLY: engine.Items(_COMPLAINTS, _COMPLAINT_WHERE, period="t.created_at", agent="t.assignee_id",
                               category="k.call_type", due_at="t.due_at", done_at="t.resolved_at"),
    # Handled to the standard: closed, replied by its due time, revisited on time, never
    # reopened; a cancelled one counts, never to standard.
    engine.HANDLING: engine.Items(
        _COMPLAINTS, _COMPLAINT_WHERE, period="t.created_at", agent="t.assignee_id", category="k.call_type",
        due_at="t.due_at", done_at="CASE WHEN t.status = 'closed' THEN COALESCE(t.resolved_at, t.updated_at) END",
        cancelled="t.status = 'cancelled'", standard=_STANDARD),
    # Satisfied: the period's revisit calls that recorded the customer's answer (the
    # partial index of migration 0004 holds them), for the complaint's handler and type.
    engine.SATISFACTION: engine.Items(
        f"insurance_calls_call k JOIN core_task v ON v.id = k.task_id AND v.site_id = k.site_id "
        f"AND v.type = '{REVISIT}' LEFT JOIN core_task p ON p.id = v.parent_id "
        "LEFT JOIN insurance_calls_call o ON o.id = p.subject_id AND p.subject_plugin = 'insurance_calls'",
        "k.site_id = {site} AND k.satisfied IS NOT NULL", period="k.started_at", agent="p.assignee_id",
        category="o.call_type", judged="k.satisfied IS NOT NULL", satisfied="k.satisfied"),
}


def _type_label(call_type: str) -> str:
    from plugins.insurance_calls.rules import CALL_TYPE_LABELS

    return str(CALL_TYPE_LABELS[call_type]) if call_type in CALL_TYPE_LABELS else call_type


SOURCE = engine.KpiSource(key="insurance_calls.complaints", label=N_("Insurance complaints"),
                          permission="insurance_calls.kpi.read", items=ITEMS, targets=targets,
                          category_label=_type_label)


def _calls(site: Site, start: dt.datetime, end: dt.datetime):
    # In UTC: SQLite compares the stored text, and Tortoise stores every instant in UTC.
    return Call.filter(site_id=site.id, started_at__gte=start.astimezone(UTC), started_at__lt=end.astimezone(UTC))


_agent_names = engine.agent_names


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
    report = await engine.compute(site, SOURCE, start, end, now)
    reply, handling, judged = (report.rates[key] for key in (engine.REPLY, engine.HANDLING, engine.SATISFACTION))
    return {
        "from": rfc3339(start), "to": rfc3339(end),
        "calls": total,
        "timed_calls": timed,
        "average_handle_seconds": _average(seconds, timed),
        "by_type": by_type,
        "by_agent": by_agent,
        "callbacks": await _callbacks(site, start, end, now),
        "complaints": {"count": report.items[engine.REPLY], "replied_on_time": reply.numerator,
                       "handled_to_standard": handling.numerator, "revisits_judged": judged.denominator},
        **{key: None if rate.percentage is None else float(rate.percentage) for key, rate in report.rates.items()},
        "targets": {key: float(rate.target) for key, rate in report.rates.items()},
        "met": {key: rate.met for key, rate in report.rates.items()},
        "status": {key: rate.status for key, rate in report.rates.items()},
        "breakdown": report.breakdown(),
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


def to_xlsx(tables: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    return xlsx_bytes(tables)
