"""Pages: the cashier's screen (open, fast entry, blind close), the supervisor's review
queue, deposits and printable reports. They call the same services as the API."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.i18n import N_
from core.i18n import gettext as _
from core.identity.models import User
from core.identity.sessions import Limits
from core.money import format_money
from core.web.templating import render
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web import form_keys
from core.web.forms import FormErrors, form_action, form_int
from core.problems import Problem
from core.tasks.types import SubjectPanel
from core.web.routing import page_route
from plugins.cashier import handovers, money, reports, sales, services
from plugins.cashier.models import (HANDOVER_KINDS, KINDS, METHODS, Approval, Deposit, DepositShift, Entry,
                                    FloatHandover, PriceItem, Register, Shift)

KIND_LABELS = {"sale": N_("Sale"), "refund": N_("Refund"), "paid_in": N_("Paid in"), "paid_out": N_("Paid out"),
               "float_gain": N_("Float handover overage"), "float_loss": N_("Float handover shortage")}
# "Shift open", not "Open": the merged catalogue has one "Open", a task's (待處理).
SHIFT_STATUS_LABELS = services.SHIFT_STATUS_LABELS
APPROVAL_STATUS_LABELS = {"pending": N_("Waiting for a decision"), "approved": N_("Approved"),
                          "rejected": N_("Rejected")}
METHOD_LABELS = {"cash": N_("Cash"), "card": N_("Card"), "mobile": N_("Mobile"), "voucher": N_("Voucher"),
                 "other": N_("Other")}


def kernel(request: Request):
    return request.app.state.tasks


def base(request: Request) -> str:
    return f"/sites/{current_site(request).code}/cashier"


def labels() -> dict:
    kinds = {k: _(KIND_LABELS[k]) for k in KINDS}
    methods = {m: _(METHOD_LABELS[m]) for m in METHODS}
    # Only the kinds a cashier posts are offered; the booked ones are named wherever shown.
    return {"kinds": list(kinds.items()), "methods": list(methods.items()),
            "kind_names": {**kinds, **{k: _(KIND_LABELS[k]) for k in HANDOVER_KINDS}},
            "method_names": methods, "shift_statuses": {k: _(v) for k, v in SHIFT_STATUS_LABELS.items()}}


async def task_panel(request: Request, task, subject) -> SubjectPanel | None:
    """The shift or the refund a supervisor's task is about, on the task's page: what
    to look at, and the way to the review queue where it is decided."""
    site = current_site(request)
    if subject.kind == "shift":
        shift = await Shift.get_or_none(id=subject.id, site_id=site.id)
        if shift is None:
            return None
        register = await Register.get_or_none(id=shift.register_id)
        return SubjectPanel(
            title=_("Shift %(id)s at %(register)s", id=shift.id, register=register.name if register else ""),
            url=f"{base(request)}/shifts/{shift.id}", template="cashier/_task_panel.html",
            context={"shift": services.shift_out(shift, site, show_revenue=can(request, "cashier.revenue.read")),
                     "status": _(SHIFT_STATUS_LABELS.get(shift.status, shift.status)),
                     "review_url": f"{base(request)}/review" if can(request, "cashier.shift.review") else ""})
    if subject.kind == "entry":
        entry = await Entry.get_or_none(id=subject.id, site_id=site.id)
        if entry is None:
            return None
        approval = await Approval.get_or_none(entry_id=entry.id)
        status = approval.status if approval else "pending"
        return SubjectPanel(
            title=_("Refund %(amount)s (entry %(id)s)", amount=format_money(entry.amount, site.currency), id=entry.id),
            url=f"{base(request)}/review", template="cashier/_task_panel.html",
            context={"entry": services.entry_out(entry, site, status),
                     "status": _(APPROVAL_STATUS_LABELS.get(status, status)),
                     "review_url": f"{base(request)}/review" if can(request, "cashier.shift.review") else ""})
    return None


def denominations(site) -> list[dict]:
    return [{"minor": minor, "label": money.denomination_label(minor, site.currency)}
            for minor in money.site_denominations(site)]


def count_fields(request: Request, prefix: str) -> list[str]:
    """The form fields of a denomination grid (``cashier/_count.html``)."""
    return [f"{prefix}_{denomination['label']}" for denomination in denominations(current_site(request))]


def count_of(request: Request, values: dict[str, str], prefix: str) -> dict[str, str]:
    """A grid's filled lines as the services' count: {denomination label: pieces}."""
    return {name.removeprefix(f"{prefix}_"): values[name] for name in count_fields(request, prefix) if values[name]}


def count_aliases(request: Request, prefix: str, field: str) -> dict[str, str]:
    """The services name a bad count line ``counted.1000``; the grid's field is ``count_1000``."""
    return {f"{field}.{name.removeprefix(prefix + '_')}": name for name in count_fields(request, prefix)}


async def pending_handovers(site, user) -> list[dict]:
    """The float handovers waiting that this cashier left or took over, with who and where."""
    waiting = await handovers.pending_for(site.id, user.id).order_by("id")
    people = {u.id: u for u in await User.filter(
        id__in=[i for h in waiting for i in (h.from_cashier_id, h.to_cashier_id)] or [0])}
    registers = {r.id: r.name for r in await Register.filter(id__in=[h.register_id for h in waiting] or [0])}
    return [{**handovers.handover_out(h, site), "register": registers.get(h.register_id, ""),
             "from_name": people[h.from_cashier_id].display_name or people[h.from_cashier_id].username,
             "to_name": people[h.to_cashier_id].display_name or people[h.to_cashier_id].username,
             "mine_to_sign": h.from_cashier_id == user.id, "form_key": uuid.uuid4().hex} for h in waiting]


async def home(request: Request, errors: FormErrors | None = None, values: dict | None = None,
               status: int = 200) -> Response:
    site, user = current_site(request), request.state.user
    shift = await site_query(request, Shift).filter(cashier_id=user.id, status="open").first()
    context = {"site": site, "errors": errors or FormErrors(), "values": values or {},
               "denominations": denominations(site), "base": base(request), "form_key": uuid.uuid4().hex,
               "handovers": await pending_handovers(site, user), **labels()}
    if shift is None:
        registers = await site_query(request, Register).filter(active=True).order_by("name")
        # What each register's last shift left, and which are in use: one query each for
        # all the registers, not two per register.
        ids = [register.id for register in registers]
        previous_shifts = await services.previous_shifts(ids)
        busy = set(await Shift.filter(open_register_id__in=ids).values_list("open_register_id", flat=True))
        rows = []
        for register in registers:
            previous = previous_shifts.get(register.id)
            rows.append({"register": register, "busy": register.id in busy,
                         "float_left": format_money(previous.float_left or 0, site.currency) if previous else None,
                         "float_count": money.count_out(previous.float_left_count, site.currency) if previous else {}})
        context["registers"] = rows
        return render(request, "cashier/open.html", context, status_code=status)
    from plugins.cashier import sales_pages

    context.update({"price_items": [sales.item_out(item, site) for item in await site_query(request, PriceItem)
                                    .filter(active=True).order_by("code")],
                    "sale_lines": range(sales_pages.SALE_LINES)})
    refund_of = form_int(request.query_params, "refund", lenient=True)
    if not values and refund_of is not None:
        # The "Refund" link of a sale: the form names the sale and its method.
        sale = await site_query(request, Entry).get_or_none(id=refund_of, kind="sale", is_reversal=False)
        if sale is not None:
            context["values"] = {"kind": "refund", "sale_id": str(sale.id), "method": sale.method}
    entries = await Entry.filter(shift_id=shift.id).order_by("-id").limit(50)
    statuses = dict(await Approval.filter(entry__shift_id=shift.id).values_list("entry_id", "status"))
    from core.receipts.models import Receipt

    receipts = dict(await Receipt.filter(site_id=site.id, source_type="cashier.entry",
                                         source_id__in=[e.id for e in entries] or [0]).values_list("source_id", "id"))
    context.update({"shift": shift, "register": await Register.get(id=shift.register_id), "receipts": receipts,
                    "entries": [services.entry_out(e, site, statuses.get(e.reverses_id or e.id)) for e in entries],
                    "reversed": set(await Entry.filter(shift_id=shift.id, is_reversal=True)
                                    .values_list("reverses_id", flat=True))})
    return render(request, "cashier/shift.html", context, status_code=status)


def home_again(request: Request):
    """Re-shows the cashier's screen with a form's errors (``form_action``'s ``page``)."""
    return lambda errors, values, status: home(request, errors, values, status)


async def open_shift(request: Request) -> Response:
    site = current_site(request)

    async def act(form: dict) -> None:
        register = await get_in_site(request, Register, form["register_id"] or 0, "register")
        # A site that counts no notes and coins enters the float as an amount.
        counted = count_of(request, form, "open") if denominations(site) else (form["opening_amount"] or "0")
        await services.open_shift(kernel(request), site, register, actor_of(request), counted)

    return await form_keys.once(request, lambda: form_action(
        request, fields=["register_id", "opening_amount", *count_fields(request, "open")], act=act,
        page=home_again(request), success_url=base(request) + "/",
        aliases={**count_aliases(request, "open", "opening_count"), "opening_count": "opening_amount"}))


async def confirm_handover(request: Request) -> Response:
    """The cashier who left the float signs its handover with their password, on their own
    screen or on the next cashier's."""
    site = current_site(request)
    handover = await get_in_site(request, FloatHandover, request.path_params["id"], "float handover")
    raw = await request.form()

    async def act(form: dict) -> None:
        await handovers.confirm(kernel(request), site, handover, actor_of(request),
                                str(raw.get("password", "")),  # as typed: spaces may belong to it
                                form_int(form, "version", required=True, hidden=True),
                                Limits.of(request.app.state.settings))

    # One form per waiting handover: the message goes on top, and the password is typed again.
    return await form_keys.once(request, lambda: form_action(
        request, fields=["version"], act=act, beside=(),
        page=lambda errors, values, status: home(request, errors, None, status), success_url=base(request) + "/"))


async def post_entry(request: Request) -> Response:
    site = current_site(request)
    shift = await get_in_site(request, Shift, request.path_params["id"], "shift")

    async def act(form: dict) -> None:
        await services.post_entry(
            kernel(request), site, shift, actor_of(request), kind=form["kind"], amount=form["amount"],
            method=form["method"], reference=form["reference"][:100], note=form["note"][:500],
            key=form["form_key"][:200] or None, sale_id=form_int(form, "sale_id"))

    return await form_keys.once(request, lambda: form_action(
        request, fields=["kind", "amount", "method", "reference", "note", "sale_id", "form_key"], act=act,
        page=home_again(request), success_url=base(request) + "/"))


async def reverse_entry(request: Request) -> Response:
    site = current_site(request)
    entry = await get_in_site(request, Entry, request.path_params["id"], "transaction")

    async def act(form: dict) -> None:
        await services.reverse_entry(kernel(request), site, entry, actor_of(request), form["reason"][:500],
                                     key=form["form_key"][:200] or None)

    # One reason field per entry row: the message goes on top, not beside every row.
    return await form_keys.once(request, lambda: form_action(
        request, fields=["reason", "form_key"], act=act, beside=(),
        page=lambda errors, values, status: home(request, errors, None, status), success_url=base(request) + "/"))


async def close_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                     status: int = 200) -> Response:
    site = current_site(request)
    shift = await get_in_site(request, Shift, request.path_params["id"], "shift")
    if shift.cashier_id != request.state.user.id:
        raise Problem(403, _("Only the shift's cashier closes it."))
    if shift.status != "open":
        return RedirectResponse(f"{base(request)}/shifts/{shift.id}", status_code=303)
    return render(request, "cashier/close.html", {
        "site": site, "shift": shift, "denominations": denominations(site), "errors": errors or FormErrors(),
        "values": values or {}, "base": base(request), "form_key": uuid.uuid4().hex}, status_code=status)


async def close_shift(request: Request) -> Response:
    site = current_site(request)
    shift = await get_in_site(request, Shift, request.path_params["id"], "shift")

    async def act(form: dict) -> None:
        version = form_int(form, "version", required=True, hidden=True)
        try:
            await services.close_shift(kernel(request), site, shift, actor_of(request), count_of(request, form, "count"),
                                       form["float_left"] or "0", version)
        except Problem as problem:
            if not (problem.status == 409 and shift.status != "open"):
                raise  # closed already (a second click): its report is what the cashier wants

    return await form_keys.once(request, lambda: form_action(
        request, fields=["float_left", "version", *count_fields(request, "count")], act=act,
        page=lambda errors, values, status: close_page(request, errors, values, status),
        success_url=f"{base(request)}/shifts/{shift.id}", aliases=count_aliases(request, "count", "counted")))


async def shift_report(request: Request) -> Response:
    site = current_site(request)
    shift = await get_in_site(request, Shift, request.path_params["id"], "shift")
    revenue = can(request, "cashier.revenue.read")
    if not revenue and not (shift.cashier_id == request.state.user.id and shift.status != "open"):
        raise Problem(403, _("Revenue figures of this shift are not yours to see."))
    report = await reports.shift_report(site, shift)
    return render(request, "cashier/report.html", {"site": site, "report": report, "base": base(request),
                                                   "shift": shift, **labels()})


async def review_queue(request: Request, errors: FormErrors | None = None, status: int = 200) -> Response:
    site = current_site(request)
    shifts = await site_query(request, Shift).filter(status="pending_review").order_by("closed_at")
    people = {u.id: u for u in await User.filter(id__in=[s.cashier_id for s in shifts] or [0])}
    registers = {r.id: r for r in await site_query(request, Register)}
    waiting = await site_query(request, Approval).filter(status="pending").prefetch_related("entry").order_by("id")
    recent = await site_query(request, Shift).exclude(status="open").order_by("-id").limit(30)
    over = await reports.over_short(site)
    return render(request, "cashier/review.html", {
        "site": site, "base": base(request), "errors": errors or FormErrors(), "people": people,
        "registers": registers,
        "shifts": [services.shift_out(s, site, show_revenue=True) for s in shifts],
        "approvals": [{"approval": a, "entry": services.entry_out(a.entry, site, a.status)} for a in waiting],
        "recent": [services.shift_out(s, site, show_revenue=True) for s in recent],
        "all_people": {u.id: u for u in await User.filter(id__in=[s.cashier_id for s in recent] or [0])},
        "over": over, **labels()}, status_code=status)


def review_again(request: Request):
    # The queue has one form per row: every message goes on top (``beside=()``).
    return lambda errors, values, status: review_queue(request, errors, status)


async def review_shift(request: Request) -> Response:
    site = current_site(request)
    shift = await get_in_site(request, Shift, request.path_params["id"], "shift")

    async def act(form: dict) -> None:
        await services.review_shift(kernel(request), site, shift, actor_of(request), form["note"],
                                    form_int(form, "version", required=True, hidden=True))

    return await form_action(request, fields=["note", "version"], act=act, beside=(), page=review_again(request),
                             success_url=base(request) + "/review")


async def decide_refund(request: Request) -> Response:
    site = current_site(request)
    entry = await get_in_site(request, Entry, request.path_params["id"], "transaction")

    async def act(form: dict) -> None:
        await services.decide_refund(kernel(request), site, entry, actor_of(request), form["decision"] == "approve",
                                     form["note"], form_int(form, "version", required=True, hidden=True))

    return await form_action(request, fields=["decision", "note", "version"], act=act, beside=(),
                             page=review_again(request), success_url=base(request) + "/review")


async def deposits_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                        status: int = 200) -> Response:
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
        "site": site, "base": base(request), "errors": errors or FormErrors(), "values": values or {},
        "people": people,
        "shifts": [services.shift_out(s, site, show_revenue=True) for s in shifts],
        "deposits": [{"id": d.id, "bag_number": d.bag_number, "amount": format_money(d.amount, site.currency),
                      "created_at": d.created_at} for d in deposits],
        "denominations": denominations(site), "form_key": uuid.uuid4().hex}, status_code=status)


async def create_deposit(request: Request) -> Response:
    site = current_site(request)
    raw = await request.form()

    async def act(form: dict) -> Deposit:
        return await services.create_deposit(
            kernel(request), site, actor_of(request),
            shift_ids=[form_int(str(v), "shift_ids", required=True) for v in raw.getlist("shift_ids")],
            bag_number=form["bag_number"], count=count_of(request, form, "bag"), witness_username=form["witness_username"],
            witness_password=str(raw.get("witness_password", "")),  # as typed: spaces may belong to it
            throttle=Limits.of(request.app.state.settings))

    async def again(errors: FormErrors, values: dict, status: int) -> Response:
        # The shifts ticked stay ticked; the witness types the password again.
        kept = {**values, "shift_ids": [str(v) for v in raw.getlist("shift_ids")]}
        return await deposits_page(request, errors, kept, status)

    return await form_keys.once(request, lambda: form_action(
        request, fields=["bag_number", "witness_username", "shift_ids", *count_fields(request, "bag")], act=act,
        page=again, success_url=lambda deposit: f"{base(request)}/deposits/{deposit.id}",
        aliases=count_aliases(request, "bag", "count")))


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
    from plugins.cashier import sales_pages

    prefix = "/sites/{site}/cashier"
    work, review = "cashier.shift.work", "cashier.shift.review"
    return [
        page_route(f"{prefix}/", home, permission=work),
        page_route(f"{prefix}/open", open_shift, permission=work, methods=["POST"]),
        page_route(f"{prefix}/shifts/{{id:int}}/post", post_entry, permission=work, methods=["POST"]),
        page_route(f"{prefix}/handovers/{{id:int}}/confirm", confirm_handover, permission=work, methods=["POST"]),
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
        *sales_pages.routes(),
    ]
