"""Pages: the cashier's screen (open, fast entry, blind close), the supervisor's review
queue, deposits and printable reports. They call the same services as the API."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.i18n import N_
from core.i18n import gettext as _
from core.identity.models import User
from core.money import format_money
from core.web.templating import render
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.forms import form_strings
from core.problems import Problem
from core.web.routing import page_route
from plugins.cashier import money, reports, services
from plugins.cashier.models import KINDS, METHODS, Approval, Deposit, DepositShift, Entry, Register, Shift

KIND_LABELS = {"sale": N_("Sale"), "refund": N_("Refund"), "paid_in": N_("Paid in"), "paid_out": N_("Paid out")}
METHOD_LABELS = {"cash": N_("Cash"), "card": N_("Card"), "mobile": N_("Mobile"), "voucher": N_("Voucher"),
                 "other": N_("Other")}


def kernel(request: Request):
    return request.app.state.tasks


def base(request: Request) -> str:
    return f"/sites/{current_site(request).code}/cashier"


def labels() -> dict:
    kinds = {k: _(KIND_LABELS[k]) for k in KINDS}
    methods = {m: _(METHOD_LABELS[m]) for m in METHODS}
    return {"kinds": list(kinds.items()), "methods": list(methods.items()), "kind_names": kinds,
            "method_names": methods}


def denominations(site) -> list[dict]:
    return [{"minor": minor, "label": money.denomination_label(minor, site.currency)}
            for minor in money.site_denominations(site)]


async def read_count(request: Request, prefix: str) -> dict[str, int]:
    form = await request.form()
    count: dict[str, object] = {}
    for denomination in denominations(current_site(request)):
        raw = str(form.get(f"{prefix}_{denomination['label']}", "")).strip()
        if raw:
            count[denomination["label"]] = int(raw) if raw.isdigit() else raw
    return count


def problem_message(problem: Problem) -> list[str]:
    messages = [problem.detail]
    messages += [f"{e['field']}: {e['message']}" for e in (problem.errors or []) if e["message"] not in problem.detail]
    return messages


async def home(request: Request, errors: list[str] | None = None, status: int = 200) -> Response:
    site, user = current_site(request), request.state.user
    shift = await site_query(request, Shift).filter(cashier_id=user.id, status="open").first()
    context = {"site": site, "errors": errors or [], "denominations": denominations(site), "base": base(request),
               "form_key": uuid.uuid4().hex, **labels()}
    if shift is None:
        registers = await site_query(request, Register).filter(active=True).order_by("name")
        rows = []
        for register in registers:
            previous = await services.previous_shift(register)
            busy = await Shift.filter(open_register_id=register.id).exists()
            rows.append({"register": register, "busy": busy,
                         "float_left": format_money(previous.float_left or 0, site.currency) if previous else None,
                         "float_count": money.count_out(previous.float_left_count, site.currency) if previous else {}})
        context["registers"] = rows
        return render(request, "cashier/open.html", context, status_code=status)
    entries = await Entry.filter(shift_id=shift.id).order_by("-id").limit(50)
    statuses = dict(await Approval.filter(entry__shift_id=shift.id).values_list("entry_id", "status"))
    context.update({"shift": shift, "register": await Register.get(id=shift.register_id),
                    "entries": [services.entry_out(e, site, statuses.get(e.reverses_id or e.id)) for e in entries],
                    "reversed": set(await Entry.filter(shift_id=shift.id, is_reversal=True)
                                    .values_list("reverses_id", flat=True))})
    return render(request, "cashier/shift.html", context, status_code=status)


async def open_shift(request: Request) -> Response:
    site = current_site(request)
    form = await form_strings(request, ["register_id"])
    try:
        register = await get_in_site(request, Register, form["register_id"] or 0, "register")
        await services.open_shift(kernel(request), site, register, actor_of(request), await read_count(request, "open"))
    except Problem as problem:
        return await home(request, problem_message(problem), status=problem.status)
    return RedirectResponse(base(request) + "/", status_code=303)


async def post_entry(request: Request) -> Response:
    site = current_site(request)
    shift = await get_in_site(request, Shift, request.path_params["id"], "shift")
    form = await form_strings(request, ["kind", "amount", "method", "reference", "note", "form_key"])
    try:
        await services.post_entry(
            kernel(request), site, shift, actor_of(request), kind=form["kind"], amount=form["amount"],
            method=form["method"], reference=form["reference"][:100], note=form["note"][:500],
            key=form["form_key"][:200] or None)
    except Problem as problem:
        return await home(request, problem_message(problem), status=problem.status)
    return RedirectResponse(base(request) + "/", status_code=303)


async def reverse_entry(request: Request) -> Response:
    site = current_site(request)
    entry = await get_in_site(request, Entry, request.path_params["id"], "transaction")
    form = await form_strings(request, ["reason", "form_key"])
    try:
        await services.reverse_entry(kernel(request), site, entry, actor_of(request), form["reason"][:500],
                                     key=form["form_key"][:200] or None)
    except Problem as problem:
        return await home(request, problem_message(problem), status=problem.status)
    return RedirectResponse(base(request) + "/", status_code=303)


async def close_page(request: Request, errors: list[str] | None = None, status: int = 200) -> Response:
    site = current_site(request)
    shift = await get_in_site(request, Shift, request.path_params["id"], "shift")
    if shift.cashier_id != request.state.user.id:
        raise Problem(403, _("Only the shift's cashier closes it."))
    if shift.status != "open":
        return RedirectResponse(f"{base(request)}/shifts/{shift.id}", status_code=303)
    return render(request, "cashier/close.html", {
        "site": site, "shift": shift, "denominations": denominations(site), "errors": errors or [],
        "base": base(request), "form_key": uuid.uuid4().hex}, status_code=status)


async def close_shift(request: Request) -> Response:
    site = current_site(request)
    shift = await get_in_site(request, Shift, request.path_params["id"], "shift")
    form = await form_strings(request, ["float_left", "version"])
    try:
        version = int(form["version"]) if form["version"].isdigit() else -1
        shift = await services.close_shift(kernel(request), site, shift, actor_of(request),
                                           await read_count(request, "count"), form["float_left"] or "0", version)
    except Problem as problem:
        if problem.status == 409 and shift.status != "open":
            return RedirectResponse(f"{base(request)}/shifts/{shift.id}", status_code=303)
        return await close_page(request, problem_message(problem), status=problem.status)
    return RedirectResponse(f"{base(request)}/shifts/{shift.id}", status_code=303)


async def shift_report(request: Request) -> Response:
    site = current_site(request)
    shift = await get_in_site(request, Shift, request.path_params["id"], "shift")
    revenue = can(request, "cashier.revenue.read")
    if not revenue and not (shift.cashier_id == request.state.user.id and shift.status != "open"):
        raise Problem(403, _("Revenue figures of this shift are not yours to see."))
    report = await reports.shift_report(site, shift)
    return render(request, "cashier/report.html", {"site": site, "report": report, "base": base(request),
                                                   "shift": shift, **labels()})


async def review_queue(request: Request, errors: list[str] | None = None, status: int = 200) -> Response:
    site = current_site(request)
    shifts = await site_query(request, Shift).filter(status="pending_review").order_by("closed_at")
    people = {u.id: u for u in await User.filter(id__in=[s.cashier_id for s in shifts] or [0])}
    registers = {r.id: r for r in await site_query(request, Register)}
    waiting = await site_query(request, Approval).filter(status="pending").prefetch_related("entry").order_by("id")
    recent = await site_query(request, Shift).exclude(status="open").order_by("-id").limit(30)
    over = await reports.over_short(site)
    return render(request, "cashier/review.html", {
        "site": site, "base": base(request), "errors": errors or [], "people": people, "registers": registers,
        "shifts": [services.shift_out(s, site, show_revenue=True) for s in shifts],
        "approvals": [{"approval": a, "entry": services.entry_out(a.entry, site, a.status)} for a in waiting],
        "recent": [services.shift_out(s, site, show_revenue=True) for s in recent],
        "all_people": {u.id: u for u in await User.filter(id__in=[s.cashier_id for s in recent] or [0])},
        "over": over, **labels()}, status_code=status)


async def review_shift(request: Request) -> Response:
    site = current_site(request)
    shift = await get_in_site(request, Shift, request.path_params["id"], "shift")
    form = await form_strings(request, ["note", "version"])
    try:
        await services.review_shift(kernel(request), site, shift, actor_of(request), form["note"],
                                    int(form["version"]) if form["version"].isdigit() else -1)
    except Problem as problem:
        return await review_queue(request, problem_message(problem), status=problem.status)
    return RedirectResponse(base(request) + "/review", status_code=303)


async def decide_refund(request: Request) -> Response:
    site = current_site(request)
    entry = await get_in_site(request, Entry, request.path_params["id"], "transaction")
    form = await form_strings(request, ["decision", "note", "version"])
    try:
        await services.decide_refund(kernel(request), site, entry, actor_of(request), form["decision"] == "approve",
                                     form["note"], int(form["version"]) if form["version"].isdigit() else -1)
    except Problem as problem:
        return await review_queue(request, problem_message(problem), status=problem.status)
    return RedirectResponse(base(request) + "/review", status_code=303)


async def deposits_page(request: Request, errors: list[str] | None = None, status: int = 200,
                        form: dict | None = None) -> Response:
    site = current_site(request)
    deposited = DepositShift.all().values("shift_id")
    from tortoise.expressions import Subquery

    shifts = site_query(request, Shift).exclude(status="open").exclude(id__in=Subquery(deposited))
    mine_only = not can(request, "cashier.revenue.read")
    if mine_only:
        shifts = shifts.filter(cashier_id=request.state.user.id)
    shifts = await shifts.order_by("id").limit(200)
    people = {u.id: u for u in await User.filter(id__in=[s.cashier_id for s in shifts] or [0])}
    deposits = site_query(request, Deposit)
    if mine_only:
        deposits = deposits.filter(created_by_id=request.state.user.id)
    deposits = await deposits.order_by("-id").limit(30)
    return render(request, "cashier/deposits.html", {
        "site": site, "base": base(request), "errors": errors or [], "form": form or {}, "people": people,
        "shifts": [services.shift_out(s, site, show_revenue=True) for s in shifts],
        "deposits": [{"id": d.id, "bag_number": d.bag_number, "amount": format_money(d.amount, site.currency),
                      "created_at": d.created_at} for d in deposits],
        "denominations": denominations(site), "form_key": uuid.uuid4().hex}, status_code=status)


async def create_deposit(request: Request) -> Response:
    site = current_site(request)
    form = await request.form()
    strings = await form_strings(request, ["bag_number", "witness_username", "witness_password"])
    shift_ids = [int(v) for v in form.getlist("shift_ids") if str(v).isdigit()]
    try:
        deposit = await services.create_deposit(kernel(request), site, actor_of(request), shift_ids=shift_ids,
                                                bag_number=strings["bag_number"], count=await read_count(request, "bag"),
                                                witness_username=strings["witness_username"],
                                                witness_password=str(form.get("witness_password", "")))
    except Problem as problem:
        return await deposits_page(request, problem_message(problem), status=problem.status,
                                   form={"bag_number": strings["bag_number"],
                                         "witness_username": strings["witness_username"]})
    return RedirectResponse(f"{base(request)}/deposits/{deposit.id}", status_code=303)


async def deposit_report(request: Request) -> Response:
    from plugins.cashier.api import deposit_out

    site = current_site(request)
    deposit = await get_in_site(request, Deposit, request.path_params["id"], "deposit")
    if deposit.created_by_id != request.state.user.id and not can(request, "cashier.revenue.read"):
        raise Problem(403, _("Revenue figures of this shift are not yours to see."))
    data = await deposit_out(deposit, site)
    people = {u.username: u for u in await User.filter(username__in=[data["created_by"], data["witness"]])}
    return render(request, "cashier/deposit.html", {"site": site, "base": base(request), "deposit": data,
                                                    "people": people})


def routes():
    prefix = "/sites/{site}/cashier"
    work, review = "cashier.shift.work", "cashier.shift.review"
    return [
        page_route(f"{prefix}/", home, permission=work),
        page_route(f"{prefix}/open", open_shift, permission=work, methods=["POST"]),
        page_route(f"{prefix}/shifts/{{id:int}}/post", post_entry, permission=work, methods=["POST"]),
        page_route(f"{prefix}/transactions/{{id:int}}/reverse", reverse_entry, permission=work, methods=["POST"]),
        page_route(f"{prefix}/shifts/{{id:int}}/close", close_page, permission=work),
        page_route(f"{prefix}/shifts/{{id:int}}/close", close_shift, permission=work, methods=["POST"],
                   name="cashier.close_post"),
        page_route(f"{prefix}/shifts/{{id:int}}", shift_report, permission="cashier.shift.read"),
        page_route(f"{prefix}/review", review_queue, permission=review),
        page_route(f"{prefix}/shifts/{{id:int}}/review", review_shift, permission=review, methods=["POST"]),
        page_route(f"{prefix}/transactions/{{id:int}}/decision", decide_refund, permission=review, methods=["POST"]),
        page_route(f"{prefix}/deposits", deposits_page, permission="cashier.deposit.create"),
        page_route(f"{prefix}/deposits", create_deposit, permission="cashier.deposit.create", methods=["POST"],
                   name="cashier.deposit_post"),
        page_route(f"{prefix}/deposits/{{id:int}}", deposit_report, permission="cashier.shift.read"),
    ]
