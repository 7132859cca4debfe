"""Hotel rooms from a spreadsheet and back (``hotel.rooms``), on ``core.imports``.

One row a room: number, floor, room type, section and, optionally, its three statuses
(vacant, dirty and in service when left out). An import adds rooms; a number the hotel
has already is a row error. Each room gets its core unit (or the unit of that code
already there) and its first room event, as a room created one at a time does.
"""

from __future__ import annotations

from typing import Any

from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.imports import ImportContext, Importer, Row, RowError, cells
from core.imports.services import audit_created
from plugins.hotel import rooms
from plugins.hotel.models import Room


async def validate(rows: list[Row], context: ImportContext) -> list[RowError]:
    """A number once in the file and not a room of the hotel yet (read in one query)."""
    taken = await Room.filter(site_id=context.site.id).values_list("number", flat=True)
    return cells.duplicates(rows, "number", taken, lambda number: _("Room %(number)s already exists.", number=number),
                            lambda number, line: _("Room %(number)s is also on line %(line)s.", number=number, line=line))


async def write(rows: list[Row], context: ImportContext) -> int:
    created = await rooms._insert(context.site, [row.values for row in rows], context.actor, "imported")
    await audit_created(context, "hotel.room.create", "hotel.room", created, rooms.FIELDS)
    await announce(context, len(created))
    return len(created)


async def announce(context: ImportContext, count: int) -> None:
    """Boards drop their cached rooms on ``hotel.rooms.added``: only once the import has
    committed (``context.after_commit``), or another process could refill its cache
    without the new rooms; an import undone announces nothing. None from the CLI (no app)."""
    if context.app is None or not count:
        return
    bus = context.app.state.tasks.bus
    context.after_commit.append(lambda: rooms._announce(bus, context.site, count))


async def export(context: ImportContext) -> list[dict[str, Any]]:
    """The hotel's rooms by floor and number, in the import's columns."""
    return await Room.filter(site_id=context.site.id).order_by("floor", "number").values(*rooms.FIELDS)


ROOMS = Importer("hotel.rooms", _l("Hotel rooms"), "hotel.room.edit", rooms.COLUMNS, write=write, export=export,
                 validate=validate,
                 description=_l("Adds rooms, each with its unit; a room number the hotel has already is an error."))
IMPORTERS = [ROOMS]
