"""The KPI engine's JSON shapes (``core.kpis``): the site's report and each desk's
breakdowns (``KpiBreakdowns``, added to the desks' own ``GET .../kpis``)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.web.responses import PeriodOut


class RateOut(BaseModel):
    key: Literal["on_time_reply_rate", "standard_handling_rate", "satisfaction_rate"]
    label: str
    numerator: int
    denominator: int = Field(description="Items counted: those not yet due are left out.")
    percentage: float | None = Field(description="Percent, one decimal; null (n/a) when the denominator is 0.")
    target: float = Field(description="Percent.")
    status: Literal["met", "missed", "no_data"] = Field(description="no_data is never met.")


class AgentRates(BaseModel):
    agent_id: int | None
    name: str
    rates: list[RateOut]


class CategoryRates(BaseModel):
    category: str
    label: str
    rates: list[RateOut]


class SourceReportOut(PeriodOut):
    source: str
    label: str
    items: dict[str, int] = Field(description="Items in the period per KPI, due or not.")
    rates: list[RateOut]
    by_agent: list[AgentRates]
    by_category: list[CategoryRates]


class SiteKpisOut(PeriodOut):
    """The site's local days ``from`` to ``to`` (inclusive), every source the user may read."""

    sources: list[SourceReportOut]


class KpiBreakdowns(BaseModel):
    """A desk's KPIs as the engine reports them: totals, per agent, per category."""

    rates: list[RateOut]
    by_agent: list[AgentRates]
    by_category: list[CategoryRates]


class SiteKpisQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    start: dt.date | None = Field(None, alias="from")
    end: dt.date | None = Field(None, alias="to")
    source: str | None = Field(None, max_length=80, description="One source's key; every source by default.")
    format: Literal["json", "csv", "xlsx"] = "json"
