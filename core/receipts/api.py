"""JSON routes of receipts: /api/v1/sites/{site}/receipts..."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from core.receipts import printing, services
from core.receipts.models import Receipt
from core.receipts.schemas import ReceiptFormatQuery, ReceiptOut, ReceiptQuery, VoidIn
from core.problems import Problem
from core.i18n import gettext as _
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


def readable(request: Request):
    """The site's receipts the caller may read (a series' owner may keep them to their issuer)."""
    return services.visible(request.app.state.host, actor_of(request), site_query(request, Receipt))


async def get_readable(request: Request) -> Receipt:
    """The receipt of the path's id, if the caller may read it; 404 like a missing one."""
    receipt = await get_in_site(request, Receipt, request.path_params["id"], "receipt")
    if not await readable(request).filter(id=receipt.id).exists():
        raise Problem(404, _("No %(what)s with id %(id)s here.", what="receipt", id=receipt.id))
    return receipt


def filtered(request: Request, query: ReceiptQuery):
    site = current_site(request)
    receipts = readable(request)
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
    """One receipt; ``?format=pdf`` prints it: the first render is the original, every later one
    is counted as a reprint and marked COPY (VOID once voided)."""
    receipt = await get_readable(request)
    if query.format == "pdf":
        site = current_site(request)
        receipt = await services.rendered(site, receipt, actor_of(request))
        return pdf_response(await printing.receipt_pdf(site, receipt), receipt)
    return services.receipt_out(receipt)


async def reprint(request: Request) -> ReceiptOut:
    """Print again: counted and audited; every print after the first is marked COPY."""
    receipt = await get_readable(request)
    return services.receipt_out(await services.reprint(current_site(request), receipt, actor_of(request)))


async def void(request: Request, body: VoidIn) -> ReceiptOut:
    """Void the receipt: kept and marked VOID with the reason; its number is never given again."""
    receipt = await get_readable(request)
    receipt = await services.void(current_site(request), receipt, actor_of(request), body.reason, body.version,
                                  host=request.app.state.host)
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
                  permission="core.receipt.void",
                  responses={409: "Void already, the version is stale, or the series' owner refuses it"}, tags=tags),
    ]
