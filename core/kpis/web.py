"""The site's KPIs, every source the user may read: ``GET /api/v1/sites/{site}/kpis``
(``?format=csv|xlsx`` to download) and the page ``/sites/{site}/kpis``, one service
(``site_reports``)."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import Response

from core import kpis
from core.exports import tables_csv
from core.i18n import gettext as _
from core.kpis.schemas import SiteKpisOut, SiteKpisQuery
from core.problems import Problem, invalid
from core.web.access import can, current_site
from core.web.api import CSV, XLSX, api_route
from core.web.routing import page_route
from core.web.templating import render

PERMISSION = "core.kpi.read"
#: The longest period a report covers, in days.
MAX_DAYS = 366


def period(site, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """The local days asked for (by default the site's month so far); 422 naming the field."""
    start, end = kpis.default_days(site, start, end)
    if end < start:
        raise invalid("to", _("The end is before the start."))
    if (end - start).days >= MAX_DAYS:
        raise invalid("from", _("A period is at most a year."))
    return start, end


async def site_reports(request: Request, start: dt.date, end: dt.date,
                       source: str | None = None) -> list[kpis.Report]:
    """Each source's report the user may read (``source`` narrows to one; unknown: 422)."""
    site = current_site(request)
    known = kpis.sources(request.app.state.host)
    if source is not None and source not in {s.key for s in known}:
        raise invalid("source", _("No such KPI source."))
    return [await kpis.compute_days(site, s, start, end) for s in known
            if (source is None or s.key == source) and can(request, s.permission)]


def download(reports: list[kpis.Report], fmt: str, name: str) -> Response:
    sheets = kpis.tables(reports)
    if fmt == "csv":
        return Response(tables_csv(sheets), media_type=f"{CSV}; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(kpis.to_xlsx(sheets), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


async def get_site_kpis(request: Request, query: SiteKpisQuery) -> SiteKpisOut | Response:
    """Every KPI source of the site over its local days (the month so far by default),
    with per-agent and per-category breakdowns; ``?format=csv|xlsx`` downloads them."""
    site = current_site(request)
    start, end = period(site, query.start, query.end)
    reports = await site_reports(request, start, end, query.source)
    if query.format != "json":
        return download(reports, query.format, f"kpis-{site.code}-{start.isoformat()}-{end.isoformat()}")
    return {"from": start.isoformat(), "to": end.isoformat(), "sources": [report.out() for report in reports]}


def _date(request: Request, name: str) -> dt.date | None:
    text = request.query_params.get(name, "").strip()
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        raise invalid(name, _("Enter a date as YYYY-MM-DD.")) from None


async def kpi_page(request: Request) -> Response:
    """The same report as a page: red below target, green at or above, n/a without data.
    A bad period is named above the form and the site's month so far shown instead."""
    site = current_site(request)
    errors: dict[str, str] = {}
    try:
        start, end = period(site, _date(request, "from"), _date(request, "to"))
    except Problem as problem:
        errors = {error["field"]: error["message"] for error in problem.errors or []}
        start, end = period(site, None, None)
    reports = await site_reports(request, start, end)
    return render(request, "core/kpis/site.html", {
        "site": site, "reports": [report.out() for report in reports], "start": start.isoformat(),
        "end": end.isoformat(), "errors": errors,
        "from_text": request.query_params.get("from", start.isoformat()),
        "to_text": request.query_params.get("to", end.isoformat())})


def api_routes():
    return [api_route("/api/v1/sites/{site}/kpis", get_site_kpis, permission=PERMISSION, query=SiteKpisQuery,
                      response=SiteKpisOut, downloads=(CSV, XLSX), tags=["kpis"])]


def page_routes():
    return [page_route("/sites/{site}/kpis", kpi_page, permission=PERMISSION)]
