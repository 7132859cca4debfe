"""JSON routes of receipts: /api/v1/sites/{site}/receipts..."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from core.receipts import printing, services
from core.receipts.models import Receipt
from core.receipts.schemas import ReceiptFormatQuery, ReceiptOut, ReceiptQuery, VoidIn
from core.web.access import actor_of, current_site, get_in_site, site_query
from core.web.api import api_route
from core.web.pagination import paginate
from core.web.responses import Page

PREFIX = "/api/v1/sites/{site}/receipts"
PDF = "application/pdf"


def day_start(site, day: dt.date, days_after: int = 0) -> dt.datetime:
    """The local midnight that starts ``day`` (plus ``days_after``) at the site, in UTC;
    a date at the calendar's ends (0001-01-01, 9999-12-31) stays inside it."""
    try:
        day = day + dt.timedelta(days=days_after)
        return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(site.timezone)).astimezone(dt.timezone.utc)
    except OverflowError:
        edge = dt.datetime.min if day.year == 1 else dt.datetime.max
        return edge.replace(tzinfo=dt.timezone.utc)


def filtered(request: Request, query: ReceiptQuery):
    site = current_site(request)
    receipts = site_query(request, Receipt)
    if query.series:
        receipts = receipts.filter(series=query.series)
    if query.status:
        receipts = receipts.filter(status=query.status)
    if query.start:
        receipts = receipts.filter(issued_at__gte=day_start(site, query.start))
    if query.end:
        receipts = receipts.filter(issued_at__lt=day_start(site, query.end, 1))
    return receipts


async def list_receipts(request: Request, query: ReceiptQuery) -> Page[ReceiptOut]:
    """Receipts, newest first; ``from`` and ``to`` are the site's local days (both included)."""
    return await paginate(filtered(request, query), query, services.receipt_out, descending=True)


def pdf_response(content: bytes, receipt: Receipt) -> Response:
    return Response(content, media_type=PDF,
                    headers={"Content-Disposition": f'inline; filename="{printing.pdf_filename(receipt)}"'})


async def get_receipt(request: Request, query: ReceiptFormatQuery) -> ReceiptOut | Response:
    """One receipt; ``?format=pdf`` prints it (marked COPY after a reprint, VOID once voided)."""
    receipt = await get_in_site(request, Receipt, request.path_params["id"], "receipt")
    if query.format == "pdf":
        return pdf_response(await printing.receipt_pdf(current_site(request), receipt), receipt)
    return services.receipt_out(receipt)


async def reprint(request: Request) -> ReceiptOut:
    """Print again: counted and audited; every print after the first is marked COPY."""
    receipt = await get_in_site(request, Receipt, request.path_params["id"], "receipt")
    return services.receipt_out(await services.reprint(current_site(request), receipt, actor_of(request)))


async def void(request: Request, body: VoidIn) -> ReceiptOut:
    """Void the receipt: kept and marked VOID with the reason; its number is never given again."""
    receipt = await get_in_site(request, Receipt, request.path_params["id"], "receipt")
    receipt = await services.void(current_site(request), receipt, actor_of(request), body.reason, body.version)
    return services.receipt_out(receipt)


def routes():
    tags = ["receipts"]
    return [
        api_route(PREFIX, list_receipts, query=ReceiptQuery, response=Page[ReceiptOut], permission="core.receipt.read",
                  tags=tags),
        api_route(f"{PREFIX}/{{id:int}}", get_receipt, query=ReceiptFormatQuery, response=ReceiptOut,
                  permission="core.receipt.read", downloads=(PDF,), tags=tags),
        api_route(f"{PREFIX}/{{id:int}}/reprint", reprint, method="POST", response=ReceiptOut,
                  permission="core.receipt.print", tags=tags),
        api_route(f"{PREFIX}/{{id:int}}/void", void, method="POST", body=VoidIn, response=ReceiptOut,
                  permission="core.receipt.void", responses={409: "Void already, or the version is stale"}, tags=tags),
    ]
