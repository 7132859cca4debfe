"""JSON routes of complaint analysis: a complaint's category and cause, and the report
(``/api/v1/sites/{site}/resident/...``, ``plugins.resident.complaints``)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from core.web.access import actor_of, current_site, get_in_site
from core.web.api import CSV, XLSX, api_route
from core.web.responses import PeriodOut
from plugins.resident import complaints, services
from plugins.resident.models import Case
from plugins.resident.schemas import CaseOut

BASE = "/api/v1/sites/{site}/resident"


class ClassifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category: str | None = Field(None, max_length=60, description="A code of resident.complaint_category.")
    cause: str | None = Field(None, max_length=40, description="A code of resident.complaint_cause.")


class AnalysisQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    start: dt.date | None = Field(None, alias="from", description="The site's local day (default: the month's first).")
    end: dt.date | None = Field(None, alias="to", description="The site's local day, inclusive (default: today).")
    group: Literal["category", "cause", "building", "unit"] = "category"
    format: Literal["json", "csv", "xlsx"] = "json"


class AnalysisGroup(BaseModel):
    key: str | None = Field(description="The code, building, or unit id; null when not given.")
    label: str
    count: int


class UnitHotspot(BaseModel):
    unit_id: int
    unit_code: str
    building: str
    category: str | None
    category_label: str
    count: int


class BuildingHotspot(BaseModel):
    building: str
    category: str | None
    category_label: str
    count: int


class AnalysisOut(PeriodOut):
    group: str
    total: int
    groups: list[AnalysisGroup]
    hotspots: list[UnitHotspot] = Field(description="The same unit and category at least twice, most first.")
    building_hotspots: list[BuildingHotspot] = Field(description="The same building and category at least twice.")


async def classify_case(request: Request, body: ClassifyIn) -> CaseOut:
    """Set a complaint's category and/or cause (active codes of the site's lists)."""
    case = await get_in_site(request, Case, request.path_params["id"], "case")
    case = await complaints.classify(current_site(request), case, body.model_dump(), actor=actor_of(request))
    return services.case_out(case, await services.load_task(case))


async def get_analysis(request: Request, query: AnalysisQuery) -> AnalysisOut | Response:
    """Complaints by category, cause, building or unit over the site's local days (the month
    so far by default), with the hot spots; ``?format=csv|xlsx`` downloads them."""
    site = current_site(request)
    start, end = complaints.period(site, query.start, query.end)
    data = await complaints.analysis(site, start, end, query.group)
    name = f"complaint-analysis-{site.code}-{query.group}-{start.isoformat()}-{end.isoformat()}"
    if query.format == "csv":
        return Response(complaints.analysis_csv(data), media_type=f"{CSV}; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if query.format == "xlsx":
        return Response(complaints.analysis_xlsx(data), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    return data


def routes():
    tags = ["resident"]
    return [
        api_route(f"{BASE}/cases/{{id:int}}/classify", classify_case, method="POST", permission="resident.case.work",
                  body=ClassifyIn, response=CaseOut, tags=tags),
        api_route(f"{BASE}/complaints/analysis", get_analysis, permission="resident.kpi.read", query=AnalysisQuery,
                  response=AnalysisOut, tags=tags, downloads=(CSV, XLSX)),
    ]
