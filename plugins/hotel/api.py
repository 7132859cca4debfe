"""JSON routes of the hotel plugin (``/api/v1/sites/{site}/hotel/...``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.clock import rfc3339
from core.tasks import handovers
from core.tasks.schemas import HandoverOut
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.api import CSV, XLSX, api_route
from core.web.pagination import filter_by, paginate
from core.problems import invalid
from core.i18n import gettext as _
from plugins.hotel import board as boards
from plugins.hotel import floors, records, rooms, services
from plugins.hotel.models import Room, RoomEvent, StockItem, StockMovement
from plugins.hotel.schemas import (BalanceOut, BalanceQuery, BoardOut, BoardQuery, CheckInIn, DamageIn, DamageOut,
                                   DiscrepancyOut, GuestRequestIn,
                                   GuestRequestOut, GuestRequestQuery, HandoverIn, HousekeepingIn, HygieneDay, HygieneIn, HygieneOut,
                                   HygieneQuery, ImportIn, ImportOut, MovementIn, MovementOut, MovementPage,
                                   MovementQuery, NightAuditIn, NightAuditOut, ObservedIn, RoomEventOut, RoomIn,
                                   RoomOut, RoomPage, RoomQuery, ServiceIn, StockItemIn, StockItemOut,
                                   StockItemQuery)
from plugins.hotel.schemas import BulkStatusIn, BulkStatusOut, CheckOutIn
from plugins.hotel.schemas import (DamagePage, DamageQuery, RoomFlagIn, SectionAssignIn, SectionsOut, WorkReportOut,
                                   WorkReportQuery)

BASE = "/api/v1/sites/{site}/hotel"


def kernel(request: Request):
    return request.app.state.tasks


def sees_guests(request: Request) -> bool:
    return can(request, "hotel.guest.read")


async def _room(request: Request) -> Room:
    return await get_in_site(request, Room, request.path_params["id"], "room")


async def board_rooms(request: Request, query: BoardQuery) -> tuple[list[dict], dict[str, int]]:
    """The rooms of the board (filtered) and the counts per code (of the filtered rooms),
    from this process's copy of the site's board (``plugins.hotel.board``)."""
    site = current_site(request)
    cached = await boards.attach(request.app).board(site.id)
    guests = sees_guests(request)
    sections = floors.board_sections(request.state.user, cached.sections, site.code) if query.mine else None
    if query.at is None:
        if boards.unfiltered(query):
            return cached.rooms(guests), cached.counts
        rooms_out = cached.rooms(guests)
    else:
        past = await services.board_at(site.id, query.at)
        rooms_out = [{**services.room_out({**row, **past[row["id"]]}, guests),
                      "assignee_id": cached.assignees.get(row["unit_id"])}
                     for row in cached.rows if row["id"] in past]
    shown = boards.matching(rooms_out, query, sections)
    return shown, boards.counted(shown)


async def board(request: Request, query: BoardQuery) -> BoardOut:
    """Every room with its code, and counts per code; ``?at=`` shows a past moment."""
    if boards.unfiltered(query):
        cached = await boards.attach(request.app).board(current_site(request).id)
        return Response(cached.json(sees_guests(request)), media_type="application/json")
    rooms_out, counts = await board_rooms(request, query)
    return JSONResponse({"counts": counts, "rooms": rooms_out, "at": rfc3339(query.at)})


async def list_rooms(request: Request, query: RoomQuery) -> RoomPage:
    """Rooms by floor and code, in id order."""
    rows = filter_by(site_query(request, Room), query, floor="floor", code="code", section="section")
    guests = sees_guests(request)
    return await paginate(rows, query, lambda room: services.room_out(room, guests))


async def get_room(request: Request) -> RoomOut:
    return services.room_out(await _room(request), sees_guests(request))


async def create_room(request: Request, body: RoomIn) -> RoomOut:
    """Add a room (and its core unit)."""
    room = await rooms.create_room(kernel(request), current_site(request), body.model_dump(), actor_of(request))
    return services.room_out(room, sees_guests(request))


async def import_rooms(request: Request, body: ImportIn) -> ImportOut:
    """Check a CSV of rooms (number, floor, room_type, section[, occupancy, housekeeping,
    service]); with ``apply`` import it, all rows or, with ``skip_bad_rows``, the valid ones."""
    return await rooms.import_rooms(kernel(request), current_site(request), body.csv, actor_of(request),
                                    apply=body.apply, skip_bad_rows=body.skip_bad_rows)


async def room_history(request: Request) -> list[RoomEventOut]:
    """Every status change of the room, oldest first, with who made it."""
    room = await _room(request)
    events = await RoomEvent.filter(room_id=room.id).order_by("id").limit(1000)
    return [{"id": e.id, "at": rfc3339(e.at), "actor_id": e.actor_id, "kind": e.kind, "from_code": e.from_code,
             "code": e.code, "occupancy": e.occupancy, "housekeeping": e.housekeeping, "service": e.service,
             "note": e.note} for e in events]


async def set_housekeeping(request: Request, body: HousekeepingIn) -> RoomOut:
    """Change the housekeeping status (only a supervisor sets ``inspected``)."""
    room = await services.set_housekeeping(kernel(request), await _room(request), body.status, body.version,
                                           actor_of(request))
    return services.room_out(room, sees_guests(request))


async def set_rooms_status(request: Request, body: BulkStatusIn) -> BulkStatusOut:
    """Several rooms, one status: each room changes on its own (its version checked); a
    stale or refused room is listed with its message and current state, the others change.
    An unknown room, a room named twice or an empty list changes nothing (422)."""
    items = await services.set_rooms_status(kernel(request), current_site(request),
                                            [(room.id, room.version) for room in body.rooms], body.status,
                                            actor_of(request), reason=body.reason or "", until=body.until)
    changed = sum(1 for item in items if item["ok"])
    return {"items": items, "changed": changed, "refused": len(items) - changed}


async def check_in(request: Request, body: CheckInIn) -> RoomOut:
    """Check a guest into a vacant, in-service, clean (or inspected) room."""
    room = await services.check_in(kernel(request), current_site(request), await _room(request), body.version,
                                   actor_of(request), guest_name=body.guest_name or "", party_id=body.party_id)
    return services.room_out(room, True)


async def check_out(request: Request, body: CheckOutIn) -> RoomOut:
    """Check out: the room becomes vacant dirty and gets a departure-clean task. A room with
    open guest requests or repairs is a 409 listing them (``open_items``) unless
    ``acknowledge`` is true."""
    room = await services.check_out(kernel(request), current_site(request), await _room(request), body.version,
                                    actor_of(request), acknowledge=body.acknowledge)
    return services.room_out(room, True)


async def set_service(request: Request, body: ServiceIn) -> RoomOut:
    """Take a room out of order or service (with a reason) or back into service."""
    room = await services.set_service(kernel(request), await _room(request), body.service, body.version,
                                      actor_of(request), reason=body.reason or "", until=body.until)
    return services.room_out(room, sees_guests(request))


async def observe(request: Request, body: ObservedIn) -> RoomOut:
    """Housekeeping's look: is the room occupied or vacant?"""
    room = await services.observe(kernel(request), await _room(request), body.occupancy, actor_of(request))
    return services.room_out(room, sees_guests(request))


async def _flag(request: Request, body: RoomFlagIn, flag: str) -> RoomOut:
    room = await services.set_room_flag(kernel(request), await _room(request), flag, body.on, body.version,
                                        actor_of(request))
    return services.room_out(room, sees_guests(request))


async def do_not_disturb(request: Request, body: RoomFlagIn) -> RoomOut:
    """The do-not-disturb sign on (``on: true``) or off: while it (or a refusal) is on, the
    room's cleaning tasks wait, their SLA clock stopped."""
    return await _flag(request, body, "do_not_disturb")


async def service_refused(request: Request, body: RoomFlagIn) -> RoomOut:
    """The guest refused service today (on) or no longer (off); stops the cleaning clock as
    do-not-disturb does. The night audit clears it."""
    return await _flag(request, body, "service_refused")


async def list_damage_reports(request: Request, query: DamageQuery) -> DamagePage:
    """Damage reports, newest first: ``?room=204&status=open&from=2026-11-01&to=2026-11-30``
    (status: of the report's maintenance task; dates: site-local days, both included)."""
    site = current_site(request)
    room = await services.room_by_number(site.id, query.room) if query.room else None
    rows = floors.damage_reports_query(site, room=room, status=query.status, start=query.start, end=query.end)
    page = await paginate(rows, query, lambda report: report, descending=True)
    page["items"] = await floors.damage_items(site, page["items"])
    return page


def download(body: bytes | str, fmt: str, name: str) -> Response:
    media = f"{CSV}; charset=utf-8" if fmt == "csv" else XLSX
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


async def work_report(request: Request, query: WorkReportQuery) -> WorkReportOut | Response:
    """The daily work report (工作日報表) per attendant and floor (``?format=csv|xlsx`` to download)."""
    from core.exports import xlsx_bytes

    site = current_site(request)
    day = query.date or services.local_today(site)
    report = await floors.work_report(site, day, attendant_id=query.attendant_id, floor=query.floor)
    if query.format == "json":
        return report
    name = f"work-report-{site.code}-{day.isoformat()}"
    if query.format == "csv":
        return download(floors.work_csv(report), "csv", name)
    return download(xlsx_bytes(floors.work_tables(report)), "xlsx", name)


async def sections(request: Request) -> SectionsOut:
    """The site's sections with their attendants, and every attendant with their sections."""
    return await floors.section_board(current_site(request))


async def assign_sections(request: Request, body: SectionAssignIn) -> SectionsOut:
    """Give an attendant exactly these sections (their ``section:<name>`` skills; the others kept)."""
    site = current_site(request)
    await floors.assign_sections(site, request.path_params["user_id"], body.sections, actor_of(request),
                                 version=body.version)
    return await floors.section_board(site)


async def discrepancies(request: Request) -> list[DiscrepancyOut]:
    """Rooms where housekeeping saw otherwise than the front desk: sleep or skip."""
    return await services.discrepancies(current_site(request).id)


async def damage_report(request: Request, body: DamageIn) -> DamageOut:
    """Report damage: a maintenance task, and the room out of order when asked."""
    room = await get_in_site(request, Room, body.room_id, "room")
    report = await services.report_damage(kernel(request), current_site(request), room, body.description,
                                          body.take_out_of_order, actor_of(request))
    return {"id": report.id, "room_id": room.id, "task_id": report.task_id,
            "took_out_of_order": report.took_out_of_order}


async def create_guest_request(request: Request, body: GuestRequestIn) -> GuestRequestOut:
    """A guest's request about a room, named by number (``room``: "204") or id (``room_id``):
    a ``hotel.guest_request`` task for an attendant of the room's section (balanced among
    them); when the section has nobody, balanced over every attendant, and the task says so."""
    site = current_site(request)
    room = await services.room_by_number(site.id, body.room, body.room_id)
    task = await services.create_guest_request(kernel(request), site, room, actor_of(request), title=body.title,
                                               description=body.description, priority=body.priority)
    return (await services.guest_requests(site.id, task_id=task.id))[0]


async def list_guest_requests(request: Request, query: GuestRequestQuery) -> list[GuestRequestOut]:
    """Guest requests, newest first, each with its room's number (``?room=204``, ``?open=true``)."""
    site = current_site(request)
    room = await services.room_by_number(site.id, query.room) if query.room else None
    return await services.guest_requests(site.id, room=room, open_only=query.open, limit=query.limit)


async def night_audit(request: Request, body: NightAuditIn) -> NightAuditOut:
    """Run the nightly job now (it also runs by itself): occupied rooms become dirty."""
    rooms_changed = await services.night_audit(kernel(request), current_site(request), body.business_date,
                                               actor_of(request))
    return {"rooms": rooms_changed}


async def list_items(request: Request, query: StockItemQuery) -> list[StockItemOut]:
    """Stock items with their total and whether it is below the par level."""
    items = await records.items_with_totals(current_site(request).id, hide_counting=_counts_blind(request))
    return [item for item in items if item["low"]] if query.low else items


async def create_item(request: Request, body: StockItemIn) -> StockItemOut:
    item = await records.create_item(current_site(request).id, actor_of(request), **body.model_dump())
    return records.item_out(item, 0)


async def move_stock(request: Request, body: MovementIn) -> MovementOut:
    """Record a movement: in, out, transfer, consume or loss (a balance never goes below zero: 409)."""
    item = await site_query(request, StockItem).get_or_none(id=body.item_id)
    if item is None:
        raise invalid("item_id", _("No stock item %(id)s here.", id=body.item_id))
    movement = await records.move_stock(current_site(request).id, item, actor_of(request),
                                        location=body.location, kind=body.kind, quantity=body.quantity,
                                        to_location=body.to_location, reason=body.reason or "")
    return records.movement_out(movement)


def _counts_blind(request: Request) -> bool:
    """Whether the caller counts blind: the stock of locations being counted is hidden from
    all but those who approve stocktakes."""
    return not can(request, "hotel.stocktake.approve")


async def list_movements(request: Request, query: MovementQuery) -> MovementPage:
    """Movements, newest first; a location being counted is left out for those who count blind."""
    rows = filter_by(site_query(request, StockMovement), query, item_id="item_id", location="location")
    if _counts_blind(request) and (hidden := await records.counting_locations(current_site(request).id)):
        rows = rows.exclude(location__in=hidden).exclude(to_location__in=hidden)
    return await paginate(rows, query, records.movement_out, descending=True)


async def list_balances(request: Request, query: BalanceQuery) -> list[BalanceOut]:
    """Balances per item and location; a location being counted is left out for those who
    count blind (all but ``hotel.stocktake.approve``)."""
    return await records.balances(current_site(request).id, query.location, query.item_id,
                                  hide_counting=_counts_blind(request))


async def record_hygiene(request: Request, body: HygieneIn) -> HygieneOut:
    """Record (or correct) a room's hygiene entry of a day."""
    site = current_site(request)
    room = await get_in_site(request, Room, body.room_id, "room")
    record = await records.record_hygiene(site.id, room, actor_of(request), date=body.date,
                                          linen_changed=body.linen_changed, cups_disinfected=body.cups_disinfected,
                                          bathroom_cleaned=body.bathroom_cleaned, aired_times=body.aired_times,
                                          today=services.local_today(site))
    return records.hygiene_out(record, room.number, room.floor)


async def hygiene_day(request: Request, query: HygieneQuery) -> HygieneDay:
    """A day's hygiene records (today by default) and the compliance per floor."""
    site = current_site(request)
    return await records.hygiene_day(site.id, query.date or services.local_today(site))


async def write_handover(request: Request, body: HandoverIn) -> HandoverOut:
    """A core handover with the hotel's structured items: rooms to watch, DND rooms, linen counts."""
    site = current_site(request)
    numbers = set(body.watch_rooms) | set(body.dnd_rooms)
    known = set(await site_query(request, Room).filter(number__in=list(numbers)).values_list("number", flat=True))
    unknown = sorted(numbers - known)
    if unknown:
        raise invalid("watch_rooms" if set(unknown) & set(body.watch_rooms) else "dnd_rooms",
                      _("No room %(numbers)s here.", numbers=", ".join(unknown)))
    if any(count < 0 for count in body.linen_counts.values()):
        raise invalid("linen_counts", _("Zero or more."))
    items = []
    if body.watch_rooms:
        items.append({"label": _("Rooms to watch"), "value": ", ".join(body.watch_rooms)[:200]})
    if body.dnd_rooms:
        items.append({"label": _("Do not disturb"), "value": ", ".join(body.dnd_rooms)[:200]})
    for name, count in body.linen_counts.items():
        items.append({"label": _("Linen: %(name)s", name=name[:80]), "value": str(count)})
    handover = await handovers.write_handover(request.app.state.events, site.id, actor_of(request),
                                              body.department, body.body, items)
    return JSONResponse(handovers.handover_out(handover, True), status_code=201)


def routes():
    tags = ["hotel"]
    room = f"{BASE}/rooms/{{id:int}}"
    return [
        api_route(f"{BASE}/board", board, permission="hotel.room.read", query=BoardQuery, response=BoardOut, tags=tags),
        api_route(f"{BASE}/rooms", list_rooms, permission="hotel.room.read", query=RoomQuery, response=RoomPage,
                  tags=tags),
        api_route(f"{BASE}/rooms", create_room, method="POST", permission="hotel.room.edit", body=RoomIn,
                  response=RoomOut, status_code=201, tags=tags),
        api_route(f"{BASE}/rooms/import", import_rooms, method="POST", permission="hotel.room.edit", body=ImportIn,
                  response=ImportOut, tags=tags),
        api_route(f"{BASE}/rooms/status", set_rooms_status, method="POST", permission="hotel.room.housekeeping",
                  body=BulkStatusIn, response=BulkStatusOut, tags=tags),
        api_route(room, get_room, permission="hotel.room.read", response=RoomOut, tags=tags),
        api_route(f"{room}/history", room_history, permission="hotel.room.read", response=list[RoomEventOut],
                  tags=tags),
        api_route(f"{room}/housekeeping", set_housekeeping, method="POST", permission="hotel.room.housekeeping",
                  body=HousekeepingIn, response=RoomOut, tags=tags),
        api_route(f"{room}/check-in", check_in, method="POST", permission="hotel.room.check_in", body=CheckInIn,
                  response=RoomOut, tags=tags),
        api_route(f"{room}/check-out", check_out, method="POST", permission="hotel.room.check_in", body=CheckOutIn,
                  response=RoomOut, tags=tags, responses={409: "Not occupied, or open requests or repairs not acknowledged"}),
        api_route(f"{room}/service", set_service, method="POST", permission="hotel.room.service", body=ServiceIn,
                  response=RoomOut, tags=tags),
        api_route(f"{room}/observed", observe, method="POST", permission="hotel.room.observe", body=ObservedIn,
                  response=RoomOut, tags=tags),
        api_route(f"{room}/do-not-disturb", do_not_disturb, method="POST", permission="hotel.room.dnd",
                  body=RoomFlagIn, response=RoomOut, tags=tags),
        api_route(f"{room}/service-refused", service_refused, method="POST", permission="hotel.room.dnd",
                  body=RoomFlagIn, response=RoomOut, tags=tags),
        api_route(f"{BASE}/damage-reports", list_damage_reports, permission="hotel.room.read", query=DamageQuery,
                  response=DamagePage, tags=tags),
        api_route(f"{BASE}/work-report", work_report, permission="hotel.report.read", query=WorkReportQuery,
                  response=WorkReportOut, tags=tags, downloads=(CSV, XLSX)),
        api_route(f"{BASE}/sections", sections, permission="hotel.room.read", response=SectionsOut, tags=tags),
        api_route(f"{BASE}/sections/attendants/{{user_id:int}}", assign_sections, method="PUT",
                  permission="hotel.section.assign", body=SectionAssignIn, response=SectionsOut, tags=tags),
        api_route(f"{BASE}/discrepancies", discrepancies, permission="hotel.room.read",
                  response=list[DiscrepancyOut], tags=tags),
        api_route(f"{BASE}/damage-reports", damage_report, method="POST", permission="hotel.damage.report",
                  body=DamageIn, response=DamageOut, status_code=201, tags=tags),
        api_route(f"{BASE}/guest-requests", list_guest_requests, permission="hotel.room.read",
                  query=GuestRequestQuery, response=list[GuestRequestOut], tags=tags),
        api_route(f"{BASE}/guest-requests", create_guest_request, method="POST", permission="core.task.create",
                  body=GuestRequestIn, response=GuestRequestOut, status_code=201, tags=tags),
        api_route(f"{BASE}/night-audit", night_audit, method="POST", permission="hotel.room.service",
                  body=NightAuditIn, response=NightAuditOut, tags=tags),
        api_route(f"{BASE}/stock/items", list_items, permission="hotel.stock.read", query=StockItemQuery,
                  response=list[StockItemOut], tags=tags),
        api_route(f"{BASE}/stock/items", create_item, method="POST", permission="hotel.stock.edit",
                  body=StockItemIn, response=StockItemOut, status_code=201, tags=tags),
        api_route(f"{BASE}/stock/movements", list_movements, permission="hotel.stock.read", query=MovementQuery,
                  response=MovementPage, tags=tags),
        api_route(f"{BASE}/stock/movements", move_stock, method="POST", permission="hotel.stock.move",
                  body=MovementIn, response=MovementOut, status_code=201, tags=tags),
        api_route(f"{BASE}/stock/balances", list_balances, permission="hotel.stock.read", query=BalanceQuery,
                  response=list[BalanceOut], tags=tags),
        api_route(f"{BASE}/hygiene", record_hygiene, method="POST", permission="hotel.hygiene.write",
                  body=HygieneIn, response=HygieneOut, status_code=201, tags=tags),
        api_route(f"{BASE}/hygiene", hygiene_day, permission="hotel.hygiene.read", query=HygieneQuery,
                  response=HygieneDay, tags=tags),
        api_route(f"{BASE}/handovers", write_handover, method="POST", permission="core.handover.write",
                  body=HandoverIn, response=HandoverOut, status_code=201, tags=tags),
    ]
