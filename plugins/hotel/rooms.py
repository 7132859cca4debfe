"""Creating rooms, one at a time or from a spreadsheet (``plugins.hotel.importers``).

A room is also a core ``Unit`` (kind ``room``) so that tasks about it name it. A room's
fields are declared once, as import columns (``COLUMNS``): the single create checks its
fields with the same parsers an import runs on every cell. ``import_rooms`` is the older
CSV endpoint's service; it runs the ``hotel.rooms`` importer and keeps its report's shape.
"""

from __future__ import annotations

import re
from typing import Any

from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import utcnow
from core.entities.models import Site, Unit
from core.events import LiveEvent
from core.i18n import N_
from core.i18n import gettext as _
from core.exports import csv_text
from core.imports import BATCH, CellError, Column, cells, readers
from core.imports import services as imports
from core.problems import Problem, invalid
from plugins.hotel.models import HOUSEKEEPING, OCCUPANCY, SERVICE, Room, RoomEvent
from plugins.hotel.services import room_code

NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{0,19}$")
#: The live event of new rooms (boards drop their cached rooms on it; see ``board``).
ROOMS_ADDED = "hotel.rooms.added"
#: The importer the older CSV endpoint runs (``plugins.hotel.importers``).
KEY = "hotel.rooms"


def _number(text: str) -> str:
    if not NUMBER.match(text):
        raise CellError(_("Use 1 to 20 letters, digits or hyphens."))
    return text


def _floor(text: str) -> int:
    try:
        return cells.integer(-5, 200)(text)
    except CellError:
        raise CellError(_("A whole number between -5 and 200.")) from None


#: A room's fields, as the import reads them and the single create checks them. Status
#: words are accepted in Chinese too (a front office's own sheet says 空房, not vacant).
COLUMNS = (
    Column("number", N_("Room number"), aliases=("房號", "房号", "room", "房間", "房间"), required=True, parse=_number),
    Column("floor", N_("Floor"), aliases=("樓層", "楼层", "樓", "楼"), required=True, parse=_floor),
    Column("room_type", N_("Room type"), aliases=("房型", "房間類型", "房间类型", "type"), parse=cells.text(40)),
    Column("section", N_("Section"), aliases=("區域", "区域", "分區", "分区"), parse=cells.text(40)),
    Column("occupancy", N_("Occupancy"), aliases=("住房狀態", "住房状态"), default="vacant",
           parse=cells.choice(OCCUPANCY, {"空房": "vacant", "住客": "occupied", "在住": "occupied"})),
    Column("housekeeping", N_("Housekeeping"), aliases=("房務狀態", "客房状态", "清潔狀態", "清洁状态"), default="dirty",
           parse=cells.choice(HOUSEKEEPING, {"髒": "dirty", "脏": "dirty", "待清潔": "pickup", "待清洁": "pickup",
                                             "乾淨": "clean", "干净": "clean", "已檢查": "inspected",
                                             "已检查": "inspected"})),
    Column("service", N_("Service"), aliases=("服務狀態", "服务状态"), default="in_service",
           parse=cells.choice(SERVICE, {"可售": "in_service", "維修": "out_of_order", "维修": "out_of_order",
                                        "停用": "out_of_service"})),
)
FIELDS = [column.key for column in COLUMNS]


def check_room(row: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """A room's fields cleaned, and the problems found (``[{field, message}]``), by the
    import's own parsers (a required field is parsed even when empty, for its message)."""
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {}
    for column in COLUMNS:
        value = row.get(column.key)
        text = "" if value is None else str(value).strip()
        if not text and not column.required:
            clean[column.key] = column.default
            continue
        try:
            clean[column.key] = column.parse(text)
        except CellError as error:
            errors.append({"field": column.key, "message": str(error)})
            clean[column.key] = None if column.key == "floor" else text
    return clean, errors


async def _insert(site: Site, rows: list[dict[str, Any]], actor: Actor, kind: str) -> list[Room]:
    """Bulk-insert rooms (numbers checked free) with their units and first events.

    A unit of the room's number already at the site is the room's unit; others are
    created. A large import reads back by site, not by ``number IN (...)``, which would
    pass thousands of parameters to one statement."""
    now = utcnow()
    numbers = {row["number"] for row in rows}
    few = len(numbers) <= BATCH
    units = Unit.filter(site_id=site.id, **({"code__in": list(numbers)} if few else {}))
    existing_units = set(await units.values_list("code", flat=True))
    new_units = [Unit(site_id=site.id, code=row["number"], kind="room", floor=str(row["floor"]), name=row["room_type"])
                 for row in rows if row["number"] not in existing_units]
    if new_units:
        await Unit.bulk_create(new_units, batch_size=BATCH)
    unit_ids = {code: unit_id for code, unit_id in await units.values_list("code", "id") if code in numbers}
    rooms = [Room(site_id=site.id, unit_id=unit_ids.get(row["number"]), number=row["number"], floor=row["floor"],
                  room_type=row["room_type"], section=row["section"], occupancy=row["occupancy"],
                  housekeeping=row["housekeeping"], service=row["service"],
                  code=room_code(row["occupancy"], row["housekeeping"], row["service"]),
                  oos_reason=_("Imported out of service") if row["service"] != "in_service" else "")
             for row in rows]
    await Room.bulk_create(rooms, batch_size=BATCH)
    stored = Room.filter(site_id=site.id, **({"number__in": list(numbers)} if few else {})).order_by("id")
    created = [room for room in await stored if room.number in numbers]
    await RoomEvent.bulk_create([
        RoomEvent(site_id=site.id, room_id=room.id, at=now, actor_id=actor.user_id, kind=kind,
                  occupancy=room.occupancy, housekeeping=room.housekeeping, service=room.service, code=room.code)
        for room in created], batch_size=BATCH)
    return created


async def _announce(bus, site: Site, count: int) -> None:
    await bus.publish(LiveEvent(site_id=site.id, name=ROOMS_ADDED, data={"count": count},
                                permission="hotel.room.read"))


async def create_room(kernel, site: Site, data: dict[str, Any], actor: Actor) -> Room:
    clean, errors = check_room(data)
    if errors:
        raise Problem(422, _("Invalid fields: %(fields)s", fields=", ".join(e["field"] for e in errors)),
                      errors=errors)
    if await Room.filter(site_id=site.id, number=clean["number"]).exists():
        raise invalid("number", _("Room %(number)s already exists.", number=clean["number"]))
    async with in_transaction():
        (room,) = await _insert(site, [clean], actor, "created")
        await audit.record("hotel.room.create", actor=actor.user, site_id=site.id, object_type="hotel.room",
                           object_id=room.id, after=clean, client_address=actor.client_address)
    await _announce(kernel.bus, site, 1)
    return room


async def import_rooms(kernel, site: Site, text: str, actor: Actor, *, apply: bool,
                       skip_bad_rows: bool) -> dict[str, Any]:
    """The older CSV endpoint: the ``hotel.rooms`` importer's checks, reported as this
    endpoint always did (``line``, ``number``, ``field``). Writes only with ``apply`` and
    either no bad rows or ``skip_bad_rows`` (the explicit consent to import only the good
    rows: the good rows are written back as CSV and imported, all or nothing)."""
    data = text.encode("utf-8")
    try:
        checked = await imports.run_import(kernel.host, KEY, site, data, actor=actor, dry_run=True, encoding="utf-8")
    except Problem as problem:
        raise _as_csv_problem(problem) from None
    sheet = readers.read(data, encoding="utf-8", max_rows=imports.MAX_ROWS, score_header=lambda header: 0)
    lines = list(enumerate(sheet.rows, start=2))
    at = sheet.header.index(checked.columns["number"])
    numbers = {line: cells[at] if at < len(cells) else "" for line, cells in lines}
    keys = {header: key for key, header in checked.columns.items()}
    bad = [{"line": error["row"], "number": numbers.get(error["row"], ""),
            "field": keys.get(error["column"], error["column"]), "message": error["message"]}
           for error in checked.errors]
    bad_lines = {error["line"] for error in bad}
    report = {"rows": checked.rows, "valid": checked.rows - len(bad_lines), "invalid": len(bad_lines), "errors": bad,
              "created": 0, "applied": False}
    if not apply:
        return report
    if bad and not skip_bad_rows:
        raise Problem(422, _("%(count)s rows have errors; nothing was imported. Fix them, or import only the "
                             "valid rows.", count=len(bad_lines)), report=report,
                      errors=[{"field": f"csv.line{e['line']}.{e['field']}", "message": e["message"]} for e in bad])
    if report["valid"]:
        if bad:
            good = [cells for line, cells in lines if line not in bad_lines and any(cells)]
            data = csv_text([sheet.header, *good]).encode("utf-8")
        try:
            done = await imports.run_import(kernel.host, KEY, site, data, actor=actor, dry_run=False, encoding="utf-8")
        except Problem as problem:
            raise _as_csv_problem(problem) from None
        await _announce(kernel.bus, site, done.created)
        report["created"] = done.created
    report["applied"] = True
    return report


def uploaded_csv(host, data: bytes) -> str:
    """An uploaded file (CSV in UTF-8, Big5 or GB18030, or XLSX: whatever core reads) as
    the CSV text the older form works on, so the form shows it and checks then imports
    the same rows. Blank rows are kept, so row numbers stay those of the file."""
    try:
        sheet = readers.read(data, encoding=None, max_rows=imports.MAX_ROWS,
                             score_header=imports.header_score(imports.find(host, KEY)))
        return csv_text([sheet.header, *sheet.rows])
    except Problem as problem:
        raise _as_csv_problem(problem) from None


def _as_csv_problem(problem: Problem) -> Problem:
    """A file refused by core (no header, a missing column) as this endpoint named it: ``csv``."""
    if problem.errors and all(error.get("field") == "file" for error in problem.errors):
        return invalid("csv", problem.detail)
    return problem
