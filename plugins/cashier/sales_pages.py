"""Pages of the price list and the itemised sale form (on the cashier's shift screen).
They call the same services as the API (``plugins.cashier.sales``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.i18n import N_
from core.i18n import gettext as _
from core.problems import Problem
from core.web import form_keys
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.forms import FormErrors, form_action, form_int
from core.web.routing import page_route
from core.web.templating import render
from plugins.cashier import sales
from plugins.cashier.models import PRICE_CATEGORIES, PriceItem, Shift

#: Lines of the sale form on the shift screen.
SALE_LINES = 6
CATEGORY_LABELS = {"minibar": N_("Minibar"), "linen": N_("Linen"), "service": N_("Services"), "other": N_("Other")}
ITEM_FIELDS = ["code", "name", "category", "price", "taxable", "active"]


def base(request: Request) -> str:
    return f"/sites/{current_site(request).code}/cashier"


def categories() -> list[tuple[str, str]]:
    return [(value, _(CATEGORY_LABELS[value])) for value in PRICE_CATEGORIES]


async def price_list(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                     status: int = 200) -> Response:
    site = current_site(request)
    items = await site_query(request, PriceItem).order_by("category", "code")
    return render(request, "cashier/price_list.html", {
        "site": site, "base": base(request), "items": [sales.item_out(item, site) for item in items],
        "categories": categories(), "category_names": dict(categories()), "errors": errors or FormErrors(),
        "values": values or {"category": "other", "active": "on"}, "may_manage": can(request, "cashier.price.manage")},
        status_code=status)


def _item_data(form: dict) -> dict:
    return {"code": form["code"], "name": form["name"], "category": form["category"] or "other",
            "price": form["price"], "taxable": form["taxable"] == "on", "active": form["active"] == "on"}


async def create_item(request: Request) -> Response:
    site = current_site(request)

    async def act(form: dict) -> None:
        await sales.create_item(site, actor_of(request), _item_data(form))

    return await form_action(request, fields=ITEM_FIELDS, act=act, page=lambda errors, values, status: price_list(
        request, errors, values, status), success_url=f"{base(request)}/price-list", keep_blank=True)


async def item_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                    status: int = 200) -> Response:
    site = current_site(request)
    item = await get_in_site(request, PriceItem, request.path_params["id"], "price list item")
    shown = sales.item_out(item, site)
    current = {**shown, "taxable": "on" if item.taxable else "", "active": "on" if item.active else "",
               "version": str(item.version)}
    return render(request, "cashier/price_item.html", {
        "site": site, "base": base(request), "item": shown, "categories": categories(),
        "errors": errors or FormErrors(), "values": values or current}, status_code=status)


async def update_item(request: Request) -> Response:
    site = current_site(request)
    item = await get_in_site(request, PriceItem, request.path_params["id"], "price list item")

    async def act(form: dict) -> None:
        await sales.update_item(site, item, actor_of(request), _item_data(form),
                                form_int(form, "version", required=True, hidden=True))

    return await form_action(request, fields=[*ITEM_FIELDS, "version"], act=act,
                             page=lambda errors, values, status: item_page(request, errors, values, status),
                             success_url=f"{base(request)}/price-list", keep_blank=True)


def sale_fields() -> list[str]:
    return [name for index in range(SALE_LINES) for name in (f"item_code_{index}", f"quantity_{index}")]


async def post_sale(request: Request) -> Response:
    """The itemised sale form of the shift screen; success shows the receipt to print."""
    from plugins.cashier.pages import home

    site = current_site(request)
    shift = await get_in_site(request, Shift, request.path_params["id"], "shift")

    async def act(form: dict):
        lines = []
        for index in range(SALE_LINES):
            code = form[f"item_code_{index}"]
            if code:
                quantity = form_int(form, f"quantity_{index}")
                quantity = 1 if quantity is None else quantity  # only a blank quantity means one
                lines.append({"item_code": code, "quantity": quantity})
        if not lines:
            raise Problem(422, _("Add at least one item."), errors=[{"field": "item_code_0",
                                                                      "message": _("Add at least one item.")}])
        _entry, receipt, _created = await sales.post_sale(
            request.app.state.tasks, site, shift, actor_of(request), lines=lines, method=form["sale_method"],
            tendered=form["tendered"] or None, key=form["form_key"][:200] or None)
        return receipt

    aliases = {f"lines.{index}.{name}": f"{name}_{index}" for index in range(SALE_LINES)
               for name in ("item_code", "quantity")}
    return await form_keys.once(request, lambda: form_action(
        request, fields=[*sale_fields(), "sale_method", "tendered", "form_key"], act=act,
        page=lambda errors, values, status: home(request, errors, values, status),
        success_url=lambda receipt: f"/sites/{site.code}/receipts/{receipt.id}",
        aliases={**aliases, "method": "sale_method"}))


def routes():
    prefix = "/sites/{site}/cashier"
    manage = "cashier.price.manage"
    return [
        page_route(f"{prefix}/price-list", price_list, permission="cashier.shift.read"),
        page_route(f"{prefix}/price-list", create_item, permission=manage, methods=["POST"],
                   name="cashier.price_item_post"),
        page_route(f"{prefix}/price-list/{{id:int}}", item_page, permission=manage),
        page_route(f"{prefix}/price-list/{{id:int}}", update_item, permission=manage, methods=["POST"],
                   name="cashier.price_item_update"),
        page_route(f"{prefix}/shifts/{{id:int}}/sale", post_sale, permission="cashier.shift.work", methods=["POST"]),
    ]
