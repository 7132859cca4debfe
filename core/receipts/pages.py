"""Receipt pages: the list, one receipt (print CSS) and its PDF; reprint and void forms.
They call the same services as the API."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.clock import local_time
from core.i18n import gettext as _
from core.receipts import printing, services
from core.receipts.api import day_start, get_readable, pdf_response, readable
from core.web.access import actor_of, can, current_site
from core.web.forms import FormErrors, form_action, form_int, offset_page, page_links, page_number
from core.web.routing import page_route
from core.web.templating import render

PAGE_SIZE = 50
FILTERS = {"series": 60, "status": 10, "from": 10, "to": 10}


def base(request: Request) -> str:
    return f"/sites/{current_site(request).code}/receipts"


async def receipt_list(request: Request) -> Response:
    site = current_site(request)
    filters = {name: request.query_params.get(name, "")[:size].strip() for name, size in FILTERS.items()}
    errors = FormErrors()
    receipts = readable(request)
    if filters["series"]:
        receipts = receipts.filter(series=filters["series"])
    if filters["status"] in ("issued", "void"):
        receipts = receipts.filter(status=filters["status"])
    for name, lookup, shift in (("from", "issued_at__gte", 0), ("to", "issued_at__lt", 1)):
        if filters[name]:
            try:
                day = dt.date.fromisoformat(filters[name])
            except ValueError:
                errors.fields[name] = _("Give the date as YYYY-MM-DD.")
                continue
            receipts = receipts.filter(**{lookup: day_start(site, day, shift)})
    page = page_number(request)
    rows, more = await offset_page(receipts.order_by("-id"), page, PAGE_SIZE)
    # One row per (series, label) pair, not per receipt: a renamed register shows one of its names.
    labels = dict(await readable(request).distinct().order_by("series", "series_label")
                  .values_list("series", "series_label"))
    series = sorted(((code, services.shown_series_label(code, label) or code) for code, label in labels.items()),
                    key=lambda pair: pair[0])
    return render(request, "core/receipts/list.html", {
        "site": site, "base": base(request), "filters": filters, "errors": errors, "all_series": series,
        "receipts": [{**services.receipt_out(r), "issued_at_local": local_time(site, r.issued_at),
                      "method_label": printing.method_label(r.method)} for r in rows],
        "page": page, "links": page_links(base(request), filters, page, more)},
        status_code=422 if errors else 200)


async def receipt_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                       status: int = 200) -> Response:
    site = current_site(request)
    receipt = await get_readable(request)
    if errors is None and not (request.query_params.get("printed") == "1" and receipt.print_count > 1):
        # Showing it is printing it: the first time the original, then counted copies. Right
        # after a reprint (printed=1, a COPY already) the reprint counted this one.
        receipt = await services.rendered(site, receipt, actor_of(request))
    shown = await printing.printable(site, receipt)
    return render(request, "core/receipts/receipt.html", {
        **shown, "site": site, "base": base(request), "errors": errors or FormErrors(), "values": values or {},
        "may_print": can(request, "core.receipt.print"), "may_void": can(request, "core.receipt.void"),
        "print_now": request.query_params.get("printed") == "1"}, status_code=status)


async def receipt_pdf(request: Request) -> Response:
    receipt = await services.rendered(current_site(request), await get_readable(request), actor_of(request))
    return pdf_response(await printing.receipt_pdf(current_site(request), receipt), receipt)


async def reprint(request: Request) -> Response:
    receipt = await get_readable(request)
    await services.reprint(current_site(request), receipt, actor_of(request))
    return RedirectResponse(f"{base(request)}/{receipt.id}?printed=1", status_code=303)


async def void(request: Request) -> Response:
    site = current_site(request)
    receipt = await get_readable(request)

    async def act(form: dict) -> None:
        await services.void(site, receipt, actor_of(request), form["reason"],
                            form_int(form, "version", required=True, hidden=True), host=request.app.state.host)

    return await form_action(request, fields=["reason", "version"], act=act,
                             page=lambda errors, values, status: receipt_page(request, errors, values, status),
                             success_url=f"{base(request)}/{receipt.id}")


def routes():
    prefix = "/sites/{site}/receipts"
    return [
        page_route(prefix, receipt_list, permission="core.receipt.read"),
        page_route(f"{prefix}/{{id:int}}", receipt_page, permission="core.receipt.read"),
        page_route(f"{prefix}/{{id:int}}.pdf", receipt_pdf, permission="core.receipt.read"),
        page_route(f"{prefix}/{{id:int}}/reprint", reprint, permission="core.receipt.print", methods=["POST"]),
        page_route(f"{prefix}/{{id:int}}/void", void, permission="core.receipt.void", methods=["POST"]),
    ]
