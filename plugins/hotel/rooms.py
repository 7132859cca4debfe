"""Creating rooms, one at a time or from a CSV file with a validation report.

A room is also a core ``Unit`` (kind ``room``) so that tasks about it name it. The CSV
import checks every row first; with bad rows it writes nothing unless the caller
consents to importing only the good ones.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import utcnow
from core.entities.models import Site, Unit
from core.events import LiveEvent
from core.i18n import gettext as _
from core.problems import Problem, invalid
from plugins.hotel.models import HOUSEKEEPING, OCCUPANCY, SERVICE, Room, RoomEvent
from plugins.hotel.services import room_code

NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{0,19}$")
COLUMNS = ("number", "floor", "room_type", "section")
OPTIONAL = ("occupancy", "housekeeping", "service")
MAX_ROWS = 5000
#: The live event of new rooms (boards drop their cached rooms on it; see ``board``).
ROOMS_ADDED = "hotel.rooms.added"


def check_room(row: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """A room's fields cleaned, and the problems found (``[{field, message}]``)."""
    errors: list[dict[str, str]] = []
    number = str(row.get("number") or "").strip()
    if not NUMBER.match(number):
        errors.append({"field": "number", "message": _("Use 1 to 20 letters, digits or hyphens.")})
    floor_text = str(row.get("floor") if row.get("floor") is not None else "").strip()
    floor = None
    try:
        floor = int(floor_text)
        if not -5 <= floor <= 200:
            raise ValueError
    except ValueError:
        errors.append({"field": "floor", "message": _("A whole number between -5 and 200.")})
    room_type = str(row.get("room_type") or "").strip()
    section = str(row.get("section") or "").strip()
    if len(room_type) > 40:
        errors.append({"field": "room_type", "message": _("At most %(count)s characters.", count=40)})
    if len(section) > 40:
        errors.append({"field": "section", "message": _("At most %(count)s characters.", count=40)})
    clean = {"number": number, "floor": floor, "room_type": room_type, "section": section}
    for name, allowed, default in (("occupancy", OCCUPANCY, "vacant"), ("housekeeping", HOUSEKEEPING, "dirty"),
                                   ("service", SERVICE, "in_service")):
        value = str(row.get(name) or "").strip() or default
        if value not in allowed:
            errors.append({"field": name, "message": _("Use one of: %(values)s.", values=", ".join(allowed))})
        clean[name] = value
    return clean, errors


async def _insert(site: Site, rows: list[dict[str, Any]], actor: Actor, kind: str) -> list[Room]:
    now = utcnow()
    units = [Unit(site_id=site.id, code=row["number"], kind="room", floor=str(row["floor"]),
                  name=row["room_type"]) for row in rows]
    existing_units = {u.code: u for u in await Unit.filter(site_id=site.id, code__in=[r["number"] for r in rows])}
    new_units = [u for u in units if u.code not in existing_units]
    if new_units:
        await Unit.bulk_create(new_units, batch_size=500)
    unit_ids = dict(await Unit.filter(site_id=site.id, code__in=[r["number"] for r in rows])
                    .values_list("code", "id"))
    rooms = [Room(site_id=site.id, unit_id=unit_ids.get(row["number"]), number=row["number"], floor=row["floor"],
                  room_type=row["room_type"], section=row["section"], occupancy=row["occupancy"],
                  housekeeping=row["housekeeping"], service=row["service"],
                  code=room_code(row["occupancy"], row["housekeeping"], row["service"]),
                  oos_reason=_("Imported out of service") if row["service"] != "in_service" else "")
             for row in rows]
    await Room.bulk_create(rooms, batch_size=500)
    created = await Room.filter(site_id=site.id, number__in=[r["number"] for r in rows])
    await RoomEvent.bulk_create([
        RoomEvent(site_id=site.id, room_id=room.id, at=now, actor_id=actor.user_id, kind=kind,
                  occupancy=room.occupancy, housekeeping=room.housekeeping, service=room.service, code=room.code)
        for room in created], batch_size=500)
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
    """Check every row; report them all. Writes only with ``apply`` and either no bad rows
    or ``skip_bad_rows`` (the explicit consent to import only the good rows)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in ("number", "floor") if name not in header]
    if missing:
        raise invalid("csv", _("The first line must name the columns; missing: %(columns)s.",
                               columns=", ".join(missing)))
    reader.fieldnames = header
    existing = set(await Room.filter(site_id=site.id).values_list("number", flat=True))
    seen: dict[str, int] = {}
    good: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    count = 0
    for count, raw in enumerate(reader, start=1):
        if count > MAX_ROWS:
            raise invalid("csv", _("At most %(count)s rows per import.", count=MAX_ROWS))
        line = count + 1
        clean, errors = check_room(raw)
        number = clean["number"]
        if number and number in existing:
            errors.append({"field": "number", "message": _("Room %(number)s already exists.", number=number)})
        elif number and number in seen:
            errors.append({"field": "number", "message": _("Room %(number)s is also on line %(line)s.",
                                                           number=number, line=seen[number])})
        seen.setdefault(number, line)
        if errors:
            bad.extend({"line": line, "number": number, **error} for error in errors)
        else:
            good.append(clean)
    bad_lines = len({error["line"] for error in bad})
    report = {"rows": count, "valid": len(good), "invalid": bad_lines, "errors": bad, "created": 0,
              "applied": False}
    if not apply:
        return report
    if bad and not skip_bad_rows:
        raise Problem(422, _("%(count)s rows have errors; nothing was imported. Fix them, or import only the "
                             "valid rows.", count=bad_lines), report=report,
                      errors=[{"field": f"csv.line{e['line']}.{e['field']}", "message": e["message"]} for e in bad])
    if good:
        async with in_transaction():
            created = await _insert(site, good, actor, "imported")
            await audit.record("hotel.room.import", actor=actor.user, site_id=site.id, object_type="hotel.room",
                               after={"created": len(created), "skipped_lines": bad_lines},
                               client_address=actor.client_address)
        await _announce(kernel.bus, site, len(created))
        report["created"] = len(created)
    report["applied"] = True
    return report
