"""Stocktake pages: the list (and the form that opens a sheet), the count sheet a counter fills
in on a phone, and the variance report. Each form calls the service the API calls
(``plugins.hotel.stocktake``); registered by the plugin's ``register_routes``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from core.clock import local_time
from core.i18n import gettext as _
from core.identity.models import User
from core.problems import Problem
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.forms import FormErrors, form_action, form_int
from core.web.routing import page_route
from core.web.templating import render
from plugins.hotel import stocktake
from plugins.hotel.models import StockBalance, StockCount

BASE = "/sites/{site}/hotel/stocktakes"
APPROVE = "hotel.stocktake.approve"


def status_labels() -> dict[str, str]:
    return {status: _(label) for status, label in stocktake.STATUS_LABELS.items()}


async def names_of(user_ids) -> dict[int, str]:
    ids = [user_id for user_id in set(user_ids) if user_id]
    return {user.id: user.display_name or user.username for user in await User.filter(id__in=ids)}


async def list_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                    status_code: int = 200) -> Response:
    site = current_site(request)
    status = request.query_params.get("status", "")
    rows = site_query(request, StockCount)
    if status in stocktake.STATUS_LABELS:
        rows = rows.filter(status=status)
    sheets = [stocktake.sheet_summary(sheet) for sheet in await rows.order_by("-id").limit(200)]
    locations = sorted(set(await StockBalance.filter(site_id=site.id).values_list("location", flat=True)))
    local = {sheet["id"]: local_time(site, sheet["created_at"]) for sheet in sheets}
    return render(request, "hotel/stocktakes.html", {
        "site": site, "sheets": sheets, "status": status, "statuses": status_labels(), "local": local,
        "names": await names_of(sheet["created_by"] for sheet in sheets), "locations": locations,
        "errors": errors or FormErrors(), "values": values or {},
        "may_count": can(request, "hotel.stocktake.count"),
    }, status_code=status_code)


async def open_post(request: Request) -> Response:
    """The same service as ``POST /api/v1/sites/{site}/hotel/stocktakes``."""
    site = current_site(request)

    async def act(form: dict) -> Any:
        return await stocktake.open_sheet(site, actor_of(request), location=form["location"], note=form["note"],
                                          all_items=form["all_items"] == "1")

    return await form_action(request, fields=["location", "note", "all_items"], act=act, beside=("location", "note"),
                             page=lambda errors, values, status: list_page(request, errors, values, status),
                             success_url=lambda sheet: f"/sites/{site.code}/hotel/stocktakes/{sheet.id}")


def shown_lines(sheet: StockCount, lines: list[dict]) -> list[dict]:
    """The lines the sheet's form asks for: every line while counting, the flagged ones in recount."""
    if sheet.status == "recount":
        return [line for line in lines if line["needs_recount"]]
    return lines


async def sheet_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                     status_code: int = 200) -> Response:
    site = current_site(request)
    sheet = await get_in_site(request, StockCount, request.path_params["id"], _("stocktake"))
    data = await stocktake.sheet_out(sheet, can(request, APPROVE))
    lines = shown_lines(sheet, data["lines"])
    if values is None:
        key = "second_count" if sheet.status == "recount" else "counted"
        values = {f"count-{line['item_id']}": "" if line[key] is None else str(line[key]) for line in lines}
    people = await names_of([data["created_by"], data["submitted_by"], data["approved_by"], data["cancelled_by"],
                             *(line["counted_by"] for line in data["lines"]),
                             *(line["second_counted_by"] for line in data["lines"])])
    return render(request, "hotel/stocktake.html", {
        "site": site, "sheet": data, "lines": lines, "values": values, "errors": errors or FormErrors(),
        "statuses": status_labels(), "names": people,
        "times": {name: local_time(site, data[f"{name}_at"])
                  for name in ("created", "submitted", "approved", "cancelled")},
        "may_count": can(request, "hotel.stocktake.count") and sheet.status in ("counting", "recount"),
        "may_approve": can(request, APPROVE),
    }, status_code=status_code)


async def sheet_post(request: Request) -> Response:
    """Save counts (and submit), or approve or cancel: the services of the API's
    ``PUT .../counts``, ``POST .../submit``, ``.../approve`` and ``.../cancel``."""
    site, actor = current_site(request), actor_of(request)
    sheet = await get_in_site(request, StockCount, request.path_params["id"], _("stocktake"))
    data = await stocktake.sheet_out(sheet, True)
    lines = shown_lines(sheet, data["lines"]) if sheet.status in ("counting", "recount") else []
    names = [f"count-{line['item_id']}" for line in lines]
    aliases: dict[str, str] = {}

    async def prepare(form: dict) -> dict:
        action = form["action"]
        if action not in ("save", "submit", "approve", "cancel"):
            raise Problem(422, _("The form is incomplete or outdated. Reload the page and try again."))
        if action in ("approve", "cancel") and not can(request, APPROVE):
            raise Problem(403, _("You do not have the permission this needs (%(permission)s).", permission=APPROVE))
        version = form_int(form, "version", required=True, hidden=True)
        key = "second_count" if sheet.status == "recount" else "counted"
        entries = []
        for line, name in zip(lines, names, strict=True):
            value = form_int(form, name, signed=True)
            if value != line[key]:
                aliases[f"lines.{len(entries)}.counted"] = name
                entries.append({"item_id": line["item_id"], "counted": value})
        return {"action": action, "version": version, "entries": entries}

    async def act(form: dict) -> StockCount:
        current, version = sheet, form["version"]
        if form["action"] in ("save", "submit") and form["entries"]:
            current = await stocktake.enter_counts(site, current, actor, form["entries"], version)
            version = current.version
        if form["action"] == "submit":
            current = await stocktake.submit(site, current, actor, version)
        elif form["action"] == "approve":
            current = await stocktake.approve(site, current, actor, version)
        elif form["action"] == "cancel":
            current = await stocktake.cancel(site, current, actor, version)
        return current

    async def again(errors: FormErrors, values: dict, status: int) -> Response:
        await sheet.refresh_from_db()
        return await sheet_page(request, errors, values if status != 409 else None, status)

    return await form_action(request, fields=["action", "version", *names], prepare=prepare, act=act,
                             beside=names, aliases=aliases, page=again,
                             success_url=lambda done: f"/sites/{site.code}/hotel/stocktakes/{done.id}")


async def report_page(request: Request) -> Response:
    site = current_site(request)
    sheet = await get_in_site(request, StockCount, request.path_params["id"], _("stocktake"))
    data = await stocktake.report(sheet, can(request, APPROVE))
    return render(request, "hotel/stocktake_report.html", {
        "site": site, "report": data, "sheet": data["sheet"], "statuses": status_labels(),
        "times": {name: local_time(site, data["sheet"][f"{name}_at"])
                  for name in ("created", "submitted", "approved")},
    })


def routes():
    one = BASE + "/{id:int}"
    return [
        page_route(BASE, list_page, permission="hotel.stocktake.read"),
        page_route(BASE, open_post, permission="hotel.stocktake.count", methods=["POST"]),
        page_route(one, sheet_page, permission="hotel.stocktake.read"),
        page_route(one, sheet_post, permission="hotel.stocktake.count", methods=["POST"]),
        page_route(f"{one}/report", report_page, permission="hotel.stocktake.read"),
    ]
