"""JSON routes of the cashier: /api/v1/sites/{site}/cashier/..."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.clock import local_today, rfc3339
from core.identity.models import User
from core.identity.sessions import Limits
from core.money import format_money
from core.web.access import actor_of, current_site, get_in_site, site_query
from core.web.api import CSV, XLSX, api_route
from tortoise.expressions import Q
from core.web.pagination import paginate, paginate_equal
from core.web.responses import Page
from core.problems import Problem, invalid
from core.i18n import gettext as _
from core.receipts.services import receipt_out
from plugins.cashier import handovers, money, reports, sales, services
from plugins.cashier.models import (Approval, Deposit, DepositShift, Difference, Entry, FloatHandover, PriceItem,
                                    Register, Shift)
from plugins.cashier.schemas import (ApprovalOut, CloseIn, DailyOut, DailyQuery, DecisionIn, DepositIn, DepositOut,
                                     EntryIn, EntryOut, HandoverConfirmIn, HandoverOut, HandoverQuery,
                                     OverShortOut, OverShortQuery, PageQuery, PriceItemIn, PriceItemOut,
                                     PriceItemPatch, PriceItemQuery, SaleIn, SaleOut,
                                     ReconciliationOut, RegisterIn, RegisterOut, ReportQuery, ReverseIn, ReviewIn,
                                     SettlementIn, SettlementOut, ShiftIn, ShiftOut, ShiftQuery, ShiftReportOut)

PREFIX = "/api/v1/sites/{site}/cashier"
REVENUE = "cashier.revenue.read"


def kernel(request: Request):
    return request.app.state.tasks


def sees_revenue(request: Request, shift: Shift) -> bool:
    """Revenue figures: the shift's own cashier once it is closed; supervisors and managers always."""
    if REVENUE in request.state.permissions:
        return True
    return shift.cashier_id == request.state.user.id and shift.status != "open"


def show_shift(request: Request, shift: Shift) -> dict:
    site = current_site(request)
    return services.shift_out(shift, site, show_revenue=sees_revenue(request, shift))


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    return key.strip()[:200] if key else None


async def _shift(request: Request) -> Shift:
    return await get_in_site(request, Shift, request.path_params["id"], "shift")


async def _entry(request: Request) -> Entry:
    return await get_in_site(request, Entry, request.path_params["id"], "transaction")


# --- Denominations and registers -----------------------------------------------------------


async def denominations(request: Request) -> list[str]:
    """The site's notes and coins, largest first."""
    site = current_site(request)
    return [money.denomination_label(minor, site.currency) for minor in money.site_denominations(site)]


def register_out(register: Register) -> dict:
    return {"id": register.id, "name": register.name, "active": register.active, "version": register.version}


async def list_registers(request: Request) -> Page[RegisterOut]:
    registers = await site_query(request, Register).order_by("name")
    return {"items": [register_out(r) for r in registers], "next_cursor": None}


async def create_register(request: Request, body: RegisterIn) -> RegisterOut:
    """Add a register (till) to the site."""
    return register_out(await services.create_register(current_site(request), body.name, actor_of(request)))


# --- Shifts --------------------------------------------------------------------------------


async def list_shifts(request: Request, query: ShiftQuery) -> Page[ShiftOut]:
    """Shifts, newest first; revenue figures only for those who may see them."""
    shifts = site_query(request, Shift)
    for name in ("status", "register_id", "cashier_id"):
        if getattr(query, name) is not None:
            shifts = shifts.filter(**{name: getattr(query, name)})
    return await paginate(shifts, query, lambda shift: show_shift(request, shift), descending=True)


async def open_shift(request: Request, body: ShiftIn) -> ShiftOut:
    """Open a shift on a register with the float counted by denomination."""
    site = current_site(request)
    register = await site_query(request, Register).get_or_none(id=body.register_id)
    if register is None:
        raise invalid("register_id", _("No register %(id)s here.", id=body.register_id))
    shift = await services.open_shift(kernel(request), site, register, actor_of(request), body.opening_count)
    return show_shift(request, shift)


async def get_shift(request: Request) -> ShiftOut:
    shift = await _shift(request)
    data = show_shift(request, shift)
    if shift.status == "open" and REVENUE in request.state.permissions and shift.cashier_id != request.state.user.id:
        data["expected_cash"] = format_money(await services.expected_cash(shift), current_site(request).currency)
    return data


async def close_shift(request: Request, body: CloseIn) -> ShiftOut:
    """Blind close: counted drawer and float left in; expected, difference and takings out."""
    site = current_site(request)
    shift = await services.close_shift(kernel(request), site, await _shift(request), actor_of(request), body.counted,
                                       body.float_left, body.version)
    return services.shift_out(shift, site, show_revenue=True)


async def review_shift(request: Request, body: ReviewIn) -> ShiftOut:
    """A supervisor (not the shift's cashier) reviews a shift closed with a difference."""
    site = current_site(request)
    shift = await services.review_shift(kernel(request), site, await _shift(request), actor_of(request), body.note,
                                        body.version)
    return services.shift_out(shift, site, show_revenue=True)


async def shift_report(request: Request, query: ReportQuery) -> ShiftReportOut | Response:
    """The shift report: totals by method, every entry, counts, over/short, float, deposits."""
    site, shift = current_site(request), await _shift(request)
    if not sees_revenue(request, shift):
        raise Problem(403, _("Revenue figures of this shift are not yours to see."))
    report = await reports.shift_report(site, shift)
    filename = f"shift-{shift.id}"
    if query.format == "csv":
        return Response("\ufeff" + reports.report_csv(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})
    if query.format == "xlsx":
        return Response(reports.report_xlsx(report),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'})
    return JSONResponse(report)  # built from the models above; skips re-validating thousands of entries


# --- Float handovers ----------------------------------------------------------------------


async def list_handovers(request: Request, query: HandoverQuery) -> Page[HandoverOut]:
    """Float handovers between shifts, newest first: pending ones wait for the cashier who
    left the float."""
    site = current_site(request)
    found = site_query(request, FloatHandover)
    if query.status is not None:
        found = found.filter(status=query.status)
    if query.cashier_id is not None:
        found = found.filter(Q(from_cashier_id=query.cashier_id) | Q(to_cashier_id=query.cashier_id))
    return await paginate(found, query, lambda handover: handovers.handover_out(handover, site), descending=True)


async def get_handover(request: Request) -> HandoverOut:
    handover = await get_in_site(request, FloatHandover, request.path_params["id"], "float handover")
    return handovers.handover_out(handover, current_site(request))


async def confirm_handover(request: Request, body: HandoverConfirmIn) -> HandoverOut:
    """The cashier who left the float signs its handover with their password (Idempotency-Key
    required); a difference is booked in their shift's ledger."""
    site = current_site(request)
    handover = await get_in_site(request, FloatHandover, request.path_params["id"], "float handover")
    handover = await handovers.confirm(kernel(request), site, handover, actor_of(request), body.password,
                                       body.version, Limits.of(request.app.state.settings))
    return handovers.handover_out(handover, site)


# --- Ledger --------------------------------------------------------------------------------


async def _entry_response(request: Request, entry: Entry) -> dict:
    site = current_site(request)
    approval = await Approval.get_or_none(entry_id=entry.reverses_id or entry.id)
    return services.entry_out(entry, site, approval.status if approval else None)


async def list_transactions(request: Request, query: PageQuery) -> Page[EntryOut]:
    shift = await _shift(request)
    if shift.cashier_id != request.state.user.id and REVENUE not in request.state.permissions:
        raise Problem(403, _("Revenue figures of this shift are not yours to see."))
    site = current_site(request)
    statuses = dict(await Approval.filter(entry__shift_id=shift.id).values_list("entry_id", "status"))
    return await paginate_equal(Entry, services.ENTRY_COLUMNS, query,
                                lambda e: services.entry_out(e, site, statuses.get(e["reverses_id"] or e["id"])),
                                site_id=site.id, equal={"shift_id": shift.id})


async def post_transaction(request: Request, body: EntryIn) -> EntryOut:
    """Append a sale, refund, paid-in or paid-out (Idempotency-Key required)."""
    entry, _created = await services.post_entry(kernel(request), current_site(request), await _shift(request),
                                                actor_of(request), key=idempotency_key(request), **body.model_dump())
    return await _entry_response(request, entry)


async def get_transaction(request: Request) -> EntryOut:
    entry = await _entry(request)
    shift = await Shift.get(id=entry.shift_id)
    if shift.cashier_id != request.state.user.id and REVENUE not in request.state.permissions:
        raise Problem(403, _("Revenue figures of this shift are not yours to see."))
    approval = await Approval.get_or_none(entry_id=entry.reverses_id or entry.id)
    return services.entry_out(entry, current_site(request), approval.status if approval else None)


async def reverse_transaction(request: Request, body: ReverseIn) -> EntryOut:
    """A new entry that cancels the first, linked to it, with the reason."""
    entry, _created = await services.reverse_entry(kernel(request), current_site(request), await _entry(request),
                                                   actor_of(request), body.reason, key=idempotency_key(request))
    return await _entry_response(request, entry)


async def decide_transaction(request: Request, body: DecisionIn) -> ApprovalOut:
    """A supervisor approves or rejects a refund that waits; only an approved one counts."""
    approval = await services.decide_refund(kernel(request), current_site(request), await _entry(request),
                                            actor_of(request), body.approve, body.note, body.version)
    return services.approval_out(approval)


# --- Price list and itemised sales ---------------------------------------------------------


async def list_price_items(request: Request, query: PriceItemQuery) -> Page[PriceItemOut]:
    """The site's price list (minibar, linen, services), by id."""
    site = current_site(request)
    items = site_query(request, PriceItem)
    if query.category is not None:
        items = items.filter(category=query.category)
    if query.active is not None:
        items = items.filter(active=query.active)
    return await paginate(items, query, lambda item: sales.item_out(item, site))


async def create_price_item(request: Request, body: PriceItemIn) -> PriceItemOut:
    """Add an item to the price list (the price as a money string; a JSON number is 422)."""
    site = current_site(request)
    return sales.item_out(await sales.create_item(site, actor_of(request), body.model_dump()), site)


async def get_price_item(request: Request) -> PriceItemOut:
    item = await get_in_site(request, PriceItem, request.path_params["id"], "price list item")
    return sales.item_out(item, current_site(request))


async def update_price_item(request: Request, body: PriceItemPatch) -> PriceItemOut:
    """Change an item: name, category, price, tax flag, active (with the version read)."""
    site = current_site(request)
    item = await get_in_site(request, PriceItem, request.path_params["id"], "price list item")
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    return sales.item_out(await sales.update_item(site, item, actor_of(request), changes, body.version), site)


async def post_sale(request: Request, body: SaleIn) -> SaleOut:
    """An itemised sale (Idempotency-Key required): the ledger sale and its numbered
    receipt in one transaction; cash gives change for what was tendered."""
    site = current_site(request)
    entry, receipt, _created = await sales.post_sale(
        kernel(request), site, await _shift(request), actor_of(request),
        lines=[line.model_dump() for line in body.lines], method=body.method, tendered=body.tendered,
        key=idempotency_key(request))
    shown = receipt_out(receipt)
    return {"entry": await _entry_response(request, entry), "receipt": shown, "total": shown["total"],
            "tendered": shown["tendered"], "change": shown["change"]}


# --- Differences, deposits, reports --------------------------------------------------------


async def over_short(request: Request, query: OverShortQuery) -> OverShortOut:
    """Overages handed in and shortages owed, per cashier; totals kept apart."""
    if REVENUE not in request.state.permissions:
        if query.cashier_id not in (None, request.state.user.id):
            raise Problem(403, _("Only supervisors see other cashiers' differences."))
        query.cashier_id = request.state.user.id
    return await reports.over_short(current_site(request), query.cashier_id)


async def settle(request: Request, body: SettlementIn) -> SettlementOut:
    """Record a payment towards a shortage the cashier owes."""
    site = current_site(request)
    difference = await get_in_site(request, Difference, request.path_params["id"], "difference")
    settlement = await services.settle_shortage(site, difference, actor_of(request), body.amount, body.method, body.note)
    await difference.refresh_from_db()
    return {"id": settlement.id, "difference": reports.difference_out(difference, site),
            "amount": format_money(settlement.amount, site.currency), "method": settlement.method}


#: The columns ``deposits_out`` reads of a deposit: the list fetches exactly these as plain
#: rows (``core.rows``).
DEPOSIT_COLUMNS = ("id", "bag_number", "amount", "count", "created_by_id", "witness_id", "created_at", "witnessed_at")


async def deposits_out(deposits: list[Deposit] | list[dict], site) -> list[dict]:
    """Deposits (models or plain rows of ``DEPOSIT_COLUMNS``) as the API shows them, with
    their shifts and people read in one query each for all of them, not per deposit."""
    rows = [d if isinstance(d, dict) else {name: getattr(d, name) for name in DEPOSIT_COLUMNS} for d in deposits]
    if not rows:
        return []
    shift_ids: dict[int, list[int]] = {row["id"]: [] for row in rows}
    for deposit_id, shift_id in await (DepositShift.filter(deposit_id__in=list(shift_ids)).order_by("shift_id")
                                       .values_list("deposit_id", "shift_id")):
        shift_ids[deposit_id].append(shift_id)
    people = {row[key] for row in rows for key in ("created_by_id", "witness_id")}
    names = dict(await User.filter(id__in=list(people)).values_list("id", "username"))
    return [{"id": row["id"], "bag_number": row["bag_number"], "amount": format_money(row["amount"], site.currency),
             "count": money.count_out(row["count"], site.currency), "shift_ids": shift_ids[row["id"]],
             "created_by": names[row["created_by_id"]], "witness": names[row["witness_id"]],
             "created_at": rfc3339(row["created_at"]), "witnessed_at": rfc3339(row["witnessed_at"])}
            for row in rows]


async def deposit_out(deposit: Deposit, site) -> dict:
    return (await deposits_out([deposit], site))[0]


async def create_deposit(request: Request, body: DepositIn) -> DepositOut:
    """Put closed shifts' takings in a numbered bag, counted and witnessed."""
    site = current_site(request)
    deposit = await services.create_deposit(kernel(request), site, actor_of(request), **body.model_dump(),
                                            throttle=Limits.of(request.app.state.settings))
    return await deposit_out(deposit, site)


async def list_deposits(request: Request, query: PageQuery) -> Page[DepositOut]:
    site = current_site(request)
    page = await paginate_equal(Deposit, DEPOSIT_COLUMNS, query, lambda d: d, site_id=site.id, equal={},
                                descending=True)
    page["items"] = await deposits_out(page["items"], site)
    return page


async def get_deposit(request: Request) -> DepositOut:
    return await deposit_out(await get_in_site(request, Deposit, request.path_params["id"], "deposit"),
                             current_site(request))


async def daily(request: Request, query: DailyQuery) -> DailyOut:
    """The site's day: shifts closed, net by method, takings, over/short, deposits."""
    site = current_site(request)
    if query.date is None:
        query.date = local_today(site)
    return await reports.daily_summary(site, query.date)


async def reconciliation(request: Request) -> ReconciliationOut:
    """Recompute every closed shift from its ledger; list mismatches."""
    return await reports.reconcile(current_site(request))


def routes():
    money_post = dict(method="POST", idempotency_required=True, status_code=201, tags=["cashier"])
    read = dict(permission="cashier.shift.read", tags=["cashier"])
    return [
        api_route(f"{PREFIX}/denominations", denominations, response=list[str], **read),
        api_route(f"{PREFIX}/registers", list_registers, response=Page[RegisterOut], **read),
        api_route(f"{PREFIX}/registers", create_register, method="POST", permission="cashier.register.manage",
                  body=RegisterIn, response=RegisterOut, status_code=201, tags=["cashier"]),
        api_route(f"{PREFIX}/shifts", list_shifts, query=ShiftQuery, response=Page[ShiftOut], **read),
        api_route(f"{PREFIX}/shifts", open_shift, permission="cashier.shift.work", body=ShiftIn, response=ShiftOut,
                  **money_post),
        api_route(f"{PREFIX}/shifts/{{id:int}}", get_shift, response=ShiftOut, **read),
        api_route(f"{PREFIX}/shifts/{{id:int}}/transactions", list_transactions, query=PageQuery, response=Page[EntryOut], **read),
        api_route(f"{PREFIX}/shifts/{{id:int}}/transactions", post_transaction, permission="cashier.shift.work",
                  body=EntryIn, response=EntryOut, **money_post),
        api_route(f"{PREFIX}/shifts/{{id:int}}/sales", post_sale, permission="cashier.shift.work", body=SaleIn,
                  response=SaleOut, **money_post),
        api_route(f"{PREFIX}/price-list", list_price_items, query=PriceItemQuery, response=Page[PriceItemOut], **read),
        api_route(f"{PREFIX}/price-list", create_price_item, method="POST", permission="cashier.price.manage",
                  body=PriceItemIn, response=PriceItemOut, status_code=201, tags=["cashier"]),
        api_route(f"{PREFIX}/price-list/{{id:int}}", get_price_item, response=PriceItemOut, **read),
        api_route(f"{PREFIX}/price-list/{{id:int}}", update_price_item, method="PATCH",
                  permission="cashier.price.manage", body=PriceItemPatch, response=PriceItemOut, tags=["cashier"]),
        api_route(f"{PREFIX}/shifts/{{id:int}}/close", close_shift, permission="cashier.shift.work", body=CloseIn,
                  response=ShiftOut, **{**money_post, "status_code": 200}),
        api_route(f"{PREFIX}/shifts/{{id:int}}/review", review_shift, method="POST",
                  permission="cashier.shift.review", body=ReviewIn, response=ShiftOut, tags=["cashier"]),
        api_route(f"{PREFIX}/shifts/{{id:int}}/report", shift_report, query=ReportQuery, response=ShiftReportOut,
                  downloads=(CSV, XLSX), **read),
        api_route(f"{PREFIX}/handovers", list_handovers, query=HandoverQuery, response=Page[HandoverOut], **read),
        api_route(f"{PREFIX}/handovers/{{id:int}}", get_handover, response=HandoverOut, **read),
        api_route(f"{PREFIX}/handovers/{{id:int}}/confirm", confirm_handover, permission="cashier.shift.work",
                  body=HandoverConfirmIn, response=HandoverOut, **{**money_post, "status_code": 200}),
        api_route(f"{PREFIX}/transactions/{{id:int}}", get_transaction, response=EntryOut, **read),
        api_route(f"{PREFIX}/transactions/{{id:int}}/reverse", reverse_transaction, permission="cashier.shift.work",
                  body=ReverseIn, response=EntryOut, **money_post),
        api_route(f"{PREFIX}/transactions/{{id:int}}/decision", decide_transaction, method="POST",
                  permission="cashier.shift.review", body=DecisionIn, response=ApprovalOut, tags=["cashier"]),
        api_route(f"{PREFIX}/over-short", over_short, query=OverShortQuery, response=OverShortOut, **read),
        api_route(f"{PREFIX}/differences/{{id:int}}/settlements", settle, permission="cashier.shift.review",
                  body=SettlementIn, response=SettlementOut, **money_post),
        api_route(f"{PREFIX}/deposits", list_deposits, query=PageQuery, response=Page[DepositOut], permission=REVENUE,
                  tags=["cashier"]),
        api_route(f"{PREFIX}/deposits", create_deposit, permission="cashier.deposit.create", body=DepositIn,
                  response=DepositOut, **money_post),
        api_route(f"{PREFIX}/deposits/{{id:int}}", get_deposit, response=DepositOut, permission=REVENUE, tags=["cashier"]),
        api_route(f"{PREFIX}/daily", daily, query=DailyQuery, response=DailyOut, permission=REVENUE, tags=["cashier"]),
        api_route(f"{PREFIX}/reconciliation", reconciliation, response=ReconciliationOut, permission=REVENUE, tags=["cashier"]),
    ]
