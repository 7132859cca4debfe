"""Property fees (物業費收繳): schedules, billing runs, payments, arrears with age buckets."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import rfc3339
from core.entities.models import Site, Unit
from core.i18n import N_
from core.i18n import gettext as _
from core.money import format_money, parse_money, round_minor
from core.problems import Problem, invalid
from core.receipts import services as receipts
from plugins.resident.models import PAYMENT_METHODS, Bill, BillingRun, Case, FeeSchedule, Household, Payment

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
BUCKETS = (("0_30", 0, 30), ("31_60", 31, 60), ("61_90", 61, 90), ("90_plus", 91, None))
BATCH = 1000


def bucket_of(days: int) -> str:
    for name, low, high in BUCKETS:
        if days >= low and (high is None or days <= high):
            return name
    return BUCKETS[0][0]


def bill_out(bill: Bill, site: Site, **extra: Any) -> dict[str, Any]:
    return {"id": bill.id, "unit_id": bill.unit_id, "period": bill.period, "amount": format_money(bill.amount_minor, site.currency),
            "paid": format_money(bill.paid_minor, site.currency), "outstanding": format_money(bill.outstanding_minor, site.currency),
            "status": "paid" if bill.outstanding_minor == 0 else ("partial" if bill.paid_minor else "open"),
            "due_date": bill.due_date.isoformat(), "currency": site.currency, "version": bill.version, **extra}


def schedule_out(schedule: FeeSchedule, site: Site) -> dict[str, Any]:
    return {"id": schedule.id, "unit_kind": schedule.unit_kind, "fixed": format_money(schedule.fixed_minor, site.currency),
            "per_sqm": format_money(schedule.per_sqm_minor, site.currency), "due_day": schedule.due_day}


async def set_schedule(site: Site, data: dict[str, Any], actor: Actor) -> FeeSchedule:
    # A schedule may charge by area only (fixed 0) or a flat fee only (per_sqm 0); never a credit.
    fixed = parse_money(data["fixed"], site.currency, "fixed", allow_zero=True)
    per_sqm = parse_money(data.get("per_sqm") or "0", site.currency, "per_sqm", allow_zero=True)
    async with in_transaction():
        schedule = await FeeSchedule.get_or_none(site_id=site.id, unit_kind=data["unit_kind"])
        before = schedule_out(schedule, site) if schedule else None
        if schedule is None:
            schedule = await FeeSchedule.create(site_id=site.id, unit_kind=data["unit_kind"], fixed_minor=fixed,
                                                per_sqm_minor=per_sqm, due_day=data.get("due_day") or 15)
        else:
            schedule.fixed_minor, schedule.per_sqm_minor = fixed, per_sqm
            schedule.due_day = data.get("due_day") or schedule.due_day
            await schedule.save()
        await audit.record("resident.fee_schedule.set", actor=actor.user, site_id=site.id, object_type="resident.fee_schedule",
                           object_id=schedule.id, before=before, after=schedule_out(schedule, site),
                           client_address=actor.client_address)
    return schedule


def parse_period(period: str) -> tuple[int, int]:
    match = PERIOD.match(period or "")
    if not match:
        raise invalid("period", _("Give the period as YYYY-MM, e.g. 2026-11."))
    return int(match.group(1)), int(match.group(2))


async def billing_run(site: Site, period: str, actor: Actor) -> dict[str, Any]:
    """One bill per unit with a fee schedule for ``period``; bills that exist are kept, so
    running a period twice creates nothing new (the (unit, period) pair is unique)."""
    year, month = parse_period(period)
    schedules = {s.unit_kind: s for s in await FeeSchedule.filter(site_id=site.id)}
    if not schedules:
        raise Problem(409, _("Set a fee schedule before running the billing."))
    units = await Unit.filter(site_id=site.id, kind__in=list(schedules)).values_list("id", "kind")
    areas = dict(await Household.filter(site_id=site.id).values_list("unit_id", "area"))
    existing = set(await Bill.filter(site_id=site.id, period=period).values_list("unit_id", flat=True))
    bills = []
    for unit_id, kind in units:
        if unit_id in existing:
            continue
        schedule = schedules[kind]
        amount = schedule.fixed_minor + round_minor(Decimal(schedule.per_sqm_minor) * Decimal(areas.get(unit_id) or 0))
        if amount <= 0:
            continue
        day = min(schedule.due_day, 28)
        bills.append(Bill(site_id=site.id, unit_id=unit_id, period=period, amount_minor=amount,
                          outstanding_minor=amount, due_date=dt.date(year, month, day)))
    async with in_transaction():
        before = await Bill.filter(site_id=site.id, period=period).count()
        for start in range(0, len(bills), BATCH):
            await Bill.bulk_create(bills[start:start + BATCH], ignore_conflicts=True)
        created = await Bill.filter(site_id=site.id, period=period).count() - before
        run = await BillingRun.create(site_id=site.id, period=period, created_count=created, run_by=actor.user)
        await audit.record("resident.billing_run", actor=actor.user, site_id=site.id, object_type="resident.billing_run",
                           object_id=run.id, after={"period": period, "created": created}, client_address=actor.client_address)
    return {"id": run.id, "period": period, "created": created,
            "existing": len(existing) + (len(bills) - created), "created_at": rfc3339(run.created_at)}


async def fee_receipt_void_guard(receipt) -> Problem | None:
    """A fee payment cannot be undone here (there is no reversal of a fee payment), so its
    receipt is not voided: the receipt stays as true as the payment it records."""
    if receipt.source_type != "resident.payment":
        return None
    return Problem(409, _("Receipt %(number)s records a property-fee payment. A fee payment cannot be "
                          "reversed, so its receipt is not voided: it stays as the record of the money received.",
                          number=f"{receipt.number:06d}"))


async def pay(site: Site, bill: Bill, amount_text: str, method: str, actor: Actor) -> Payment:
    """Record a payment and issue its numbered receipt (series ``fees``) in one transaction:
    ``payment.receipt`` is the receipt."""
    amount = parse_money(amount_text, site.currency, "amount")
    if method not in PAYMENT_METHODS:
        raise invalid("method", _("Use one of: %(values)s.", values=", ".join(PAYMENT_METHODS)))
    if bill.outstanding_minor == 0:
        raise Problem(409, _("This bill is paid already."), current=bill_out(bill, site))
    if amount > bill.outstanding_minor:
        raise invalid("amount", _("More than is owed on this bill (%(owed)s).", owed=format_money(bill.outstanding_minor, site.currency)))
    async with in_transaction():
        updated = await Bill.filter(id=bill.id, version=bill.version).update(
            paid_minor=bill.paid_minor + amount, outstanding_minor=bill.outstanding_minor - amount,
            version=bill.version + 1)
        if not updated:
            await bill.refresh_from_db()
            raise Problem(409, _("Someone changed this bill since you read it. Reload and try again."),
                          current=bill_out(bill, site))
        payment = await Payment.create(site_id=site.id, bill_id=bill.id, amount_minor=amount, method=method,
                                       received_by=actor.user)
        unit_code = await Unit.filter(id=bill.unit_id).values_list("code", flat=True)
        receipt = await receipts.issue(
            site, actor, series=receipts.FEES_SERIES, series_label=N_("Property fees"), method=method,
            lines=[receipts.Line(code=f"fee-{bill.period}", quantity=1, unit_price=amount, name=_(
                "Property fee %(period)s, unit %(unit)s", period=bill.period, unit=unit_code[0] if unit_code else ""))],
            source_type="resident.payment", source_id=payment.id)
        await audit.record("resident.payment", actor=actor.user, site_id=site.id, object_type="resident.bill",
                           object_id=bill.id, after={"amount": format_money(amount, site.currency), "method": method,
                                                     "payment_id": payment.id, "receipt_id": receipt.id,
                                                     "receipt_number": receipt.number},
                           client_address=actor.client_address)
    await bill.refresh_from_db()
    payment.receipt = receipt
    return payment


async def arrears(site: Site, as_of: dt.date, limit: int = 50, after_id: int | None = None,
                  building: str = "") -> dict[str, Any]:
    """Unpaid bills past due on ``as_of``, oldest debt first by id, with totals per age bucket."""
    base = Bill.filter(site_id=site.id, outstanding_minor__gt=0, due_date__lt=as_of)
    if building:
        base = base.filter(unit__building=building)
    totals = {name: {"count": 0, "amount_minor": 0} for name, _low, _high in BUCKETS}
    for row in await base.annotate(n=Count("id"), total=Sum("outstanding_minor")).group_by("due_date").values(
            "due_date", "n", "total"):
        name = bucket_of((as_of - row["due_date"]).days)
        totals[name]["count"] += row["n"]
        totals[name]["amount_minor"] += int(row["total"] or 0)
    page = base.filter(id__gt=after_id) if after_id else base
    rows = await page.order_by("id").limit(limit + 1).values("id", "unit_id", "period", "amount_minor", "paid_minor",
                                                            "outstanding_minor", "due_date", "version")
    more = len(rows) > limit
    rows = rows[:limit]
    unit_ids = list({r["unit_id"] for r in rows})
    codes = dict(await Unit.filter(id__in=unit_ids).values_list("id", "code"))
    complaints = dict(await (Case.filter(unit_id__in=unit_ids, kind="complaint", task__is_open=True)
                             .annotate(n=Count("id")).group_by("unit_id").values_list("unit_id", "n")))
    items = []
    for row in rows:
        days = (as_of - row["due_date"]).days
        items.append({"bill_id": row["id"], "unit_id": row["unit_id"], "unit_code": codes.get(row["unit_id"], ""),
                      "period": row["period"], "amount": format_money(row["amount_minor"], site.currency),
                      "outstanding": format_money(row["outstanding_minor"], site.currency), "due_date": row["due_date"].isoformat(),
                      "days_overdue": days, "bucket": bucket_of(days),
                      "open_complaints": complaints.get(row["unit_id"], 0)})
    return {"as_of": as_of.isoformat(), "currency": site.currency, "items": items,
            "next_after": rows[-1]["id"] if more and rows else None,
            "buckets": {name: {"count": t["count"], "amount": format_money(t["amount_minor"], site.currency)} for name, t in totals.items()},
            "total": format_money(sum(t["amount_minor"] for t in totals.values()), site.currency)}
