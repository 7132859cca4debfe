"""The page that takes a property-fee payment and prints its receipt. It calls the
service the API calls (``fees.pay``: the payment and its numbered receipt in one
transaction)."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response

from core.entities.models import Unit
from core.i18n import N_
from core.i18n import gettext as _
from core.web import form_keys
from core.web.access import actor_of, current_site, get_in_site
from core.web.forms import FormErrors, form_action
from core.web.routing import page_route
from core.web.templating import render
from plugins.resident import fees
from plugins.resident.models import PAYMENT_METHODS, Bill

METHOD_LABELS = {"cash": N_("Cash"), "card": N_("Card"), "transfer": N_("Bank transfer"), "mobile": N_("Mobile"),
                 "other": N_("Other")}


async def pay_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                   status: int = 200) -> Response:
    site = current_site(request)
    bill = await get_in_site(request, Bill, request.path_params["id"], "bill")
    unit = await Unit.get(id=bill.unit_id)
    shown = fees.bill_out(bill, site)
    return render(request, "resident/pay.html", {
        "site": site, "bill": shown, "unit": unit, "errors": errors or FormErrors(),
        "values": values or {"amount": shown["outstanding"], "method": "cash"},
        "methods": [(method, _(METHOD_LABELS[method])) for method in PAYMENT_METHODS],
        "form_key": uuid.uuid4().hex}, status_code=status)


async def pay(request: Request) -> Response:
    site = current_site(request)
    bill = await get_in_site(request, Bill, request.path_params["id"], "bill")

    async def act(form: dict):
        return await fees.pay(site, bill, form["amount"], form["method"], actor_of(request))

    return await form_keys.once(request, lambda: form_action(
        request, fields=["amount", "method", "form_key"], act=act, beside=["amount", "method"],
        page=lambda errors, values, status: pay_page(request, errors, values, status),
        success_url=lambda payment: f"/sites/{site.code}/receipts/{payment.receipt.id}"))


def routes():
    path = "/sites/{site}/resident/fees/bills/{id:int}/pay"
    return [
        page_route(path, pay_page, permission="resident.fee.collect"),
        page_route(path, pay, permission="resident.fee.collect", methods=["POST"], name="resident.fee_pay_post"),
    ]
