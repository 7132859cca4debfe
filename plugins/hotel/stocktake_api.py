"""JSON routes of stocktakes (``/api/v1/sites/{site}/hotel/stocktakes``), registered by the
plugin's ``register_api_routes``; the rules are in ``plugins.hotel.stocktake``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.exports import tables_csv
from core.i18n import gettext as _
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.api import CSV, XLSX, api_route
from core.web.pagination import filter_by, paginate
from plugins.hotel import stocktake
from plugins.hotel.models import StockCount
from plugins.hotel.schemas import (CountsIn, StocktakeIn, StocktakeOut, StocktakePage, StocktakeQuery,
                                   StocktakeReportOut, StocktakeReportQuery, VersionIn)

BASE = "/api/v1/sites/{site}/hotel/stocktakes"
APPROVE = "hotel.stocktake.approve"


async def sheet_of(request: Request) -> StockCount:
    """The sheet named in the path, of the request's site (another site's is a 404)."""
    return await get_in_site(request, StockCount, request.path_params["id"], _("stocktake"))


async def answer(request: Request, sheet: StockCount) -> dict:
    return await stocktake.sheet_out(sheet, can(request, APPROVE))


async def list_stocktakes(request: Request, query: StocktakeQuery) -> StocktakePage:
    """Count sheets, newest first (``?status=``, ``?location=``)."""
    rows = filter_by(site_query(request, StockCount), query, status="status", location="location")
    return await paginate(rows, query, stocktake.sheet_summary, descending=True)


async def open_stocktake(request: Request, body: StocktakeIn) -> StocktakeOut:
    """Open a count sheet for a location: a line per item kept there, its balance of now as
    the expected quantity (``all_items`` lists every item of the site)."""
    sheet = await stocktake.open_sheet(current_site(request), actor_of(request), location=body.location,
                                       note=body.note, all_items=body.all_items)
    return await answer(request, sheet)


async def get_stocktake(request: Request) -> StocktakeOut:
    """A sheet with its lines (expected quantities hidden from counters until submitted)."""
    return await answer(request, await sheet_of(request))


async def put_counts(request: Request, body: CountsIn) -> StocktakeOut:
    """Enter counts: first counts while ``counting``, second counts of the flagged lines in
    ``recount`` (by someone other than the first counter)."""
    sheet = await stocktake.enter_counts(current_site(request), await sheet_of(request), actor_of(request),
                                         [entry.model_dump() for entry in body.lines], body.version)
    return await answer(request, sheet)


async def submit_stocktake(request: Request, body: VersionIn) -> StocktakeOut:
    """Hand in the counts: ``recount`` when lines are past the site's thresholds, else ``submitted``."""
    sheet = await stocktake.submit(current_site(request), await sheet_of(request), actor_of(request), body.version)
    return await answer(request, sheet)


async def approve_stocktake(request: Request, body: VersionIn) -> StocktakeOut:
    """Approve a submitted sheet: each variance posted as a ``stocktake`` movement, all or none."""
    sheet = await stocktake.approve(current_site(request), await sheet_of(request), actor_of(request), body.version)
    return await answer(request, sheet)


async def cancel_stocktake(request: Request, body: VersionIn) -> StocktakeOut:
    """Cancel an open sheet (nothing is posted)."""
    sheet = await stocktake.cancel(current_site(request), await sheet_of(request), actor_of(request), body.version)
    return await answer(request, sheet)


def download(site, data: dict, fmt: str) -> Response:
    from core.exports import xlsx_bytes

    tables = stocktake.report_tables(site, data)
    name = f"stocktake-{site.code}-{data['sheet']['id']}"
    if fmt == "csv":
        return Response(tables_csv(tables), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(xlsx_bytes(tables), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


async def stocktake_report(request: Request, query: StocktakeReportQuery) -> StocktakeReportOut:
    """The variance report of a sheet (``?format=csv|xlsx`` to download)."""
    site = current_site(request)
    data = await stocktake.report(await sheet_of(request), can(request, APPROVE))
    if query.format == "json":
        return data
    return download(site, data, query.format)


def routes() -> list:
    tags = ["hotel"]
    one = BASE + "/{id:int}"
    return [
        api_route(BASE, list_stocktakes, permission="hotel.stocktake.read", query=StocktakeQuery,
                  response=StocktakePage, tags=tags),
        api_route(BASE, open_stocktake, method="POST", permission="hotel.stocktake.count", body=StocktakeIn,
                  response=StocktakeOut, status_code=201, tags=tags),
        api_route(one, get_stocktake, permission="hotel.stocktake.read", response=StocktakeOut, tags=tags),
        api_route(f"{one}/counts", put_counts, method="PUT", permission="hotel.stocktake.count", body=CountsIn,
                  response=StocktakeOut, tags=tags),
        api_route(f"{one}/submit", submit_stocktake, method="POST", permission="hotel.stocktake.count",
                  body=VersionIn, response=StocktakeOut, tags=tags),
        api_route(f"{one}/approve", approve_stocktake, method="POST", permission=APPROVE, body=VersionIn,
                  response=StocktakeOut, tags=tags),
        api_route(f"{one}/cancel", cancel_stocktake, method="POST", permission=APPROVE, body=VersionIn,
                  response=StocktakeOut, tags=tags),
        api_route(f"{one}/report", stocktake_report, permission="hotel.stocktake.read",
                  query=StocktakeReportQuery, response=StocktakeReportOut, tags=tags, downloads=(CSV, XLSX)),
    ]
