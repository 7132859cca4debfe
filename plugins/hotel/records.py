"""Stock (linen, drinks, amenities per location) and the hygiene log.

A stock balance never goes below zero: the decrease is a conditional update
(``quantity >= n``), so two attendants taking the last bottle at once cannot both win.

No stock moves at a location while a stocktake of it is open (counting, recount or
submitted): a movement there (either end of a transfer) is a 409 naming the sheet. The
check runs inside the movement's transaction under a lock per location that opening a
sheet takes too (a PostgreSQL transaction advisory lock; SQLite has one writer at a time),
so a movement and an opening never pass each other: the sheet's expected quantities stay
the balances until it is approved or cancelled (see ``plugins.hotel.stocktake``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.expressions import F
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import rfc3339
from core.i18n import gettext as _
from core.problems import Problem, invalid
from plugins.hotel.models import (STOCK_CATEGORIES, STOCK_KINDS, HygieneRecord, Room, StockBalance, StockItem,
                                  StockMovement)

MAX_QUANTITY = 1_000_000


def item_out(item: StockItem, total: int | None = None) -> dict[str, Any]:
    data = {"id": item.id, "code": item.code, "name": item.name, "category": item.category, "unit": item.unit,
            "par_level": item.par_level}
    if total is not None:
        data["total"] = total
        data["low"] = total < item.par_level
    return data


def movement_out(movement: StockMovement) -> dict[str, Any]:
    return {"id": movement.id, "item_id": movement.item_id, "location": movement.location, "kind": movement.kind,
            "quantity": movement.quantity, "to_location": movement.to_location or None,
            "reason": movement.reason, "actor_id": movement.actor_id, "at": rfc3339(movement.at),
            "stocktake_id": movement.stocktake_id}


async def create_item(site_id: int, actor: Actor, *, code: str, name: str, category: str, unit: str = "",
                      par_level: int = 0) -> StockItem:
    code, name = code.strip(), name.strip()
    if not code:
        raise invalid("code", _("Give the item a code."))
    if not name:
        raise invalid("name", _("Give the item a name."))
    if category not in STOCK_CATEGORIES:
        raise invalid("category", _("Use one of: %(values)s.", values=", ".join(STOCK_CATEGORIES)))
    if par_level < 0:
        raise invalid("par_level", _("Zero or more."))
    if await StockItem.filter(site_id=site_id, code=code).exists():
        raise invalid("code", _("An item with code %(code)s exists.", code=code))
    async with in_transaction():
        item = await StockItem.create(site_id=site_id, code=code, name=name, category=category, unit=unit.strip(),
                                      par_level=par_level)
        await audit.record("hotel.stock.item_create", actor=actor.user, site_id=site_id, object_type="hotel.stock_item",
                           object_id=item.id, after=item_out(item), client_address=actor.client_address)
    return item


async def _add(site_id: int, item_id: int, location: str, quantity: int) -> None:
    balance, _created = await StockBalance.get_or_create(site_id=site_id, item_id=item_id, location=location,
                                                         defaults={"quantity": 0})
    await StockBalance.filter(id=balance.id).update(quantity=F("quantity") + quantity)


async def _take(site_id: int, item: StockItem, location: str, quantity: int) -> None:
    taken = await StockBalance.filter(site_id=site_id, item_id=item.id, location=location,
                                      quantity__gte=quantity).update(quantity=F("quantity") - quantity)
    if not taken:
        have = await StockBalance.filter(site_id=site_id, item_id=item.id, location=location) \
            .values_list("quantity", flat=True)
        raise Problem(409, _("Only %(have)s of %(item)s at %(location)s; the balance cannot go below zero.",
                             have=have[0] if have else 0, item=item.name, location=location),
                      balance=have[0] if have else 0)


async def lock_location(connection: Any, site_id: int, *locations: str) -> None:
    """In ``connection``'s transaction: hold the stock of these locations until commit
    (movements at a location and the opening of its stocktake wait for each other)."""
    if connection.capabilities.dialect != "postgres":
        return  # SQLite: one writer at a time already
    for location in sorted(set(locations)):
        await connection.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))",
                                       [f"hotel.stock:{site_id}:{location}"])


async def refuse_if_counting(site_id: int, *locations: str) -> None:
    """409 naming the sheet when a stocktake of one of these locations is open."""
    from plugins.hotel.models import StockCount

    sheet = await StockCount.filter(site_id=site_id, open_location__in=list(locations)).order_by("id").first()
    if sheet is not None:
        raise Problem(409, _("Stocktake %(id)s of %(location)s is open: no stock moves there until it is "
                             "approved or cancelled.", id=sheet.id, location=sheet.location),
                      stocktake_id=sheet.id)


async def move_stock(site_id: int, item: StockItem, actor: Actor, *, location: str, kind: str, quantity: int,
                     to_location: str | None = None, reason: str = "") -> StockMovement:
    location = (location or "").strip()
    to_location = (to_location or "").strip()
    reason = (reason or "").strip()
    if kind not in STOCK_KINDS:
        raise invalid("kind", _("Use one of: %(values)s.", values=", ".join(STOCK_KINDS)))
    if not location:
        raise invalid("location", _("Name the location."))
    if not 0 < quantity <= MAX_QUANTITY:
        raise invalid("quantity", _("A whole number from 1 to %(max)s.", max=MAX_QUANTITY))
    if kind == "transfer":
        if not to_location:
            raise invalid("to_location", _("Name where the items go."))
        if to_location == location:
            raise invalid("to_location", _("Choose another location than the source."))
    elif to_location:
        raise invalid("to_location", _("Only a transfer has a destination."))
    if kind == "loss" and not reason:
        raise invalid("reason", _("Give the reason for the loss."))
    async with in_transaction() as connection:
        ends = (location, to_location) if kind == "transfer" else (location,)
        await lock_location(connection, site_id, *ends)
        await refuse_if_counting(site_id, *ends)
        if kind == "in":
            await _add(site_id, item.id, location, quantity)
        else:
            await _take(site_id, item, location, quantity)
            if kind == "transfer":
                await _add(site_id, item.id, to_location, quantity)
        movement = await StockMovement.create(site_id=site_id, item_id=item.id, location=location, kind=kind,
                                              quantity=quantity, to_location=to_location, reason=reason[:500],
                                              actor=actor.user)
        await audit.record("hotel.stock.move", actor=actor.user, site_id=site_id, object_type="hotel.stock_movement",
                           object_id=movement.id, after=movement_out(movement), client_address=actor.client_address)
    return movement


async def counting_locations(site_id: int) -> list[str]:
    """The locations with an open stocktake: their stock is hidden from those who count
    blind (all but ``hotel.stocktake.approve``)."""
    from plugins.hotel.models import StockCount

    return list(await StockCount.filter(site_id=site_id, open_location__not_isnull=True)
                .values_list("open_location", flat=True))


async def balances(site_id: int, location: str | None = None, item_id: int | None = None,
                   hide_counting: bool = False) -> list[dict[str, Any]]:
    """Balances per item and location; ``hide_counting`` leaves out the locations being
    counted (a counter must not read the books of what they count)."""
    query = StockBalance.filter(site_id=site_id)
    if location:
        query = query.filter(location=location)
    if item_id:
        query = query.filter(item_id=item_id)
    if hide_counting and (hidden := await counting_locations(site_id)):
        query = query.exclude(location__in=hidden)
    rows = await query.order_by("item_id", "location").values("item_id", "location", "quantity")
    return rows


async def items_with_totals(site_id: int, hide_counting: bool = False) -> list[dict[str, Any]]:
    """Items with their total over the locations (``hide_counting``: over the locations not
    being counted)."""
    items = await StockItem.filter(site_id=site_id)
    query = StockBalance.filter(site_id=site_id)
    if hide_counting and (hidden := await counting_locations(site_id)):
        query = query.exclude(location__in=hidden)
    totals = dict(await query.annotate(total=Sum("quantity")).group_by("item_id").values_list("item_id", "total"))
    return [item_out(item, int(totals.get(item.id) or 0)) for item in items]


# --- hygiene ----------------------------------------------------------------------------------


def hygiene_out(record: HygieneRecord, number: str = "", floor: int | None = None) -> dict[str, Any]:
    return {"id": record.id, "room_id": record.room_id, "number": number, "floor": floor,
            "date": record.date.isoformat(), "linen_changed": record.linen_changed,
            "cups_disinfected": record.cups_disinfected, "bathroom_cleaned": record.bathroom_cleaned,
            "aired_times": record.aired_times, "compliant": compliant(record),
            "recorded_by": record.recorded_by_id, "recorded_at": rfc3339(record.recorded_at)}


def compliant(record: HygieneRecord | dict) -> bool:
    get = record.get if isinstance(record, dict) else (lambda key: getattr(record, key))
    return bool(get("linen_changed") and get("cups_disinfected") and get("bathroom_cleaned")
                and get("aired_times") >= 1)


async def record_hygiene(site_id: int, room: Room, actor: Actor, *, date: dt.date, linen_changed: bool,
                         cups_disinfected: bool, bathroom_cleaned: bool, aired_times: int,
                         today: dt.date) -> HygieneRecord:
    if date > today:
        raise invalid("date", _("A hygiene record cannot be for a future day."))
    if date < today - dt.timedelta(days=7):
        raise invalid("date", _("Records older than a week cannot be changed."))
    if not 0 <= aired_times <= 6:
        raise invalid("aired_times", _("A whole number from 0 to 6."))
    values = {"linen_changed": linen_changed, "cups_disinfected": cups_disinfected,
              "bathroom_cleaned": bathroom_cleaned, "aired_times": aired_times, "recorded_by_id": actor.user_id}
    async with in_transaction():
        record = await HygieneRecord.get_or_none(room_id=room.id, date=date)
        if record is None:
            record = await HygieneRecord.create(site_id=site_id, room_id=room.id, date=date, **values)
        else:
            await HygieneRecord.filter(id=record.id).update(**values)
            await record.refresh_from_db()
        await audit.record("hotel.hygiene.record", actor=actor.user, site_id=site_id, object_type="hotel.hygiene",
                           object_id=record.id, after=hygiene_out(record), client_address=actor.client_address)
    return record


async def hygiene_day(site_id: int, date: dt.date) -> dict[str, Any]:
    """The day's records and the compliance per floor (rooms in service)."""
    rooms = await Room.filter(site_id=site_id).values("id", "number", "floor", "service")
    by_id = {room["id"]: room for room in rooms}
    records = await HygieneRecord.filter(site_id=site_id, date=date)
    floors: dict[int, dict[str, int]] = {}
    for room in rooms:
        if room["service"] == "in_service":
            floors.setdefault(room["floor"], {"rooms": 0, "recorded": 0, "compliant": 0})["rooms"] += 1
    items = []
    for record in records:
        room = by_id.get(record.room_id)
        if room is None:
            continue
        items.append(hygiene_out(record, room["number"], room["floor"]))
        if room["service"] == "in_service":
            floor = floors[room["floor"]]
            floor["recorded"] += 1
            floor["compliant"] += int(compliant(record))
    items.sort(key=lambda item: (item["floor"], item["number"]))
    report = [{"floor": floor, **counts,
               "rate": round(counts["compliant"] / counts["rooms"], 3) if counts["rooms"] else None}
              for floor, counts in sorted(floors.items())]
    return {"date": date.isoformat(), "items": items, "floors": report}
