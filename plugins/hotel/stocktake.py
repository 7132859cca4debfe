"""Stocktakes (盤點): a count sheet per location, counts, recounts, the variance report and
the supervisor's approval that posts the adjustments.

The rules, in order of the sheet's life (``counting`` → [``recount``] → ``submitted`` →
``approved``, or ``cancelled`` from any open state):

- Opening a sheet for a location (a store room, a floor) snapshots the balance of every item
  kept there (a balance row at the location; ``all_items`` adds every item of the site at
  its balance, 0 where none) as the line's ``expected``. One open sheet per location: a
  second is a 409 (a unique index on ``open_location``, which is NULL once approved or
  cancelled).
- Counts are whole numbers from 0 (stock is kept in whole units, as the balances are):
  negative, fractional or not-a-number counts are a 422 naming ``lines.<i>.counted``, and
  nothing of the request is written.
- Submitting the first counts checks each line's variance against the site's thresholds
  (``stocktake_recount_units`` and ``stocktake_recount_percent``: a line needs a recount when
  its variance is past both). If any is, the sheet goes to ``recount`` and those lines need a
  second count **by someone other than the first counter** (a recount by the same person
  repeats the same mistake, and two people agreeing is the control a stocktake exists for);
  the second count stands. A sheet whose lines are within the thresholds is ``submitted``.
- While a sheet is open no stock moves at its location: a movement there (in, out, loss,
  either end of a transfer) is a 409 naming the sheet, checked in the movement's
  transaction under the location's lock, which opening a sheet takes too
  (``records.lock_location``). So the expected quantities stay the balances until the
  sheet is approved or cancelled, and the count is the stock on the shelf; count a store
  room when it is quiet, or cancel the sheet to let stock move.
- Approval (``hotel.stocktake.approve``) posts, in one transaction with the sheet's
  versioned change, one ``stocktake`` movement per line with a variance: its quantity is
  the variance, signed (+ found, - missing), and it names the sheet. The new balance is the
  final count (balance = expected + variance). A balance that would go below zero refuses
  the whole approval (409).
- Approval is by someone who counted none of the sheet's lines (403): the person who
  counts does not sign off their own count.
- Counting is blind: while counting, the expected quantities are shown only to those who
  approve stocktakes (``hotel.stocktake.approve``), and the stock balances (the item totals,
  the movements) of a location with an open sheet are left out for everyone else
  (``records.balances(..., hide_counting=True)``); a recount is blind to everyone.
"""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import local_time, rfc3339, utcnow
from core.entities.models import Site
from core.i18n import N_
from core.i18n import gettext as _
from core.problems import Problem, invalid
from plugins.hotel import records
from plugins.hotel.models import (STOCKTAKE_KIND, StockBalance, StockCount, StockCountLine, StockItem,
                                  StockMovement)

MAX_COUNT = records.MAX_QUANTITY
OPEN_STATUSES = ("counting", "recount", "submitted")
STATUS_LABELS = {"counting": N_("Counting"), "recount": N_("Recount"), "submitted": N_("Submitted"),
                 "approved": N_("Approved"), "cancelled": N_("Cancelled")}


# --- shapes ------------------------------------------------------------------------------------


def sheet_summary(sheet: StockCount) -> dict[str, Any]:
    return {"id": sheet.id, "location": sheet.location, "status": sheet.status, "note": sheet.note,
            "created_by": sheet.created_by_id, "created_at": rfc3339(sheet.created_at),
            "submitted_by": sheet.submitted_by_id, "submitted_at": rfc3339(sheet.submitted_at),
            "approved_by": sheet.approved_by_id, "approved_at": rfc3339(sheet.approved_at),
            "cancelled_by": sheet.cancelled_by_id, "cancelled_at": rfc3339(sheet.cancelled_at),
            "updated_at": rfc3339(sheet.updated_at), "version": sheet.version}


def blind(sheet: StockCount, may_approve: bool) -> bool:
    """Counters count blind: the expected quantities (and so the variances) of a sheet still
    being counted are shown only to those who approve stocktakes; a recount is blind to
    everyone, whoever makes it (a supervisor recounting sees neither books nor first count)."""
    if sheet.status == "recount":
        return True
    return sheet.status == "counting" and not may_approve


def line_out(line: StockCountLine, item: StockItem, hide: bool = False) -> dict[str, Any]:
    # A recount is blind too: its counter sees neither the books nor the first count.
    hide_first = hide and line.needs_recount
    return {"id": line.id, "item_id": line.item_id, "code": item.code, "name": item.name, "unit": item.unit,
            "expected": None if hide else line.expected,
            "counted": None if hide_first else line.first_count, "counted_by": line.first_by_id, "counted_at": rfc3339(line.first_at),
            "needs_recount": line.needs_recount, "second_count": line.second_count,
            "second_counted_by": line.second_by_id, "second_counted_at": rfc3339(line.second_at),
            "final": line.final, "variance": None if hide else line.variance, "movement_id": line.movement_id}


async def lines_of(sheet: StockCount) -> list[tuple[StockCountLine, StockItem]]:
    lines = await StockCountLine.filter(sheet_id=sheet.id).order_by("id")
    items = {item.id: item for item in await StockItem.filter(id__in=[line.item_id for line in lines])}
    return [(line, items[line.item_id]) for line in lines]


async def sheet_out(sheet: StockCount, may_approve: bool = True) -> dict[str, Any]:
    hide = blind(sheet, may_approve)
    lines = [line_out(line, item, hide) for line, item in await lines_of(sheet)]
    return {**sheet_summary(sheet), "blind": hide, "lines": lines,
            "counted_lines": sum(1 for line in lines if line["counted"] is not None),
            "recount_lines": sum(1 for line in lines if line["needs_recount"])}


# --- the rules ---------------------------------------------------------------------------------


def thresholds(site: Site) -> tuple[int, int]:
    from plugins.hotel.services import settings_of

    settings = settings_of(site)
    return settings["stocktake_recount_units"], settings["stocktake_recount_percent"]


def needs_recount(variance: int, expected: int, units: int, percent: int) -> bool:
    """Past both thresholds: more than ``units`` off, and more than ``percent`` % of the
    expected quantity off (any variance of an expected 0 is past every percentage)."""
    off = abs(variance)
    return off > units and off * 100 > percent * expected


def _count_value(value: Any, index: int) -> int | None:
    field = f"lines.{index}.counted"
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field, _("Enter a whole number."))
    if not 0 <= value <= MAX_COUNT:
        raise invalid(field, _("A whole number from 0 to %(max)s.", max=MAX_COUNT))
    return value


async def _stale(sheet: StockCount) -> Problem:
    await sheet.refresh_from_db()
    if sheet.status in ("approved", "cancelled"):
        return Problem(409, _("Stocktake %(id)s is %(status)s already.", id=sheet.id,
                              status=_(STATUS_LABELS[sheet.status]).lower()),
                       current=sheet_summary(sheet))
    return Problem(409, _("Stocktake %(id)s changed meanwhile; reload it and try again.", id=sheet.id),
                   current=sheet_summary(sheet))


async def _claim(sheet: StockCount, version: int, statuses: tuple[str, ...], **changes: Any) -> None:
    """The sheet's versioned change, inside the caller's transaction: it takes the row's lock
    first, so a racing change finds the version moved (409) instead of both passing."""
    now = changes.pop("now")
    updated = await StockCount.filter(id=sheet.id, version=version, status__in=list(statuses)).update(
        version=version + 1, updated_at=now, **changes)
    if not updated:
        raise await _stale(sheet)


def _check(sheet: StockCount, version: int, statuses: tuple[str, ...], refusal: str) -> None:
    if sheet.status not in statuses:
        if sheet.status in ("approved", "cancelled"):
            raise Problem(409, _("Stocktake %(id)s is %(status)s already.", id=sheet.id,
                                 status=_(STATUS_LABELS[sheet.status]).lower()), current=sheet_summary(sheet))
        raise Problem(409, refusal, current=sheet_summary(sheet))
    if version != sheet.version:
        raise Problem(409, _("Stocktake %(id)s changed meanwhile; reload it and try again.", id=sheet.id),
                      current=sheet_summary(sheet))


# --- open, count, submit, approve, cancel ------------------------------------------------------


async def open_sheet(site: Site, actor: Actor, *, location: str, note: str = "",
                     all_items: bool = False) -> StockCount:
    """A count sheet for ``location`` with the balances of now as the expected quantities."""
    location = (location or "").strip()
    note = (note or "").strip()
    if not location:
        raise invalid("location", _("Name the location."))
    if len(location) > 60:
        raise invalid("location", _("At most %(max)s characters.", max=60))
    if len(note) > 500:
        raise invalid("note", _("At most %(max)s characters.", max=500))
    open_one = await StockCount.filter(site_id=site.id, open_location=location).first()
    if open_one is not None:
        raise Problem(409, _("Stocktake %(id)s of %(location)s is still open.", id=open_one.id, location=location),
                      current=sheet_summary(open_one))
    now = utcnow()
    try:
        async with in_transaction() as connection:
            # Movements at the location wait for the opening (and after it are refused).
            await records.lock_location(connection, site.id, location)
            balances = dict(await StockBalance.filter(site_id=site.id, location=location)
                            .values_list("item_id", "quantity"))
            if all_items:
                item_ids = await StockItem.filter(site_id=site.id).order_by("category", "code") \
                    .values_list("id", flat=True)
            else:
                item_ids = await StockItem.filter(site_id=site.id, id__in=list(balances)) \
                    .order_by("category", "code").values_list("id", flat=True)
            if not item_ids:
                raise invalid("location", _("No stock is kept at %(location)s; count all items to start "
                                            "one anyway.", location=location))
            sheet = await StockCount.create(site_id=site.id, location=location, open_location=location,
                                            status="counting", note=note, created_by=actor.user, created_at=now,
                                            updated_at=now)
            await StockCountLine.bulk_create([
                StockCountLine(sheet_id=sheet.id, item_id=item_id, expected=int(balances.get(item_id) or 0))
                for item_id in item_ids])
            await audit.record("hotel.stocktake.open", actor=actor.user, site_id=site.id,
                               object_type="hotel.stocktake", object_id=sheet.id,
                               after={**sheet_summary(sheet), "lines": len(item_ids)},
                               client_address=actor.client_address)
    except IntegrityError:
        open_one = await StockCount.filter(site_id=site.id, open_location=location).first()
        raise Problem(409, _("Stocktake %(id)s of %(location)s is still open.",
                             id=open_one.id if open_one else "?", location=location)) from None
    return sheet


async def enter_counts(site: Site, sheet: StockCount, actor: Actor, entries: list[dict[str, Any]],
                       version: int) -> StockCount:
    """Counts for some lines: ``[{"item_id", "counted"}]``. While counting they are the
    first counts (None clears one); in recount, the second counts of the lines that need
    one, by someone other than their first counter. All checked before any is written."""
    _check(sheet, version, ("counting", "recount"),
           _("Stocktake %(id)s is submitted; its counts cannot change.", id=sheet.id))
    lines = {line.item_id: line for line in await StockCountLine.filter(sheet_id=sheet.id)}
    recount = sheet.status == "recount"
    seen: set[int] = set()
    changes: list[tuple[StockCountLine, int | None]] = []
    for index, entry in enumerate(entries):
        item_id = entry.get("item_id")
        line = lines.get(item_id) if isinstance(item_id, int) and not isinstance(item_id, bool) else None
        if line is None:
            raise invalid(f"lines.{index}.item_id", _("This item is not on the sheet."))
        if item_id in seen:
            raise invalid(f"lines.{index}.item_id", _("This item is given twice."))
        seen.add(item_id)
        value = _count_value(entry.get("counted"), index)
        if recount:
            if not line.needs_recount:
                raise invalid(f"lines.{index}.item_id", _("This line does not need a second count."))
            if value is not None and line.first_by_id is not None and line.first_by_id == actor.user_id:
                raise Problem(403, _("The second count is made by someone other than the first counter."),
                              errors=[{"field": f"lines.{index}.counted",
                                       "message": _("The second count is made by someone other than the "
                                                    "first counter.")}])
        changes.append((line, value))
    if not changes:
        raise invalid("lines", _("Give at least one count."))
    now = utcnow()
    before, after = {}, {}
    async with in_transaction():
        await _claim(sheet, version, ("counting", "recount"), now=now)
        for line, value in changes:
            if recount:
                before[line.item_id] = line.second_count
                await StockCountLine.filter(id=line.id).update(
                    second_count=value, second_by_id=actor.user_id if value is not None else None,
                    second_at=now if value is not None else None)
            else:
                before[line.item_id] = line.first_count
                await StockCountLine.filter(id=line.id).update(
                    first_count=value, first_by_id=actor.user_id if value is not None else None,
                    first_at=now if value is not None else None)
            after[line.item_id] = value
        await audit.record("hotel.stocktake.count", actor=actor.user, site_id=site.id,
                           object_type="hotel.stocktake", object_id=sheet.id,
                           before={"which": "second" if recount else "first", "counts": before},
                           after={"which": "second" if recount else "first", "counts": after},
                           client_address=actor.client_address)
    await sheet.refresh_from_db()
    return sheet


async def submit(site: Site, sheet: StockCount, actor: Actor, version: int) -> StockCount:
    """Hand in the counts: to ``recount`` when first counts are past the thresholds, else
    ``submitted`` with each line's final count and variance."""
    _check(sheet, version, ("counting", "recount"),
           _("Stocktake %(id)s is submitted already.", id=sheet.id))
    lines = await StockCountLine.filter(sheet_id=sheet.id).order_by("id")
    recount = sheet.status == "recount"
    if recount:
        missing = [index for index, line in enumerate(lines) if line.needs_recount and line.second_count is None]
        message = _("This line needs a second count.")
    else:
        missing = [index for index, line in enumerate(lines) if line.first_count is None]
        message = _("Not counted yet.")
    if missing:
        errors = [{"field": f"lines.{index}.counted", "message": message} for index in missing]
        raise Problem(422, _("%(count)s line(s) still need a count.", count=len(missing)), errors=errors)
    now = utcnow()
    flagged: list[int] = []
    if not recount:
        units, percent = thresholds(site)
        flagged = [line.id for line in lines
                   if needs_recount(line.first_count - line.expected, line.expected, units, percent)]
    async with in_transaction():
        if flagged:
            await _claim(sheet, version, ("counting",), now=now, status="recount")
            await StockCountLine.filter(id__in=flagged).update(needs_recount=True)
        else:
            await _claim(sheet, version, ("counting", "recount"), now=now, status="submitted",
                         submitted_by_id=actor.user_id, submitted_at=now)
            for line in lines:
                final = line.second_count if line.second_count is not None else line.first_count
                await StockCountLine.filter(id=line.id).update(final=final, variance=final - line.expected)
        await audit.record("hotel.stocktake.submit", actor=actor.user, site_id=site.id,
                           object_type="hotel.stocktake", object_id=sheet.id, before={"status": sheet.status},
                           after={"status": "recount" if flagged else "submitted",
                                  "recount_lines": [line.item_id for line in lines if line.id in flagged]},
                           client_address=actor.client_address)
    await sheet.refresh_from_db()
    return sheet


async def approve(site: Site, sheet: StockCount, actor: Actor, version: int) -> StockCount:
    """Post each variance as a ``stocktake`` movement at the sheet's location, all or none."""
    _check(sheet, version, ("submitted",),
           _("Stocktake %(id)s is not submitted yet; only a submitted count is approved.", id=sheet.id))
    counters = {user_id for line in await StockCountLine.filter(sheet_id=sheet.id)
                for user_id in (line.first_by_id, line.second_by_id) if user_id is not None}
    if actor.user_id in counters:
        raise Problem(403, _("A stocktake is approved by someone who did not count it."))
    now = utcnow()
    adjustments = []
    async with in_transaction():
        await _claim(sheet, version, ("submitted",), now=now, status="approved", open_location=None,
                     approved_by_id=actor.user_id, approved_at=now)
        for line, item in await lines_of(sheet):
            if not line.variance:
                continue
            if line.variance > 0:
                await records._add(site.id, item.id, sheet.location, line.variance)
            else:
                await records._take(site.id, item, sheet.location, -line.variance)
            movement = await StockMovement.create(
                site_id=site.id, item_id=item.id, location=sheet.location, kind=STOCKTAKE_KIND,
                quantity=line.variance, reason=_("Stocktake %(id)s", id=sheet.id)[:500], actor=actor.user,
                stocktake_id=sheet.id)
            await StockCountLine.filter(id=line.id).update(movement_id=movement.id)
            await audit.record("hotel.stock.move", actor=actor.user, site_id=site.id,
                               object_type="hotel.stock_movement", object_id=movement.id,
                               after=records.movement_out(movement), client_address=actor.client_address)
            adjustments.append({"item_id": item.id, "quantity": line.variance, "movement_id": movement.id})
        await audit.record("hotel.stocktake.approve", actor=actor.user, site_id=site.id,
                           object_type="hotel.stocktake", object_id=sheet.id, before={"status": "submitted"},
                           after={"status": "approved", "adjustments": adjustments},
                           client_address=actor.client_address)
    await sheet.refresh_from_db()
    return sheet


async def cancel(site: Site, sheet: StockCount, actor: Actor, version: int) -> StockCount:
    """Drop an open sheet: nothing is posted, and the location may be counted again."""
    _check(sheet, version, OPEN_STATUSES, "")
    now = utcnow()
    async with in_transaction():
        await _claim(sheet, version, OPEN_STATUSES, now=now, status="cancelled", open_location=None,
                     cancelled_by_id=actor.user_id, cancelled_at=now)
        await audit.record("hotel.stocktake.cancel", actor=actor.user, site_id=site.id,
                           object_type="hotel.stocktake", object_id=sheet.id, before={"status": sheet.status},
                           after={"status": "cancelled"}, client_address=actor.client_address)
    await sheet.refresh_from_db()
    return sheet


# --- the variance report -----------------------------------------------------------------------


def _percent(variance: int | None, expected: int) -> str | None:
    """The variance as a percentage of the expected quantity, as text with one decimal
    (no float reaches the answer); None when nothing was expected or counted."""
    if variance is None or not expected:
        return None
    tenths = (abs(variance) * 1000 + expected // 2) // expected
    return f"{'-' if variance < 0 else ''}{tenths // 10}.{tenths % 10}"


async def report(sheet: StockCount, may_approve: bool = True) -> dict[str, Any]:
    """Per line: expected, the counts, the final count, the variance (units and percent);
    and the totals of what was found and what is missing."""
    hide = blind(sheet, may_approve)
    rows = []
    for line, item in await lines_of(sheet):
        row = line_out(line, item, hide)
        row["variance_percent"] = None if hide else _percent(line.variance, line.expected)
        rows.append(row)
    variances = [row["variance"] for row in rows if row["variance"]]
    return {"sheet": sheet_summary(sheet), "blind": hide, "lines": rows,
            "totals": {"lines": len(rows), "counted": sum(1 for row in rows if row["final"] is not None),
                       "with_variance": len(variances),
                       "found": sum(v for v in variances if v > 0),
                       "missing": -sum(v for v in variances if v < 0)}}


def report_tables(site: Site, data: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The report as ``core.exports`` tables: the lines, then the totals."""
    sheet = data["sheet"]
    headers = [_("Code"), _("Item"), _("Unit"), _("Expected"), _("First count"), _("Second count"),
               _("Final count"), _("Variance"), _("Variance") + " %"]
    rows = [[row["code"], row["name"], row["unit"], row["expected"], row["counted"], row["second_count"],
             row["final"], row["variance"], row["variance_percent"]] for row in data["lines"]]
    totals = data["totals"]
    summary = [[_("Stocktake"), sheet["id"]], [_("Location"), sheet["location"]],
               [_("Status"), _(STATUS_LABELS[sheet["status"]])],
               [_("Opened"), local_time(site, sheet["created_at"])],
               [_("Submitted"), local_time(site, sheet["submitted_at"])],
               [_("Approved"), local_time(site, sheet["approved_at"])],
               [_("Lines"), totals["lines"]], [_("Lines with a variance"), totals["with_variance"]],
               [_("Found"), totals["found"]], [_("Missing"), totals["missing"]]]
    return [(_("Variances"), headers, rows), (_("Summary"), [_("Field"), _("Value")], summary)]


