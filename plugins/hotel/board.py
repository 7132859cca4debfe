"""The room board's data, kept per site in each process until a room there changes.

A 2,000-room board is read far more often than its rooms change (a browser repaints one
tile per change from the live event, and reloads only what it cannot repaint), so each
process keeps, per site: the rooms as plain rows from one query (only the columns the
board shows), the counts per code from one GROUP BY, the attendant of each room's open
task, and the whole board's JSON, serialised once per masking.

A site's entry is dropped when one of its rooms or hotel tasks changes: every such
change publishes a live event (``hotel.room.*``, ``task.*``) on the app's ``EventBus``,
which hands it to this cache in the process right after the commit and, on PostgreSQL,
in every other process through LISTEN/NOTIFY. Where other processes cannot reach this
one (SQLite, whose bus stays in its process; a PostgreSQL bus whose connection is down)
an entry lives at most ``MAX_AGE_ALONE``; and at most ``MAX_AGE`` in any case, for what
changes rooms without a service (a unit's deletion unlinking its room, SQL by hand).

The entry holds everyone's data; masking is the caller's: a room's guest is left out at
render time for whoever may not see it (``rooms(guests=False)``).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from tortoise.functions import Count

from core.rows import fetch as rows_of
from core.tasks.models import Task
from plugins.hotel.models import CODES, Room
from plugins.hotel.services import room_out

#: The columns a board room is made of (``services.room_out``'s fields).
ROOM_FIELDS = ("id", "number", "floor", "room_type", "section", "occupancy", "housekeeping", "service", "code",
               "oos_reason", "oos_until", "guest_name", "party_id", "observed", "unit_id", "version",
               "do_not_disturb", "service_refused")
#: How stale a board may be when changes in other processes cannot reach this one.
MAX_AGE_ALONE = 1.0
#: How stale a board may be at most, whatever the bus (changes made without a service).
MAX_AGE = 60.0


@dataclass(eq=False)
class Board:
    """One site's rooms as the board shows them, read-only once made (shared by requests)."""

    #: Rows of ``ROOM_FIELDS`` by floor and number.
    rows: list[dict[str, Any]]
    #: Rooms per code, every code present.
    counts: dict[str, int]
    #: unit id -> the attendant of its room's newest open hotel task.
    assignees: dict[int, int]
    loaded_at: float
    _rooms: dict[bool, list[dict[str, Any]]] = field(default_factory=dict)
    _json: dict[bool, bytes] = field(default_factory=dict)

    def rooms(self, guests: bool) -> list[dict[str, Any]]:
        """Each room as the API shows it, with its attendant; guests' names only with ``guests``."""
        if guests not in self._rooms:
            self._rooms[guests] = [{**room_out(row, guests), "assignee_id": self.assignees.get(row["unit_id"])}
                                   for row in self.rows]
        return self._rooms[guests]

    @cached_property
    def floors(self) -> list[int]:
        return sorted({row["floor"] for row in self.rows})

    @cached_property
    def sections(self) -> list[str]:
        return sorted({row["section"] for row in self.rows if row["section"]})

    def json(self, guests: bool) -> bytes:
        """``GET /board`` without filters, as Starlette's ``JSONResponse`` would write it."""
        if guests not in self._json:
            self._json[guests] = dumps({"counts": self.counts, "rooms": self.rooms(guests), "at": None})
        return self._json[guests]


def unfiltered(query) -> bool:
    """Whether a board query (``schemas.BoardQuery``) asks for every room as it is now."""
    return (query.floor is None and not query.section and query.code is None and query.assignee_id is None
            and query.at is None and not getattr(query, "mine", False))


def matching(rooms: list[dict[str, Any]], query, sections: list[str] | None = None) -> list[dict[str, Any]]:
    """The rooms a board query's filters keep: floor, section, code, attendant, and with
    ``sections`` only those sections' rooms (a housekeeper's "my rooms"; someone with no
    section there sees the whole board, as on the page)."""
    return [room for room in rooms
            if (not sections or room["section"] in sections)
            and (query.floor is None or room["floor"] == query.floor)
            and (not query.section or room["section"] == query.section)
            and (query.code is None or room["code"] == query.code)
            and (query.assignee_id is None or room["assignee_id"] == query.assignee_id)]


def counted(rooms: list[dict[str, Any]]) -> dict[str, int]:
    """Rooms per code of a filtered board (the whole board's come from its GROUP BY)."""
    counts = dict.fromkeys(CODES, 0)
    for room in rooms:
        counts[room["code"]] += 1
    return counts


def dumps(content: Any) -> bytes:
    return json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()


async def assignees_by_unit(site_id: int) -> dict[int, int]:
    """The attendant of each room's open housekeeping task (newest wins)."""
    rows = await (Task.filter(site_id=site_id, is_open=True, type__startswith="hotel.", unit_id__not_isnull=True,
                              assignee_id__not_isnull=True).order_by("id").values_list("unit_id", "assignee_id"))
    return dict(rows)


async def load(site_id: int, now: float) -> Board:
    rows = await rows_of(Room.filter(site_id=site_id).order_by("floor", "number"), *ROOM_FIELDS)
    counts = dict.fromkeys(CODES, 0)
    counts.update(await Room.filter(site_id=site_id).annotate(rooms=Count("id")).group_by("code")
                  .values_list("code", "rooms"))
    return Board(rows=rows, counts=counts, assignees=await assignees_by_unit(site_id), loaded_at=now)


def touches_board(event) -> bool:
    """Whether a live event may change a board: a room's, or a hotel task's (its attendant
    shows on the board; a payload cut for size no longer says its type, so it counts)."""
    if event.name.startswith("hotel.room"):
        return True
    if event.name.startswith("task."):
        task_type = event.data.get("type")
        return task_type is None or str(task_type).startswith("hotel.")
    return False


class BoardCache:
    """The boards of this process (one app), dropped on the live events that change them.

    It stands among the bus's subscriptions (as ``core.testing.parity``'s recorder does):
    the bus offers it every event, of every site, synchronously as it delivers them.
    """

    def __init__(self, bus) -> None:
        self.bus = bus
        self.boards: dict[int, Board] = {}
        #: Bumped by every drop: a board read while a change committed is not kept.
        self.generations: dict[int, int] = defaultdict(int)
        self.clock = time.monotonic
        bus.subscriptions.add(self)

    # --- the bus's subscriber protocol ---------------------------------------------------

    def wants(self, event) -> bool:
        return touches_board(event)

    def offer(self, event) -> None:
        if event is not None:  # None: the bus is stopping
            self.forget(event.site_id)

    # --- the boards --------------------------------------------------------------------

    def forget(self, site_id: int) -> None:
        self.generations[site_id] += 1
        self.boards.pop(site_id, None)

    def max_age(self) -> float:
        return MAX_AGE if self.bus.crosses_processes() else MAX_AGE_ALONE

    async def board(self, site_id: int) -> Board:
        now = self.clock()
        board = self.boards.get(site_id)
        if board is not None and now - board.loaded_at < self.max_age():
            return board
        generation = self.generations[site_id]
        board = await load(site_id, now)
        if self.generations[site_id] == generation:
            self.boards[site_id] = board
        return board


def attach(app) -> BoardCache:
    """The app's board cache, made (and subscribed to its bus) on first use."""
    cache = getattr(app.state, "hotel_boards", None)
    if cache is None:
        cache = app.state.hotel_boards = BoardCache(app.state.events)
    return cache
