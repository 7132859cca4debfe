"""Shift report (JSON, CSV, XLSX), over/short history, daily summary, reconciliation."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Subquery
from tortoise.functions import Count, Sum

from core.clock import rfc3339
from core.entities.models import Site
from core.exports import neutralise
from core.i18n import code_label
from core.i18n import gettext as _
from core.identity.models import User
from core.money import format_money
from core.rows import fetch as rows_of
from plugins.cashier import money
from plugins.cashier.models import (HANDOVER_KINDS, KINDS, METHODS, Approval, Deposit, DepositShift, Difference, Entry,
                                    Register, Shift)
from plugins.cashier.services import ENTRY_COLUMNS, entry_out, ledger_totals, shift_out


async def shift_report(site: Site, shift: Shift) -> dict[str, Any]:
    fmt = lambda value: format_money(value, site.currency)  # noqa: E731
    totals = await ledger_totals(shift.id)
    entries = await rows_of(Entry.filter(shift_id=shift.id).order_by("id"), *ENTRY_COLUMNS)
    statuses = dict(await Approval.filter(entry__shift_id=shift.id).values_list("entry_id", "status"))
    links = await DepositShift.filter(shift_id=shift.id).prefetch_related("deposit")
    register = await Register.get(id=shift.register_id)
    cashier = await User.get(id=shift.cashier_id)
    differences = await Difference.filter(shift_id=shift.id).order_by("id")
    return {
        "shift": shift_out(shift, site, show_revenue=True),
        "register": {"id": register.id, "name": register.name},
        "cashier": {"id": cashier.id, "username": cashier.username, "display_name": cashier.display_name},
        "currency": site.currency,
        "totals_by_method": [
            {"method": method, **{kind: fmt(totals.by_method.get(method, {}).get(kind, 0)) for kind in KINDS},
             "net": fmt(totals.net(method))}
            for method in METHODS],
        "entries": [entry_out(row, site, statuses.get(row["reverses_id"] or row["id"])) for row in entries],
        "opening_count": money.count_out(shift.opening_count, site.currency),
        "closing_count": money.count_out(shift.counted, site.currency),
        "expected_cash": fmt(shift.expected_cash) if shift.status != "open" else fmt(shift.opening_float + totals.cash_movement),
        "counted_cash": fmt(shift.counted_cash),
        "difference": fmt(shift.difference),
        "overage": fmt(shift.overage),
        "shortage": fmt(shift.shortage),
        "float_received": fmt(shift.float_received),
        "opening_float": fmt(shift.opening_float),
        "float_left": fmt(shift.float_left),
        "takings": fmt(shift.takings),
        "differences": [difference_out(d, site) for d in differences],
        "deposits": [{"id": link.deposit.id, "bag_number": link.deposit.bag_number, "takings": fmt(link.takings),
                      "created_at": rfc3339(link.deposit.created_at)} for link in links],
    }


def difference_out(difference: Difference, site: Site) -> dict[str, Any]:
    fmt = lambda value: format_money(value, site.currency)  # noqa: E731
    return {"id": difference.id, "shift_id": difference.shift_id, "cashier_id": difference.cashier_id,
            "kind": difference.kind, "amount": fmt(difference.amount),
            "settled": fmt(difference.settled) if difference.kind == "shortage" else None,
            "outstanding": fmt(difference.amount - difference.settled) if difference.kind == "shortage" else None,
            "created_at": rfc3339(difference.created_at), "version": difference.version}


def _report_rows(report: dict[str, Any]) -> list[list[Any]]:
    """The report's cells; user text (names, references, notes, reasons, bag numbers) is
    neutralised against formula injection. Money strings stay as formatted ("-100.00")."""
    shift = report["shift"]
    rows: list[list[Any]] = [
        [_("Shift"), shift["id"]], [_("Register"), neutralise(report["register"]["name"])],
        [_("Cashier"), neutralise(report["cashier"]["display_name"] or report["cashier"]["username"])],
        [_("Status"), code_label(shift["status"], "cashier.shift_status")], [_("Shift opened at"), shift["opened_at"]],
        [_("Shift closed at"), shift["closed_at"] or ""],
        [_("Currency"), report["currency"]],
        [_("Float received"), report["float_received"]], [_("Opening float"), report["opening_float"]],
        [_("Expected cash"), report["expected_cash"]], [_("Counted cash"), report["counted_cash"] or ""],
        [_("Difference"), report["difference"] or ""], [_("Overage (handed in)"), report["overage"] or ""],
        [_("Shortage (owed)"), report["shortage"] or ""], [_("Float left"), report["float_left"] or ""],
        [_("Takings"), report["takings"] or ""], [],
        [_("Method"), *[kind for kind in KINDS], _("Net")],
    ]
    for line in report["totals_by_method"]:
        rows.append([line["method"], *[line[kind] for kind in KINDS], line["net"]])
    rows += [[], [_("Denomination"), _("Opening pieces"), _("Closing pieces")]]
    for label in sorted(set(report["opening_count"]) | set(report["closing_count"]), key=lambda x: -float(x)):
        rows.append([label, report["opening_count"].get(label, 0), report["closing_count"].get(label, 0)])
    rows += [[], [_("Entry"), _("Time"), _("Kind"), _("Method"), _("Amount"), _("Reference"), _("Note"),
                  _("Reverses"), _("Reason"), _("Approval")]]
    for entry in report["entries"]:
        rows.append([entry["id"], entry["created_at"], entry["kind"], entry["method"],
                     ("-" if entry["is_reversal"] else "") + entry["amount"], neutralise(entry["reference"]),
                     neutralise(entry["note"]), entry["reverses_id"] or "", neutralise(entry["reason"]),
                     entry["approval_status"] or ""])
    if report["deposits"]:
        rows += [[], [_("Deposit bag"), _("Takings"), _("Time")]]
        rows += [[neutralise(d["bag_number"]), d["takings"], d["created_at"]] for d in report["deposits"]]
    return rows


def report_csv(report: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in _report_rows(report):
        writer.writerow(row)
    return buffer.getvalue()


def report_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Shift %(id)s", id=report["shift"]["id"]))
    for row in _report_rows(report):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def over_short(site: Site, cashier_id: int | None = None) -> dict[str, Any]:
    """Every overage and shortage, per cashier (the latest 1,000 listed); totals kept apart,
    never netted, summed by the database over all of them (integer minor units: exact).

    The float handover differences booked in the ledger (``HANDOVER_KINDS``, on the shift
    that left the float, so under its cashier) count in the totals too: a gain as an
    overage, a loss as a shortage; their parts are shown apart. ``shortage_outstanding``
    is what is owed on the shortages found at closing (those settled by payments)."""
    query = Difference.filter(site_id=site.id)
    booked = Entry.filter(site_id=site.id, kind__in=HANDOVER_KINDS)
    if cashier_id is not None:
        query = query.filter(cashier_id=cashier_id)
        booked = booked.filter(shift_id__in=Subquery(Shift.filter(cashier_id=cashier_id).values("id")))
    differences = await query.order_by("-id").limit(1000)
    sums = {row["kind"]: row for row in await query.annotate(amounts=Sum("amount"), paid=Sum("settled"))
            .group_by("kind").values("kind", "amounts", "paid")}
    sums.update({row["kind"]: row for row in await booked.annotate(amounts=Sum("amount"))
                 .group_by("kind").values("kind", "amounts")})

    def total(kind: str, column: str = "amounts") -> int:
        return int(sums.get(kind, {}).get(column) or 0)  # PostgreSQL sums bigints as numeric: Decimal

    fmt = lambda value: format_money(value, site.currency)  # noqa: E731
    return {"items": [difference_out(d, site) for d in differences],
            "overage_total": fmt(total("overage") + total("float_gain")),
            "shortage_total": fmt(total("shortage") + total("float_loss")),
            "shortage_outstanding": fmt(total("shortage") - total("shortage", "paid")),
            "float_handover_overage": fmt(total("float_gain")),
            "float_handover_shortage": fmt(total("float_loss"))}


async def daily_summary(site: Site, day: dt.date) -> dict[str, Any]:
    """The shifts closed on the site's local ``day`` and the deposits made on it: net takings
    by method from their ledgers together, and the sums of their counts, in the database."""
    zone = ZoneInfo(site.timezone)
    start, end = (dt.datetime.combine(day + dt.timedelta(days=offset), dt.time(), zone).astimezone(dt.timezone.utc)
                  for offset in (0, 1))
    shifts = Shift.filter(site_id=site.id, closed_at__gte=start, closed_at__lt=end)
    sums = (await shifts.annotate(n=Count("id"), takings_sum=Sum("takings"), overage_sum=Sum("overage"),
                                  shortage_sum=Sum("shortage")).values("n", "takings_sum", "overage_sum",
                                                                       "shortage_sum"))[0]
    ids = await shifts.values_list("id", flat=True)
    totals = await ledger_totals(*ids) if ids else None
    deposits = (await Deposit.filter(site_id=site.id, created_at__gte=start, created_at__lt=end)
                .annotate(n=Count("id"), amounts=Sum("amount")).values("n", "amounts"))[0]
    fmt = lambda value: format_money(int(value or 0), site.currency)  # noqa: E731 — Decimal sums too
    return {"date": day.isoformat(), "shifts": sums["n"],
            "net_by_method": {m: fmt(totals.net(m) if totals else 0) for m in METHODS},
            "takings": fmt(sums["takings_sum"]), "overage": fmt(sums["overage_sum"]),
            "shortage": fmt(sums["shortage_sum"]), "deposited": fmt(deposits["amounts"]), "deposits": deposits["n"]}


async def reconcile(site: Site) -> dict[str, Any]:
    """Recompute every closed shift from its ledger and counts; report any mismatch."""
    mismatches = []
    checked = 0
    shifts = await Shift.filter(site_id=site.id).exclude(status="open").order_by("id")
    for shift in shifts:
        checked += 1
        problems = []
        totals = await ledger_totals(shift.id)
        expected = shift.opening_float + totals.cash_movement
        if expected != shift.expected_cash:
            problems.append(_("expected cash %(stored)s, the ledger gives %(computed)s",
                              stored=format_money(shift.expected_cash, site.currency),
                              computed=format_money(expected, site.currency)))
        if money.count_total(money.loaded_count(shift.counted)) != shift.counted_cash:
            problems.append(_("the counted cash does not match its count by denomination"))
        # An empty opening count: the float was entered as an amount (a site counting no pieces).
        if shift.opening_count and money.count_total(money.loaded_count(shift.opening_count)) != shift.opening_float:
            problems.append(_("the opening float does not match its count by denomination"))
        if (shift.counted_cash or 0) - (shift.expected_cash or 0) != shift.difference:
            problems.append(_("the difference is not counted minus expected"))
        if (shift.counted_cash or 0) - (shift.float_left or 0) != shift.takings:
            problems.append(_("the takings are not counted minus float left"))
        booked = {d.kind: d.amount for d in await Difference.filter(shift_id=shift.id)}
        if booked.get("overage", 0) != max(shift.difference or 0, 0) or \
                booked.get("shortage", 0) != max(-(shift.difference or 0), 0):
            problems.append(_("the booked overage or shortage does not match the difference"))
        if totals.entries != shift.entry_count:
            problems.append(_("%(count)s ledger entries, %(stored)s recorded", count=totals.entries,
                              stored=shift.entry_count))
        if problems:
            mismatches.append({"shift_id": shift.id, "problems": problems})
    return {"checked": checked, "mismatches": mismatches}
