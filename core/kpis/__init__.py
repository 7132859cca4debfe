"""One KPI engine: 規範率 (handled to the standard), 答覆率 (replied on time) and 滿意率
(satisfied), defined once here and used by every desk through ``register_kpi_sources``.

A plugin does not count its KPIs itself: it describes where its items are (a ``KpiSource``
with one ``Items`` per KPI: the tables, the site's rows, the column that places an item in
a period, and the SQL expressions of an item's agent, category, due time, completion...)
and the engine writes the counting once (``REPLY``, ``HANDLING``, ``SATISFACTION`` below),
as one grouped SQL statement per set of items (KPIs over the same items share it): only
the counts per (agent, category) cross to Python, from which the totals and both
breakdowns are summed, so they always agree.

Rules every source gets alike (``docs/kpis.md`` states each in words and as SQL):

- a rate is a percentage (``Decimal``, one decimal) of ``numerator / denominator``;
- an item not yet due (neither done nor past its due time) is left out of the
  denominator: it can still be done on time;
- no denominator is no data: the percentage is None and the status ``no_data`` (shown
  as n/a), never ``met``;
- ``met`` when ``100 * numerator >= target * denominator`` (exact, not the rounded
  percentage), else ``missed``;
- periods are the site's local days (``core.clock.local_day_bounds``), as UTC instants.

Targets are percentages per site: a source reads its own (``KpiSource.targets``, for the
desks whose settings already held them) or the site's "KPI targets" settings group
(``core.kpis.settings``: 98 / 99 / 100 by default).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Awaitable, Callable, Iterable, Mapping

from core.clock import local_day_bounds, local_today, rfc3339, utcnow
from core.exports import xlsx_bytes
from core.i18n import N_
from core.i18n import gettext as _

HOOK = "register_kpi_sources"
UTC = dt.timezone.utc

#: The three KPIs, by the key every desk's API already used.
REPLY, HANDLING, SATISFACTION = "on_time_reply_rate", "standard_handling_rate", "satisfaction_rate"
KPIS = (REPLY, HANDLING, SATISFACTION)
LABELS = {REPLY: N_("Replied on time"), HANDLING: N_("Handled to the standard"), SATISFACTION: N_("Customers satisfied")}
#: Percent, when neither the source nor the site names another.
DEFAULT_TARGETS = {REPLY: Decimal("99"), HANDLING: Decimal("98"), SATISFACTION: Decimal("100")}
MET, MISSED, NO_DATA = "met", "missed", "no_data"
STATUS_LABELS = {MET: N_("met"), MISSED: N_("below target"), NO_DATA: N_("n/a")}
TENTH = Decimal("0.1")


# --- What a source declares --------------------------------------------------------------


@dataclass(frozen=True)
class Items:
    """Where one KPI's items are, as SQL fragments the engine's formulas read.

    ``tables`` is the FROM clause (joins allowed), ``where`` picks the site's items (its
    ``{site}`` is bound to the site's id; ``{now}`` to the time of counting), ``period``
    the column (UTC instant) that places an item in a period. Then, per item:

    - ``agent``: the user id the item counts for (NULL: nobody), ``category``: text;
    - replied on time and handled to the standard: ``due_at`` (NULL: no deadline),
      ``done_at`` (when it was done; NULL: not yet), and for the standard ``cancelled``
      (a condition: a cancelled item counts, never to standard) and ``standard`` (the
      desk's own further conditions, e.g. never reopened);
    - satisfied: ``judged`` (a condition: the customer was asked and answered) and
      ``satisfied`` (a condition).
    """

    tables: str
    where: str
    period: str
    agent: str = "NULL"
    category: str = "''"
    due_at: str = "NULL"
    done_at: str = "NULL"
    cancelled: str = "1 = 0"
    standard: str = "1 = 1"
    judged: str = "1 = 0"
    satisfied: str = "1 = 0"


@dataclass(frozen=True)
class KpiSource:
    """A desk's KPIs: ``key`` ("resident.complaints"), ``label`` (an ``N_`` msgid), the
    permission that shows them, one ``Items`` per KPI it has (None: the desk has no such
    KPI), and optionally ``targets(site) -> {kpi: percent}`` (else the site's "KPI
    targets" settings). A category is named on screen by ``category_label(value) -> str``
    or, for a site's own lists, ``async category_labels(site) -> {value: label}``."""

    key: str
    label: Any
    permission: str
    items: Mapping[str, Items]
    targets: Callable[[Any], Mapping[str, Decimal]] | None = None
    category_label: Callable[[str], str] | None = None
    category_labels: Callable[[Any], Awaitable[Mapping[str, str]]] | None = None


def sources(host) -> list[KpiSource]:
    """Every source the loaded plugins declare, in load order."""
    return list(host.collect(HOOK))


# --- The definitions, once -------------------------------------------------------------


def _reply(i: Items) -> tuple[str, str]:
    """答覆率, replied on time. Counted: items replied, or past their reply time (an item
    not yet due is left out). On time: replied by the due time (no due time: on time)."""
    done = f"({i.done_at}) IS NOT NULL"
    return (f"{done} OR ({i.due_at}) <= {{now}}",
            f"{done} AND (({i.due_at}) IS NULL OR ({i.done_at}) <= ({i.due_at}))")


def _handling(i: Items) -> tuple[str, str]:
    """規範率, handled to the standard. Counted: items done or cancelled, or past their due
    time (cancelling does not take an item out; one not yet due is left out). To the
    standard: done (not cancelled) by its due time (no due time: in time) and the desk's
    own standard holds (e.g. never reopened, not overdue, revisited on time)."""
    done = f"({i.done_at}) IS NOT NULL"
    return (f"{done} OR ({i.cancelled}) OR ({i.due_at}) <= {{now}}",
            f"{done} AND NOT ({i.cancelled}) AND (({i.due_at}) IS NULL OR ({i.done_at}) <= ({i.due_at})) "
            f"AND ({i.standard})")


def _satisfaction(i: Items) -> tuple[str, str]:
    """滿意率, satisfied. Counted: items whose customer was asked and answered (a revisit
    that reached them). Satisfied: those who said so."""
    return f"({i.judged})", f"({i.judged}) AND ({i.satisfied})"


FORMULAS: dict[str, Callable[[Items], tuple[str, str]]] = {REPLY: _reply, HANDLING: _handling,
                                                         SATISFACTION: _satisfaction}


def statement(measured: Iterable[tuple[str, Items]]) -> str:
    """One grouped statement counting each ``(kpi, items)`` (marks still ``{name}``):
    ``d_<kpi>`` and ``n_<kpi>`` per (agent, category). The items must share their tables,
    rows, period, agent and category; each KPI's formula reads its own expressions."""
    measured = list(measured)
    items = measured[0][1]
    counts = []
    for kpi, own in measured:
        counted, good = FORMULAS[kpi](own)
        counts.append(f"COUNT(CASE WHEN {counted} THEN 1 END) AS d_{kpi}, COUNT(CASE WHEN {good} THEN 1 END) AS n_{kpi}")
    # COUNT(CASE ...) and GROUP BY ordinals read alike on PostgreSQL and SQLite. The
    # fragments are the plugins' own code, never a request's text: values are parameters.
    select = f"SELECT {items.agent} AS agent_id, {items.category} AS category, COUNT(*) AS items, {', '.join(counts)} "
    where = f"WHERE ({items.where}) AND {items.period} >= {{low}} AND {items.period} < {{high}}"
    return f"{select}FROM {items.tables} {where} GROUP BY 1, 2"  # noqa: S608


def statements(source: KpiSource) -> list[tuple[list[str], str]]:
    """The source's statements: one per set of items (tables, rows, period, agent and
    category alike), with the KPIs each counts: KPIs over the same items read them once."""
    shared: dict[tuple, list[tuple[str, Items]]] = {}
    for kpi, items in source.items.items():
        shared.setdefault((items.tables, items.where, items.period, items.agent, items.category), []).append((kpi, items))
    return [([kpi for kpi, _items in measured], statement(measured)) for measured in shared.values()]


_MARK = re.compile(r"\{(\w+)\}")


def bind(sql: str, values: Mapping[str, Any], dialect: str) -> tuple[str, list[Any]]:
    """``{name}`` marks as the driver's parameters (``$n`` or ``?``), in order."""
    params: list[Any] = []

    def mark(match: re.Match) -> str:
        params.append(values[match.group(1)])
        return f"${len(params)}" if dialect == "postgres" else "?"

    return _MARK.sub(mark, sql), params


# --- Results -----------------------------------------------------------------------------


def percent(numerator: int, denominator: int) -> Decimal | None:
    """``numerator / denominator`` in percent, one decimal (half up); None without data."""
    if not denominator:
        return None
    return (Decimal(100 * numerator) / Decimal(denominator)).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rate:
    """One KPI over some items: the counts, the percentage (None: n/a), the target and the
    status against it (``met``, ``missed``, ``no_data``: never met without data)."""

    key: str
    numerator: int
    denominator: int
    target: Decimal

    @property
    def percentage(self) -> Decimal | None:
        return percent(self.numerator, self.denominator)

    @property
    def status(self) -> str:
        if not self.denominator:
            return NO_DATA
        return MET if 100 * self.numerator >= self.target * self.denominator else MISSED

    @property
    def met(self) -> bool | None:
        return None if self.status == NO_DATA else self.status == MET

    def out(self) -> dict[str, Any]:
        value = self.percentage
        return {"key": self.key, "label": _(LABELS[self.key]), "numerator": self.numerator,
                "denominator": self.denominator, "percentage": None if value is None else float(value),
                "target": float(self.target), "status": self.status}


@dataclass
class Report:
    """A source's KPIs at a site over ``[start, end)``: totals, per agent, per category."""

    source: KpiSource
    start: dt.datetime
    end: dt.datetime
    rates: dict[str, Rate]
    items: dict[str, int]
    by_agent: list[dict[str, Any]] = field(default_factory=list)
    by_category: list[dict[str, Any]] = field(default_factory=list)

    def out(self) -> dict[str, Any]:
        def group(rows):
            return [{**{k: v for k, v in row.items() if k != "rates"},
                     "rates": [rate.out() for rate in row["rates"].values()]} for row in rows]

        return {"source": self.source.key, "label": _(self.source.label), "from": rfc3339(self.start),
                "to": rfc3339(self.end), "items": self.items, "rates": [rate.out() for rate in self.rates.values()],
                "by_agent": group(self.by_agent), "by_category": group(self.by_category)}

    def breakdown(self) -> dict[str, Any]:
        """What a desk adds to its own KPI answer (``core.kpis.schemas.KpiBreakdowns``)."""
        out = self.out()
        return {"rates": out["rates"], "by_agent": out["by_agent"], "by_category": out["by_category"]}


def targets(site, source: KpiSource | None = None) -> dict[str, Decimal]:
    """The site's targets in percent for ``source``: its own reader's, else the site's
    "KPI targets" settings (98 / 99 / 100 unless changed)."""
    if source is not None and source.targets is not None:
        return {key: Decimal(str(value)) for key, value in source.targets(site).items()}
    from core.kpis.settings import site_targets

    return site_targets(site)


async def agent_names(ids: Iterable[int | None]) -> dict[int, str]:
    """{user id: display name or username}; a deleted user is missing (no name)."""
    from core.identity.models import User

    wanted = sorted({i for i in ids if i is not None})
    rows = await User.filter(id__in=wanted).values("id", "username", "display_name") if wanted else []
    return {row["id"]: row["display_name"] or row["username"] for row in rows}


async def counts(site, source: KpiSource, start: dt.datetime, end: dt.datetime,
                 now: dt.datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """{kpi: [{agent_id, category, items, denominator, numerator}]}: the grouped counts."""
    from tortoise import connections

    connection = connections.get("default")
    dialect = connection.capabilities.dialect
    values = {"site": site.id, "low": start.astimezone(UTC), "high": end.astimezone(UTC),
              "now": (now or utcnow()).astimezone(UTC)}
    out: dict[str, list[dict[str, Any]]] = {}
    for kpis, sql in statements(source):
        sql, params = bind(sql, values, dialect)
        rows = await connection.execute_query_dict(sql, params)
        for kpi in kpis:
            out[kpi] = [{"agent_id": row["agent_id"], "category": row["category"] or "", "items": int(row["items"]),
                         "denominator": int(row[f"d_{kpi}"]), "numerator": int(row[f"n_{kpi}"])} for row in rows]
    return {kpi: out[kpi] for kpi in source.items}


def _fold(rows: dict[str, list[dict[str, Any]]], by: str, goal: Mapping[str, Decimal]) -> dict[Any, dict[str, Rate]]:
    sums: dict[Any, dict[str, list[int]]] = {}
    for kpi, kpi_rows in rows.items():
        for row in kpi_rows:
            key = row[by] if by else None
            pair = sums.setdefault(key, {}).setdefault(kpi, [0, 0])
            pair[0] += row["numerator"]
            pair[1] += row["denominator"]
    return {key: {kpi: Rate(kpi, *per.get(kpi, (0, 0)), target=goal[kpi]) for kpi in rows}
            for key, per in sums.items()}


async def compute(site, source: KpiSource, start: dt.datetime, end: dt.datetime,
                  now: dt.datetime | None = None) -> Report:
    """``source``'s KPIs at ``site`` for items in ``[start, end)``, counted at ``now``."""
    rows = await counts(site, source, start, end, now)
    goal = {**DEFAULT_TARGETS, **targets(site, source)}
    totals = _fold(rows, "", goal).get(None) or {}
    rates = {kpi: totals.get(kpi) or Rate(kpi, 0, 0, goal[kpi]) for kpi in rows}
    per_agent = _fold(rows, "agent_id", goal)
    names = await agent_names(per_agent)
    by_agent = [{"agent_id": agent, "name": names.get(agent, "") if agent is not None else "",
                 "rates": {kpi: per.get(kpi) or Rate(kpi, 0, 0, goal[kpi]) for kpi in rows}}
                for agent, per in per_agent.items()]
    by_agent.sort(key=lambda row: (row["agent_id"] is None, row["name"], row["agent_id"] or 0))
    named = dict(await source.category_labels(site)) if source.category_labels is not None else {}
    label = source.category_label or (lambda value: named.get(value, value))
    by_category = [{"category": category, "label": label(category) if category else "",
                    "rates": {kpi: per.get(kpi) or Rate(kpi, 0, 0, goal[kpi]) for kpi in rows}}
                   for category, per in sorted(_fold(rows, "category", goal).items())]
    items = {kpi: sum(row["items"] for row in kpi_rows) for kpi, kpi_rows in rows.items()}
    return Report(source, start, end, rates, items, by_agent, by_category)


async def compute_days(site, source: KpiSource, first: dt.date, last: dt.date,
                       now: dt.datetime | None = None) -> Report:
    """The KPIs of the site's local days ``first`` to ``last`` (inclusive)."""
    return await compute(site, source, *local_day_bounds(site, first, (last - first).days + 1), now)


def default_days(site, first: dt.date | None, last: dt.date | None) -> tuple[dt.date, dt.date]:
    """The period a report shows when not told: the site's month so far."""
    today = local_today(site)
    return first or today.replace(day=1), last or today


# --- Exports -------------------------------------------------------------------------------


def _status_text(rate: Rate) -> str:
    return _(STATUS_LABELS[rate.status])


def tables(reports: list[Report]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """Three tables (totals, per agent, per category) of the reports: one row per KPI."""
    headers = [_("Source"), _("Indicator"), _("Numerator"), _("Denominator"), _("Rate (%)"), _("Target (%)"),
               _("Status")]

    def cells(rate: Rate) -> list[Any]:
        value = rate.percentage
        return [_(LABELS[rate.key]), rate.numerator, rate.denominator,
                _("n/a") if value is None else float(value), float(rate.target), _status_text(rate)]

    totals, agents, categories = [], [], []
    for report in reports:
        source = _(report.source.label)
        for rate in report.rates.values():
            totals.append([source, *cells(rate)])
        for row in report.by_agent:
            for rate in row["rates"].values():
                agents.append([source, row["name"] or _("Nobody"), *cells(rate)])
        for row in report.by_category:
            for rate in row["rates"].values():
                categories.append([source, row["label"] or _("No category"), *cells(rate)])
    return [(_("KPIs"), headers, totals),
            (_("By agent"), [headers[0], _("Agent"), *headers[1:]], agents),
            (_("By category"), [headers[0], _("Category"), *headers[1:]], categories)]


def to_xlsx(sheets: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    return xlsx_bytes(sheets)
