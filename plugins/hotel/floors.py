"""What the floors read and arrange: the damage reports list, the daily work report
(工作日報表) per attendant and floor, and the supervisor's section assignment.

The work report counts in SQL (GROUP BY per attendant and floor); only the cleaned rooms
are listed one by one, with their times. A room's floor comes from its core unit (the
unit a room's tasks name), so the counts need no join outside the ORM.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Subquery
from tortoise.functions import Count, Sum

from core.actors import Actor
from core.clock import local_day_bounds, rfc3339
from core.entities.models import Site
from core.i18n import gettext as _
from core.identity.models import User
from core.identity.services import members_with_role, set_skills
from core.problems import invalid
from core.web.access import MAX_INT_ID
from core.tasks.models import Task, TaskEvent
from plugins.hotel.models import DamageReport, HygieneRecord, Room, RoomEvent, StockItem, StockMovement
from plugins.hotel import services
from plugins.hotel.services import CLEANING_TYPES, INSPECTION_FAILED, SECTION_TAG  # noqa: F401 (read from here too)

#: The floors a room's unit can hold (its floor is text of at most 10 characters).
MIN_FLOOR, MAX_FLOOR = -99_999_999, 999_999_999

#: Task statuses a damage report's list filters by (its maintenance task's).
TASK_STATUSES = ("open", "in_progress", "waiting", "resolved", "closed", "cancelled")


# --- damage reports ---------------------------------------------------------------------------------


def _period(site: Site, start: dt.date | None, end: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``from``..``to`` (site-local days, both included) as UTC instants; 422 naming ``to``."""
    if start and end and end < start:
        raise invalid("to", _("The end date is before the start date."))
    low = local_day_bounds(site, start)[0] if start else None
    high = local_day_bounds(site, end)[1] if end else None
    return low, high


def damage_reports_query(site: Site, *, room: Room | None = None, status: str | None = None,
                         start: dt.date | None = None, end: dt.date | None = None):
    """The site's damage reports narrowed by room, its task's status and the local dates."""
    if status is not None and status not in TASK_STATUSES:
        raise invalid("status", _("Use one of: %(values)s.", values=", ".join(TASK_STATUSES)))
    rows = DamageReport.filter(site_id=site.id)
    if room is not None:
        rows = rows.filter(room_id=room.id)
    if status:
        rows = rows.filter(task_id__in=Subquery(Task.filter(site_id=site.id, status=status).values("id")))
    low, high = _period(site, start, end)
    if low is not None:
        rows = rows.filter(created_at__gte=low)
    if high is not None:
        rows = rows.filter(created_at__lt=high)
    return rows


async def damage_items(site: Site, reports: list[DamageReport]) -> list[dict[str, Any]]:
    """A page of reports as the API shows them: the room by number, the task's status, who
    reported (two queries for the page, whatever its size)."""
    rooms = {r["id"]: r for r in await Room.filter(id__in=list({d.room_id for d in reports}))
             .values("id", "number", "floor")}
    tasks = dict(await Task.filter(site_id=site.id, id__in=[d.task_id for d in reports if d.task_id])
                 .values_list("id", "status"))
    people = {u.id: u.display_name or u.username for u in await User.filter(
        id__in=list({d.reported_by_id for d in reports if d.reported_by_id}))}
    zone = ZoneInfo(site.timezone)
    return [{"id": d.id, "room_id": d.room_id, "room": rooms.get(d.room_id, {}).get("number"),
             "floor": rooms.get(d.room_id, {}).get("floor"), "description": d.description,
             "took_out_of_order": d.took_out_of_order, "task_id": d.task_id, "status": tasks.get(d.task_id),
             "reported_by": d.reported_by_id, "reported_by_name": people.get(d.reported_by_id),
             "created_at": rfc3339(d.created_at),
             "created_local": d.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")} for d in reports]


# --- the daily work report --------------------------------------------------------------------------


def _floor(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


async def work_report(site: Site, day: dt.date, *, attendant_id: int | None = None,
                      floor: int | None = None) -> dict[str, Any]:
    """Per attendant and floor, the site-local ``day``: rooms cleaned (cleaning tasks
    resolved that day, with when work began and ended, local), inspections failed (the
    supervisor's ``inspection_failed`` room changes, for the attendant whose clean went
    back), damage reported, hygiene records; and per
    attendant the stock consumed (``consume`` movements; they name a location, not a floor,
    so ``floor`` does not narrow them)."""
    if floor is not None and not MIN_FLOOR <= floor <= MAX_FLOOR:
        # A room's unit keeps its floor as text of at most 10 characters: a floor past that
        # is no floor at all (and the lookup would fail), for the page as for the API.
        raise invalid("floor", _("No floor %(floor)s here.", floor=floor))
    if attendant_id is not None and not 0 < attendant_id <= MAX_INT_ID:
        raise invalid("attendant_id", _("No attendant %(id)s at this site.", id=attendant_id))
    low, high = local_day_bounds(site, day)
    zone = ZoneInfo(site.timezone)
    cleaned = Task.filter(site_id=site.id, type__in=list(CLEANING_TYPES), resolved_at__gte=low,
                          resolved_at__lt=high)
    # Failed inspections are the supervisor's ``inspection_failed`` room changes (not every
    # reopened clean: an attendant may reopen their own), each counted for the attendant of
    # the clean it sent back (nobody's when there was none).
    failed = RoomEvent.filter(site_id=site.id, kind="inspection_failed", at__gte=low, at__lt=high)
    sent_back = {(event["data"] or {}).get("room_event_id"): event["task__assignee_id"]
                 for event in await TaskEvent.filter(site_id=site.id, kind=INSPECTION_FAILED, at__gte=low,
                                                     at__lt=high).values("data", "task__assignee_id")}
    damage = DamageReport.filter(site_id=site.id, created_at__gte=low, created_at__lt=high)
    hygiene = HygieneRecord.filter(site_id=site.id, date=day)
    consumed = StockMovement.filter(site_id=site.id, kind="consume", at__gte=low, at__lt=high)
    if attendant_id is not None:
        cleaned = cleaned.filter(assignee_id=attendant_id)
        failed = failed.filter(id__in=[event_id for event_id, person in sent_back.items()
                                       if event_id is not None and person == attendant_id])
        damage = damage.filter(reported_by_id=attendant_id)
        hygiene = hygiene.filter(recorded_by_id=attendant_id)
        consumed = consumed.filter(actor_id=attendant_id)
    if floor is not None:
        cleaned = cleaned.filter(unit__floor=str(floor))
        failed = failed.filter(room__floor=floor)
        damage = damage.filter(room__floor=floor)
        hygiene = hygiene.filter(room__floor=floor)

    rows: dict[tuple[int | None, int | None], dict[str, Any]] = {}

    def row(person: int | None, at_floor: Any) -> dict[str, Any]:
        key = (person, _floor(at_floor))
        if key not in rows:
            rows[key] = {"attendant_id": person, "floor": key[1], "rooms_cleaned": 0, "rooms": [],
                         "inspections_failed": 0, "damage_reported": 0, "hygiene_records": 0}
        return rows[key]

    for task in await cleaned.order_by("resolved_at", "id").values(
            "id", "assignee_id", "type", "unit__floor", "unit__code", "first_response_at", "created_at",
            "resolved_at"):
        began = task["first_response_at"] or task["created_at"]
        entry = row(task["assignee_id"], task["unit__floor"])
        entry["rooms_cleaned"] += 1
        entry["rooms"].append({"task_id": task["id"], "room": task["unit__code"], "type": task["type"],
                               "started_at": rfc3339(began), "finished_at": rfc3339(task["resolved_at"]),
                               "started_local": began.astimezone(zone).strftime("%H:%M"),
                               "finished_local": task["resolved_at"].astimezone(zone).strftime("%H:%M"),
                               "minutes": int((task["resolved_at"] - began).total_seconds() // 60)})
    for event_id, at_floor in await failed.values_list("id", "room__floor"):
        row(sent_back.get(event_id), at_floor)["inspections_failed"] += 1
    for person, at_floor, count in await damage.annotate(n=Count("id")).group_by(
            "reported_by_id", "room__floor").values_list("reported_by_id", "room__floor", "n"):
        row(person, at_floor)["damage_reported"] += count
    for person, at_floor, count in await hygiene.annotate(n=Count("id")).group_by(
            "recorded_by_id", "room__floor").values_list("recorded_by_id", "room__floor", "n"):
        row(person, at_floor)["hygiene_records"] += count
    stock_rows = await consumed.annotate(total=Sum("quantity")).group_by("actor_id", "item_id", "location") \
        .values_list("actor_id", "item_id", "location", "total")
    items = {i["id"]: i for i in await StockItem.filter(id__in=list({r[1] for r in stock_rows}))
             .values("id", "code", "name", "unit")}

    people_ids = {key[0] for key in rows} | {r[0] for r in stock_rows}
    names = {u.id: u.display_name or u.username for u in await User.filter(
        id__in=[p for p in people_ids if p is not None])}
    attendants: dict[int | None, dict[str, Any]] = {}
    for person in sorted(people_ids, key=lambda p: (p is None, names.get(p, ""), p or 0)):
        attendants[person] = {"attendant_id": person, "name": names.get(person) if person else None,
                              "floors": [], "stock": []}
    for key in sorted(rows, key=lambda k: (k[1] is None, k[1] or 0)):
        attendants[key[0]]["floors"].append(rows[key])
    for person, item_id, location, total in sorted(stock_rows, key=lambda r: (r[2], r[1])):
        item = items.get(item_id, {})
        attendants[person]["stock"].append({"item_id": item_id, "code": item.get("code"), "name": item.get("name"),
                                            "unit": item.get("unit"), "location": location,
                                            "quantity": int(total or 0)})
    totals = {name: sum(r[name] for r in rows.values())
              for name in ("rooms_cleaned", "inspections_failed", "damage_reported", "hygiene_records")}
    totals["stock_consumed"] = sum(int(r[3] or 0) for r in stock_rows)
    return {"date": day.isoformat(), "timezone": site.timezone, "attendant_id": attendant_id, "floor": floor,
            "attendants": list(attendants.values()), "totals": totals}


def work_tables(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The report as spreadsheet sheets (``core.exports``): per attendant and floor, the
    cleaned rooms one a line, and the stock consumed."""
    summary = [[a["name"] or "", f["floor"], f["rooms_cleaned"], f["inspections_failed"], f["damage_reported"],
                f["hygiene_records"]] for a in report["attendants"] for f in a["floors"]]
    rooms = [[a["name"] or "", f["floor"], r["room"], r["type"], r["started_local"], r["finished_local"],
              r["minutes"]] for a in report["attendants"] for f in a["floors"] for r in f["rooms"]]
    stock = [[a["name"] or "", s["code"], s["name"], s["location"], s["quantity"]]
             for a in report["attendants"] for s in a["stock"]]
    return [
        (_("Work report"), [_("Attendant"), _("Floor"), _("Rooms cleaned"), _("Inspections failed"),
                            _("Damage reported"), _("Hygiene records")], summary),
        (_("Rooms cleaned"), [_("Attendant"), _("Floor"), _("Room"), _("Type"), _("Started"), _("Finished"),
                              _("Minutes")], rooms),
        (_("Stock consumed"), [_("Attendant"), _("Code"), _("Item"), _("Location"), _("Quantity")], stock),
    ]


def work_csv(report: dict[str, Any]) -> str:
    """One CSV: each table after its title and headers, a blank line between."""
    from core.exports import csv_text

    lines: list[list[Any]] = []
    for title, headers, rows in work_tables(report):
        if lines:
            lines.append([])
        lines.extend([[title], headers, *rows])
    return csv_text(lines)


# --- sections ----------------------------------------------------------------------------------------


def sections_of(user: User | None, site_code: str) -> list[str]:
    """The sections a user attends at the site (``services.sections_of``)."""
    return services.sections_of(user, site_code)


async def site_sections(site_id: int) -> list[str]:
    return sorted(set(await Room.filter(site_id=site_id).exclude(section="").values_list("section", flat=True)))


async def section_board(site: Site) -> dict[str, Any]:
    """The site's sections with their attendants, and every attendant with their sections."""
    sections = await site_sections(site.id)
    users = await members_with_role(site.id, "housekeeper")
    people = [{"id": u.id, "name": u.display_name or u.username, "sections": sections_of(u, site.code),
               "version": u.version}
              for u in users]
    return {"sections": [{"section": s, "attendants": [p["id"] for p in people if s in p["sections"]]}
                         for s in sections],
            "attendants": people}


async def assign_sections(site: Site, user_id: int, sections: list[str], actor: Actor, *,
                          version: int | None = None) -> User:
    """Give an attendant of the site exactly ``sections`` (of the site's rooms): their
    ``section:<site code>:`` skills are replaced, their other skills kept (other sites'
    sections too); a plain ``section:<name>`` this site reads is replaced as well, and kept
    as ``section:<other site>:<name>`` for each other hotel of theirs with that section;
    through core's identity
    service (the cached user is forgotten everywhere), audited as ``hotel.section.assign``
    at the site."""
    attendants = {u.id: u for u in await members_with_role(site.id, "housekeeper")}
    user = attendants.get(user_id)
    if user is None:
        raise invalid("user_id", _("No attendant %(id)s at this site.", id=user_id))
    wanted = sorted({str(s).strip() for s in sections if str(s).strip()})
    known = set(await site_sections(site.id))
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise invalid("sections", _("No section %(sections)s here.", sections=", ".join(unknown)))
    # Sections of other sites' rooms (an attendant of two hotels) are not this site's to take away.
    kept, plain = [], []
    for skill in user.skills or []:
        parts = services._section_parts(skill)
        if parts is not None and parts[0] == site.code:
            continue
        if parts is not None and parts[0] is None and parts[1] in known:
            plain.append(parts[1])
            continue
        kept.append(skill)
    if plain:  # the plain tags other hotels of theirs read stay theirs, by name
        for other in await Site.filter(kind=site.kind).exclude(id=site.id):
            if user.id not in {u.id for u in await members_with_role(other.id, "housekeeper")}:
                continue
            theirs = set(await site_sections(other.id))
            kept += [services.section_skill(other.code, name) for name in plain
                     if name in theirs and services.section_skill(other.code, name) not in kept]
    skills = kept + [services.section_skill(site.code, s) for s in wanted]
    if len(skills) > 20:
        raise invalid("sections", _("At most %(count)s skills per person.", count=20))
    return await set_skills(user, skills, version=version, actor=actor, site_id=site.id,
                            action="hotel.section.assign")


def board_sections(user: User | None, site_sections_: list[str], site_code: str) -> list[str]:
    """The user's sections among the site's: "my rooms" (empty: the whole board)."""
    return [s for s in sections_of(user, site_code) if s in site_sections_]

