"""HTML pages: the live room board, a room with its actions, the attendant's task sheet,
discrepancies, stock, the hygiene log and the rooms import."""

from __future__ import annotations

import datetime as dt
from typing import Awaitable
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.i18n import N_
from core.i18n import gettext as _
from core.identity.models import User
from core.identity.services import members_with_role
from core.web.templating import render
from core.tasks.models import Task
from core.tasks.types import PRIORITY_LABELS, STATE_LABELS, SubjectPanel
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.problems import Problem
from core.web.forms import FormErrors, form_action, form_int, problem_errors
from core.web.routing import page_route
from plugins.hotel import board as boards
from plugins.hotel import floors as floor_work
from plugins.hotel import records, rooms, services
from plugins.hotel.models import CODES, Room, RoomEvent, StockItem
from plugins.hotel.schemas import BoardQuery, GuestRequestIn

BASE = "/sites/{site}/hotel"
CODE_LABELS = {
    "VC": N_("Vacant clean"), "VD": N_("Vacant dirty"), "VP": N_("Vacant pick-up"), "VI": N_("Vacant inspected"),
    "OC": N_("Occupied clean"), "OD": N_("Occupied dirty"), "OP": N_("Occupied pick-up"), "OI": N_("Occupied inspected"),
    "OOO": N_("Out of order"), "OOS": N_("Out of service"),
}


#: What a room's history names each change (``RoomEvent.kind``).
EVENT_KIND_LABELS = {
    "created": N_("Created"), "imported": N_("Imported"), "housekeeping": N_("Housekeeping"),
    "check_in": N_("Check in"), "check_out": N_("Check out"), "service": N_("Service"),
    "observed": N_("Occupancy observed"), "cleaned": N_("Cleaned"), "night_audit": N_("Night audit"),
    "do_not_disturb": N_("Do not disturb"), "service_refused": N_("Service refused"),
    "inspection_failed": N_("Inspection failed"),
}


def code_labels() -> dict[str, str]:
    return {code: _(label) for code, label in CODE_LABELS.items()}


async def housekeepers(site_id: int) -> list[User]:
    """Whom housekeeping work goes to: the site's active housekeepers and supervisors."""
    return sorted(await members_with_role(site_id, "housekeeper", "supervisor"), key=lambda user: user.username)


async def board(request: Request, errors: FormErrors | None = None, status_code: int = 200,
                params=None) -> Response:
    """Every room as a tile, by floor, coloured by code; updated live (hotel.js). Drawn
    from this process's copy of the site's board (``plugins.hotel.board``): tiles show
    no guest, so every caller gets the same rows. ``?select=1`` makes the tiles tick
    boxes for one action on several rooms (``bulk_status``)."""
    site = current_site(request)
    params = request.query_params if params is None else params
    query = BoardQuery(floor=form_int(params, "floor", signed=True, lenient=True),
                       section=params.get("section") or None,
                       assignee_id=form_int(params, "assignee", lenient=True),
                       code=params.get("code") if params.get("code") in CODES else None)
    cached = await boards.attach(request.app).board(site.id)
    all_rooms = cached.rooms(guests=False)
    # "My rooms": a housekeeper's board is her sections' rooms unless she asks for all.
    my_sections = floor_work.board_sections(request.state.user, cached.sections, site.code)
    mine = bool(my_sections) and params.get("all") != "1"
    shown = boards.matching(all_rooms, query, my_sections if mine else None)
    floors: dict[int, list[dict]] = {}
    for room in shown:
        floors.setdefault(room["floor"], []).append(room)
    people = await housekeepers(site.id)
    return render(request, "hotel/board.html", {
        "site": site, "floors": sorted(floors.items(), reverse=True), "counts": cached.counts, "codes": CODES,
        "code_labels": code_labels(), "query": query, "people": people,
        "names": {user.id: user.display_name or user.username for user in people},
        "all_floors": cached.floors, "sections": cached.sections, "shown": len(shown), "total": len(all_rooms),
        "mine": mine, "my_sections": my_sections, "flag_labels": flag_labels(),
        "may": {name: can(request, f"hotel.{name}") for name in ("report.read", "section.assign")},
        "selecting": params.get("select") == "1" and can(request, "hotel.room.housekeeping"),
        "bulk_statuses": bulk_statuses(request), "errors": errors or FormErrors(),
        "here": urlencode([(key, value) for key, value in params.items() if key in BOARD_PARAMS]),
    }, status_code=status_code)


#: The board's filters, kept across the selection's POST.
BOARD_PARAMS = ("floor", "code", "section", "assignee", "all", "select")
#: What the board's selection can be set to, and the words for it.
BULK_LABELS = {"dirty": N_("Dirty"), "pickup": N_("Pick-up"), "clean": N_("Clean"), "inspected": N_("Inspected"),
               "in_service": N_("Back in service"), "out_of_order": N_("Out of order"),
               "out_of_service": N_("Out of service")}


def bulk_statuses(request: Request) -> list[tuple[str, str]]:
    """The statuses this user may set on several rooms: housekeeping's, "inspected" for a
    supervisor, the services for who takes rooms out of service."""
    if not can(request, "hotel.room.housekeeping"):
        return []
    allowed = [status for status in services.BULK_STATUSES
               if (status != "inspected" or can(request, "hotel.room.inspect"))
               and (status not in ("in_service", "out_of_order", "out_of_service") or can(request, "hotel.room.service"))]
    return [(status, _(BULK_LABELS[status])) for status in allowed]


async def bulk_status(request: Request) -> Response:
    """The board's selection: ``room`` = "id:version" for each ticked tile, one ``status``.
    Calls the same service as ``POST /api/v1/sites/{site}/hotel/rooms/status``; rooms it
    refused (changed meanwhile, a rule) are listed above the board, which shows them as
    they are now, still selectable."""
    site = current_site(request)
    form = await request.form()
    back = str(form.get("back", ""))
    back_params = {key: value for key, value in parse_qsl(back[:500]) if key in BOARD_PARAMS}
    back_params["select"] = "1"

    def again(errors: FormErrors, status: int) -> Awaitable[Response]:
        return board(request, errors, status, params=back_params)

    targets, errors = [], FormErrors()
    for value in form.getlist("room"):
        room_id, _sep, version = str(value).partition(":")
        if not (room_id.isdigit() and version.isdigit()) or len(room_id) > 12 or len(version) > 12:
            errors.general.append(_("The selection is damaged. Reload the page and choose the rooms again."))
            return await again(errors, 422)
        targets.append((int(room_id), int(version)))
    try:
        outcomes = await services.set_rooms_status(
            request.app.state.tasks, site, targets, str(form.get("status", "")), actor_of(request),
            reason=str(form.get("reason", ""))[:500])
    except Problem as problem:
        return await again(problem_errors(problem, [], None), problem.status)
    refused = [outcome for outcome in outcomes if not outcome["ok"]]
    if refused:
        errors.general.extend(outcome["detail"] for outcome in refused)
        return await again(errors, 409)
    back_params.pop("select")
    return RedirectResponse(f"/sites/{site.code}/hotel/?{urlencode(back_params)}", status_code=303)


def flag_labels() -> dict[str, str]:
    return {flag: _(label) for flag, label in services.ROOM_FLAGS.items()}


ROOM_FIELDS = ["status", "version", "guest_name", "until", "service", "reason", "occupancy", "description",
               "take_out_of_order", "on", "confirmed", "acknowledge"]


async def room_page(request: Request, errors: FormErrors | None = None, status_code: int = 200,
                    confirm_check_out: bool = False) -> Response:
    """The room; with ``confirm_check_out`` (GET .../check-out, the check-out button) the
    check-out's confirmation, with the guest's open requests and the room's repairs."""
    site = current_site(request)
    room = await get_in_site(request, Room, request.path_params["id"], "room")
    confirm_check_out = confirm_check_out and room.occupancy == "occupied"
    history = await RoomEvent.filter(room_id=room.id).order_by("-id").limit(30)
    actors = {u.id: u.display_name or u.username
              for u in await User.filter(id__in=list({e.actor_id for e in history if e.actor_id}))}
    tasks = await Task.filter(site_id=site.id, unit_id=room.unit_id, is_open=True).order_by("-id").limit(20) \
        if room.unit_id else []
    return render(request, "hotel/room.html", {
        "site": site, "room": services.room_out(room, can(request, "hotel.guest.read")),
        "errors": errors or FormErrors(),
        "history": history, "actors": actors,
        "event_kinds": {kind: _(label) for kind, label in EVENT_KIND_LABELS.items()}, "tasks": tasks, "code_labels": code_labels(),
        "types": request.app.state.tasks.types,
        "may": {name: can(request, f"hotel.{name}") for name in
                ("room.housekeeping", "room.inspect", "room.check_in", "room.service", "room.observe",
                 "damage.report", "hygiene.write", "room.dnd")},
        "flag_labels": flag_labels(),
        "confirm_check_out": confirm_check_out,
        "departure_items": await services.departure_items(site, room) if confirm_check_out else [],
    }, status_code=status_code)


async def check_out_confirmation(request: Request) -> Response:
    """The check-out button's page: the room with the confirmation open."""
    return await room_page(request, confirm_check_out=True)


async def task_panel(request: Request, task: Task, subject) -> SubjectPanel | None:
    """The room's state on the task page of a task about it (``task_subject_panel``)."""
    room = await Room.get_or_none(id=subject.id, site_id=task.site_id)
    if room is None:
        return None
    return SubjectPanel(title=_("Room %(number)s", number=room.number),
                        url=f"/sites/{current_site(request).code}/hotel/rooms/{room.id}",
                        template="hotel/_task_panel.html",
                        context={"room": services.room_out(room), "code_labels": code_labels()})


async def room_action(request: Request) -> Response:
    """The room page's forms: one POST per action, named in the path."""
    site, actor = current_site(request), actor_of(request)
    room = await get_in_site(request, Room, request.path_params["id"], "room")
    action = request.path_params["action"]
    kernel = request.app.state.tasks
    needed = {"housekeeping": "hotel.room.housekeeping", "check-in": "hotel.room.check_in",
              "check-out": "hotel.room.check_in", "service": "hotel.room.service",
              "observed": "hotel.room.observe", "damage": "hotel.damage.report",
              "do-not-disturb": "hotel.room.dnd", "service-refused": "hotel.room.dnd"}
    if action not in needed:
        raise Problem(404, _("Not found"))

    async def act(form: dict) -> None:
        if not can(request, needed[action]):
            raise Problem(403, _("You do not have the permission this needs (%(permission)s).",
                                 permission=needed[action]))
        versioned = action in ("housekeeping", "check-in", "check-out", "service", "do-not-disturb",
                               "service-refused")
        version = form_int(form, "version", required=True, hidden=True) if versioned else 0
        if action == "housekeeping":
            await services.set_housekeeping(kernel, room, form["status"], version, actor)
        elif action == "check-in":
            await services.check_in(kernel, site, room, version, actor, guest_name=form["guest_name"])
        elif action == "check-out":
            # Only from the confirmation (a form of an older page, or a second tab, asks first).
            if form["confirmed"] != "1":
                raise Problem(409, _("Confirm the check-out of room %(number)s.", number=room.number))
            await services.check_out(kernel, site, room, version, actor, acknowledge=form["acknowledge"] == "1")
        elif action == "service":
            until = None
            if form["until"]:
                try:
                    until = dt.date.fromisoformat(form["until"])
                except ValueError:
                    raise Problem(422, _("Give the date as YYYY-MM-DD.")) from None
            await services.set_service(kernel, room, form["service"], version, actor,
                                       reason=form["reason"], until=until)
        elif action == "observed":
            await services.observe(kernel, room, form["occupancy"], actor)
        elif action == "damage":
            await services.report_damage(kernel, site, room, form["description"],
                                         form["take_out_of_order"] == "1", actor)
        elif action in ("do-not-disturb", "service-refused"):
            await services.set_room_flag(kernel, room, action.replace("-", "_"), form["on"] == "1", version, actor)

    # The room page has one form per action: messages go on top.
    return await form_action(request, fields=ROOM_FIELDS, act=act, beside=(),
                             page=lambda errors, values, status: room_page(
                                 request, errors, status, confirm_check_out=action == "check-out"),
                             success_url=f"/sites/{site.code}/hotel/rooms/{room.id}")


#: What ticking "done" on the task sheet sets on the task's room: the room drives its tasks
#: (``services.drive_room_tasks``), so a clean finishes a cleaning task and "inspected"
#: closes an inspection. Other tasks are finished on their own page.
SHEET_DONE = {"hotel.departure_clean": "clean", "hotel.stay_over": "clean", "hotel.pickup": "clean",
              "hotel.inspection": "inspected"}


async def sheet(request: Request, errors: FormErrors | None = None, status_code: int = 200) -> Response:
    """An attendant's task sheet for the day: their open housekeeping tasks by room (printable)."""
    site, user = current_site(request), request.state.user
    people = await housekeepers(site.id)
    assignee_id = form_int(request.query_params, "assignee", lenient=True) or user.id
    if assignee_id != user.id and not can(request, "hotel.room.inspect"):
        assignee_id = user.id
    tasks = await Task.filter(site_id=site.id, assignee_id=assignee_id, is_open=True, type__startswith="hotel.") \
        .order_by("due_at")
    by_unit = {room.unit_id: room for room in await site_query(request, Room).filter(
        unit_id__in=[t.unit_id for t in tasks if t.unit_id])}
    kernel = request.app.state.tasks
    # A resolved cleaning task waits for the inspection: done on the attendant's side.
    rows = sorted(({"task": t, "room": by_unit.get(t.unit_id),
                    "done": t.type in kernel.types and t.status in kernel.types[t.type].workflow.resolved}
                   for t in tasks),
                  key=lambda row: (row["room"].floor if row["room"] else 999, row["room"].number if row["room"] else ""))
    return render(request, "hotel/sheet.html", {
        "site": site, "rows": rows, "people": people, "assignee_id": assignee_id,
        "assignee": next((p for p in people if p.id == assignee_id), user), "types": request.app.state.tasks.types,
        "today": services.local_today(site), "may_choose": can(request, "hotel.room.inspect"),
        "code_labels": code_labels(), "done_status": SHEET_DONE, "errors": errors or FormErrors(),
    }, status_code=status_code)


async def sheet_done(request: Request) -> Response:
    """The sheet's tick: the task's room becomes clean (or inspected) through the room's
    service, with the room's version the sheet showed (a stale sheet gets the message)."""
    site = current_site(request)

    async def act(form: dict) -> str:
        task = await site_query(request, Task).get_or_none(id=form_int(form, "task", required=True, hidden=True))
        room = (await site_query(request, Room).get_or_none(unit_id=task.unit_id)
                if task is not None and task.unit_id and task.type in SHEET_DONE else None)
        if room is None:
            raise Problem(422, _("This task is finished on its own page."))
        await services.set_housekeeping(request.app.state.tasks, room, SHEET_DONE[task.type],
                                        form_int(form, "version", required=True, hidden=True), actor_of(request))
        return form["assignee"]  # back to the sheet that was ticked

    return await form_action(request, fields=["task", "version", "assignee"], act=act, beside=(),
                             hidden=("task", "version"),
                             page=lambda errors, values, status: sheet(request, errors, status),
                             success_url=lambda assignee: _sheet_url(site.code, assignee))


def _sheet_url(site_code: str, assignee: str) -> str:
    return f"/sites/{site_code}/hotel/sheet" + (f"?assignee={assignee}" if assignee.isdigit() else "")


async def discrepancies(request: Request) -> Response:
    site = current_site(request)
    return render(request, "hotel/discrepancies.html", {"site": site,
                                                        "items": await services.discrepancies(site.id)})


async def stock_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                     status_code: int = 200) -> Response:
    site = current_site(request)
    blind = not can(request, "hotel.stocktake.approve")  # a location being counted is hidden
    items = await records.items_with_totals(site.id, hide_counting=blind)
    balances = await records.balances(site.id, hide_counting=blind)
    names = {item["id"]: item["name"] for item in items}
    return render(request, "hotel/stock.html", {
        "site": site, "items": items, "low": [i for i in items if i["low"]],
        "errors": errors or FormErrors(), "values": values or {},
        "balances": [{**b, "name": names.get(b["item_id"], "")} for b in balances],
        "may_move": can(request, "hotel.stock.move"),
    }, status_code=status_code)


async def stock_post(request: Request) -> Response:
    site = current_site(request)

    async def act(form: dict) -> None:
        item = await site_query(request, StockItem).get_or_none(
            id=form_int(form, "item_id", message=_("Choose an item.")) or 0)
        if item is None:
            raise Problem(422, _("Choose an item."))
        quantity = form_int(form, "quantity", required=True,
                            message=_("A whole number from 1 to %(max)s.", max=records.MAX_QUANTITY))
        await records.move_stock(site.id, item, actor_of(request), location=form["location"], kind=form["kind"],
                                 quantity=quantity, to_location=form["to_location"], reason=form["reason"])

    return await form_action(request, fields=["item_id", "kind", "quantity", "location", "to_location", "reason"],
                             act=act, beside=(), success_url=f"/sites/{site.code}/hotel/stock",
                             page=lambda errors, values, status: stock_page(request, errors, values, status))


async def hygiene_page(request: Request, errors: FormErrors | None = None, status_code: int = 200) -> Response:
    site = current_site(request)
    today = services.local_today(site)
    try:
        day = dt.date.fromisoformat(request.query_params.get("date", "")) if request.query_params.get("date") \
            else today
    except ValueError:
        day = today
    report = await records.hygiene_day(site.id, day)
    room_list = await site_query(request, Room).order_by("floor", "number").values("id", "number")
    return render(request, "hotel/hygiene.html", {"site": site, "report": report, "day": day, "today": today,
                                                   "rooms": room_list, "errors": errors or FormErrors(),
                                                   "may_write": can(request, "hotel.hygiene.write")},
                  status_code=status_code)


async def hygiene_post(request: Request) -> Response:
    site = current_site(request)

    async def act(form: dict) -> None:
        room = await site_query(request, Room).get_or_none(
            id=form_int(form, "room_id", message=_("Choose a room.")) or 0)
        if room is None:
            raise Problem(422, _("Choose a room."))
        aired = form_int(form, "aired_times", message=_("A whole number from 0 to 6.")) or 0
        today = services.local_today(site)
        await records.record_hygiene(site.id, room, actor_of(request), date=today,
                                     linen_changed=form["linen_changed"] == "1",
                                     cups_disinfected=form["cups_disinfected"] == "1",
                                     bathroom_cleaned=form["bathroom_cleaned"] == "1", aired_times=aired,
                                     today=today)

    return await form_action(request, fields=["room_id", "aired_times", "linen_changed", "cups_disinfected",
                                              "bathroom_cleaned"], act=act, beside=(),
                             page=lambda errors, values, status: hygiene_page(request, errors, status),
                             success_url=f"/sites/{site.code}/hotel/hygiene")


async def import_page(request: Request, report: dict | None = None, error: str | None = None, text: str = "",
                      status_code: int = 200) -> Response:
    return render(request, "hotel/import.html", {"site": current_site(request), "report": report, "text": text,
                                                 "errors": FormErrors(general=[error] if error else [])},
                  status_code=status_code)


async def import_post(request: Request) -> Response:
    form = await request.form()
    text = str(form.get("csv", ""))
    upload = form.get("file")
    try:
        if upload is not None and hasattr(upload, "read"):
            raw = await upload.read()
            if raw:  # CSV in UTF-8, Big5 or GB18030, or XLSX: core reads each
                text = rooms.uploaded_csv(request.app.state.host, raw)
        if not text.strip():
            return await import_page(request, error=_("Paste the CSV or choose a file."), status_code=422)
        report = await rooms.import_rooms(request.app.state.tasks, current_site(request), text, actor_of(request),
                                          apply=form.get("apply") == "1", skip_bad_rows=form.get("skip") == "1")
    except Problem as problem:
        return await import_page(request, problem.extra.get("report"), problem.detail, text, problem.status)
    return await import_page(request, report, None, "" if report["applied"] else text)


async def requests_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                        status_code: int = 200) -> Response:
    """Guest requests with their rooms by number, and the form that sends one to the floor."""
    site = current_site(request)
    params = request.query_params
    room_filter = (params.get("room") or "").strip()[:20]
    room = await site_query(request, Room).get_or_none(number=room_filter) if room_filter else None
    items = [] if room_filter and room is None else await services.guest_requests(
        site.id, room=room, open_only=params.get("open") == "1")
    people = {user.id: user.display_name or user.username for user in await User.filter(
        id__in=list({item["assignee_id"] for item in items if item["assignee_id"]}))}
    return render(request, "hotel/requests.html", {
        "site": site, "items": items, "names": people, "room_filter": room_filter,
        "open_only": params.get("open") == "1", "errors": errors or FormErrors(),
        "values": values or {"priority": "normal"}, "priorities": list(PRIORITY_LABELS.items()),
        "states": {state: str(label) for state, label in STATE_LABELS.items()},
        "may_create": can(request, "core.task.create"), "cover": await services.section_cover(site),
    }, status_code=status_code)


async def requests_post(request: Request) -> Response:
    """The same service as ``POST /api/v1/sites/{site}/hotel/guest-requests``."""
    site = current_site(request)

    async def act(body: GuestRequestIn):
        room = await services.room_by_number(site.id, body.room, body.room_id)
        return await services.create_guest_request(request.app.state.tasks, site, room, actor_of(request),
                                                   title=body.title, description=body.description,
                                                   priority=body.priority)

    return await form_action(request, fields=["room", "title", "description", "priority"], schema=GuestRequestIn,
                             act=act, page=lambda errors, values, status: requests_page(request, errors, values,
                                                                                        status),
                             success_url=f"/sites/{site.code}/hotel/requests")


# --- the floors: damage reports, the daily work report, sections ---------------------------------


def _date_param(params, name: str, errors: FormErrors) -> dt.date | None:
    text = (params.get(name) or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.fields[name] = _("Give the date as YYYY-MM-DD.")
        return None


async def damage_page(request: Request) -> Response:
    """Damage reports with the filters of the API list (room, status, from, to), newest first."""
    from core.web.pagination import PageQuery, paginate

    site, params = current_site(request), request.query_params
    errors = FormErrors()
    filters = {"room": (params.get("room") or "").strip()[:20], "status": params.get("status") or "",
               "from": (params.get("from") or "").strip()[:10], "to": (params.get("to") or "").strip()[:10]}
    start, end = _date_param(params, "from", errors), _date_param(params, "to", errors)
    page = {"items": [], "next_cursor": None}
    if not errors:
        try:
            room = await services.room_by_number(site.id, filters["room"]) if filters["room"] else None
            rows = floor_work.damage_reports_query(site, room=room, status=filters["status"] or None, start=start,
                                                   end=end)
            query = PageQuery(limit=50, cursor=(params.get("cursor") or None))
            page = await paginate(rows, query, lambda report: report, descending=True)
            page["items"] = await floor_work.damage_items(site, page["items"])
        except Problem as problem:
            from core.web.forms import problem_errors

            errors = problem_errors(problem, ["room", "status", "from", "to"], {"start": "from", "end": "to"})
    states = {state: str(label) for state, label in STATE_LABELS.items()}
    return render(request, "hotel/damage.html", {
        "site": site, "filters": filters, "errors": errors, "items": page["items"],
        "next_cursor": page["next_cursor"], "states": states, "statuses": floor_work.TASK_STATUSES,
    }, status_code=422 if errors else 200)


async def work_report_page(request: Request) -> Response:
    """The daily work report (工作日報表): per attendant and floor, with downloads."""
    site, params = current_site(request), request.query_params
    errors = FormErrors()
    day = _date_param(params, "date", errors) or services.local_today(site)
    attendant_id = form_int(params, "attendant", lenient=True)
    floor = form_int(params, "floor", signed=True, lenient=True)
    try:
        report = await floor_work.work_report(site, day, attendant_id=attendant_id, floor=floor)
    except Problem as problem:
        from core.web.forms import problem_errors

        # The filter the service refused is shown with its message; the report without it.
        found = problem_errors(problem, ["floor", "attendant"], {"attendant_id": "attendant"})
        errors.fields.update(found.fields)
        errors.general.extend(found.general)
        report = await floor_work.work_report(site, day, attendant_id=None if "attendant" in found.fields
                                              else attendant_id, floor=None if "floor" in found.fields else floor)
    people = await housekeepers(site.id)
    cached = await boards.attach(request.app).board(site.id)
    return render(request, "hotel/work_report.html", {
        "site": site, "report": report, "day": day, "attendant_id": attendant_id, "floor": floor,
        "people": people, "all_floors": cached.floors, "errors": errors,
        "types": request.app.state.tasks.types,
    }, status_code=422 if errors else 200)


async def sections_page(request: Request, errors: FormErrors | None = None, status_code: int = 200) -> Response:
    """Which attendant attends which section; a supervisor changes them here."""
    site = current_site(request)
    board_ = await floor_work.section_board(site)
    return render(request, "hotel/sections.html", {
        "site": site, "board": board_, "errors": errors or FormErrors(),
        "names": {p["id"]: p["name"] for p in board_["attendants"]},
        "may_assign": can(request, "hotel.section.assign"),
    }, status_code=status_code)


async def sections_post(request: Request) -> Response:
    """One attendant's sections (the same service as ``PUT .../sections/attendants/{id}``)."""
    site = current_site(request)
    form = await request.form()
    sections = [str(value) for value in form.getlist("sections")]

    async def act(values: dict) -> None:
        user_id = form_int(values, "user_id", required=True, hidden=True)
        version = form_int(values, "version", hidden=True)
        await floor_work.assign_sections(site, user_id, sections, actor_of(request), version=version)

    return await form_action(request, fields=["user_id", "version"], act=act, beside=(),
                             page=lambda errors, values, status: sections_page(request, errors, status),
                             success_url=f"/sites/{site.code}/hotel/sections")


def routes():
    room = f"{BASE}/rooms/{{id:int}}"
    return [
        page_route(f"{BASE}/damage", damage_page, permission="hotel.room.read"),
        page_route(f"{BASE}/work-report", work_report_page, permission="hotel.report.read"),
        page_route(f"{BASE}/sections", sections_page, permission="hotel.room.read"),
        page_route(f"{BASE}/sections", sections_post, permission="hotel.section.assign", methods=["POST"]),
        page_route(f"{BASE}/", board, permission="hotel.room.read"),
        page_route(f"{BASE}/rooms/status", bulk_status, permission="hotel.room.housekeeping", methods=["POST"]),
        page_route(room, room_page, permission="hotel.room.read"),
        page_route(f"{room}/check-out", check_out_confirmation, permission="hotel.room.check_in"),
        page_route(f"{room}/{{action}}", room_action, permission="hotel.room.read", methods=["POST"]),
        page_route(f"{BASE}/sheet", sheet, permission="hotel.room.housekeeping"),
        page_route(f"{BASE}/sheet/done", sheet_done, permission="hotel.room.housekeeping", methods=["POST"]),
        page_route(f"{BASE}/discrepancies", discrepancies, permission="hotel.room.read"),
        page_route(f"{BASE}/stock", stock_page, permission="hotel.stock.read"),
        page_route(f"{BASE}/stock", stock_post, permission="hotel.stock.move", methods=["POST"]),
        page_route(f"{BASE}/hygiene", hygiene_page, permission="hotel.hygiene.read"),
        page_route(f"{BASE}/hygiene", hygiene_post, permission="hotel.hygiene.write", methods=["POST"]),
        page_route(f"{BASE}/requests", requests_page, permission="hotel.room.read"),
        page_route(f"{BASE}/requests", requests_post, permission="core.task.create", methods=["POST"]),
        page_route(f"{BASE}/import", import_page, permission="hotel.room.edit"),
        page_route(f"{BASE}/import", import_post, permission="hotel.room.edit", methods=["POST"]),
    ]
