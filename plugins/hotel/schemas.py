"""Request and response schemas of the hotel API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from core.entities.schemas import Strict
from core.tasks.schemas import Priority, TaskOut
from core.web.pagination import PageQuery

Code = Literal["VC", "VD", "VP", "VI", "OC", "OD", "OP", "OI", "OOO", "OOS"]
Housekeeping = Literal["dirty", "pickup", "clean", "inspected"]
Occupancy = Literal["vacant", "occupied"]
Service = Literal["in_service", "out_of_order", "out_of_service"]


class OutOfService(BaseModel):
    reason: str
    until: str | None


class RoomOut(BaseModel):
    id: int
    number: str
    floor: int
    room_type: str
    section: str
    occupancy: Occupancy
    housekeeping: Housekeeping
    service: Service
    code: Code
    out_of_service: OutOfService | None
    observed: Occupancy | None = None
    unit_id: int | None = None
    version: int
    guest_name: str | None = None
    party_id: int | None = None
    assignee_id: int | None = None
    do_not_disturb: bool = False
    service_refused: bool = False


class RoomQuery(PageQuery):
    floor: int | None = None
    code: Code | None = None
    section: str | None = Field(None, max_length=40)
    limit: int = Field(200, ge=1, le=200)


class RoomPage(BaseModel):
    items: list[RoomOut]
    next_cursor: str | None


class BoardQuery(BaseModel):
    floor: int | None = None
    code: Code | None = None
    section: str | None = Field(None, max_length=40)
    assignee_id: int | None = None
    #: The board as it was at this moment (from the rooms' history).
    at: dt.datetime | None = None
    #: Only the rooms of the caller's sections (their ``section:<name>`` skills): "my rooms".
    mine: bool = False


class BoardOut(BaseModel):
    counts: dict[str, int]
    rooms: list[RoomOut]
    at: str | None = None


class RoomIn(Strict):
    number: str = Field(min_length=1, max_length=20)
    floor: int
    room_type: str = Field("", max_length=40)
    section: str = Field("", max_length=40)


class HousekeepingIn(Strict):
    status: Housekeeping
    version: int


class CheckInIn(Strict):
    guest_name: str | None = Field(None, max_length=200)
    party_id: int | None = None
    version: int


class VersionIn(Strict):
    version: int


class CheckOutIn(Strict):
    version: int
    acknowledge: bool = Field(False, description="Check out although the room has open guest requests or repairs "
                                                 "(without it such a check-out is a 409 listing them as open_items).")


class ServiceIn(Strict):
    service: Service
    reason: str | None = Field(None, max_length=500)
    until: dt.date | None = None
    version: int


class BulkRoomIn(Strict):
    id: int
    version: int


class BulkStatusIn(Strict):
    """Several rooms, one status: a housekeeping status (dirty, pickup, clean, inspected)
    or a service (in_service, out_of_order, out_of_service, with a reason to leave)."""

    status: Literal["dirty", "pickup", "clean", "inspected", "in_service", "out_of_order", "out_of_service"]
    rooms: list[BulkRoomIn] = Field(..., max_length=200)
    reason: str | None = Field(None, max_length=500)
    until: dt.date | None = None


class BulkOutcome(BaseModel):
    id: int
    number: str
    ok: bool
    #: 200 when changed, else the refusal's status (409 stale or a rule, 403, 422).
    status: int
    room: RoomOut | None = None
    detail: str | None = None
    current: RoomOut | None = None


class BulkStatusOut(BaseModel):
    items: list[BulkOutcome]
    changed: int
    refused: int


class ObservedIn(Strict):
    occupancy: Occupancy


class DiscrepancyOut(BaseModel):
    room_id: int
    number: str
    floor: int
    front_desk: Occupancy
    housekeeping: Occupancy
    kind: Literal["sleep", "skip"]
    observed_at: str | None


class RoomEventOut(BaseModel):
    id: int
    at: str
    actor_id: int | None
    kind: str
    from_code: str
    code: str
    occupancy: str
    housekeeping: str
    service: str
    note: str


class DamageIn(Strict):
    room_id: int
    description: str = Field(min_length=1, max_length=5000)
    take_out_of_order: bool = False


class DamageOut(BaseModel):
    id: int
    room_id: int
    task_id: int
    took_out_of_order: bool


class ImportIn(Strict):
    csv: str = Field(min_length=1, max_length=900_000)
    #: Without it the rows are only checked (a dry run).
    apply: bool = False
    #: The explicit consent to import the valid rows when some are bad.
    skip_bad_rows: bool = False


class ImportError_(BaseModel):
    line: int
    number: str
    field: str
    message: str


class ImportOut(BaseModel):
    rows: int
    valid: int
    invalid: int
    errors: list[ImportError_]
    created: int
    applied: bool


class StockItemIn(Strict):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    category: Literal["linen", "drinks", "amenities", "other"] = "other"
    unit: str = Field("", max_length=20)
    par_level: int = Field(0, ge=0, le=1_000_000)


class StockItemOut(BaseModel):
    id: int
    code: str
    name: str
    category: str
    unit: str
    par_level: int
    total: int | None = None
    low: bool | None = None


class StockItemQuery(BaseModel):
    low: bool = False


class MovementIn(Strict):
    item_id: int
    location: str = Field(min_length=1, max_length=60)
    kind: Literal["in", "out", "transfer", "consume", "loss"]
    quantity: int = Field(ge=1, le=1_000_000)
    to_location: str | None = Field(None, max_length=60)
    reason: str | None = Field(None, max_length=500)


class MovementOut(BaseModel):
    id: int
    item_id: int
    location: str
    kind: str
    quantity: int
    to_location: str | None
    reason: str
    actor_id: int | None
    at: str
    #: The stocktake whose approval posted it (kind ``stocktake``, quantity signed).
    stocktake_id: int | None = None


class MovementQuery(PageQuery):
    item_id: int | None = None
    location: str | None = Field(None, max_length=60)


class MovementPage(BaseModel):
    items: list[MovementOut]
    next_cursor: str | None


class BalanceQuery(BaseModel):
    location: str | None = Field(None, max_length=60)
    item_id: int | None = None


class BalanceOut(BaseModel):
    item_id: int
    location: str
    quantity: int


class HygieneIn(Strict):
    room_id: int
    date: dt.date
    linen_changed: bool
    cups_disinfected: bool
    bathroom_cleaned: bool
    aired_times: int = Field(ge=0, le=6)


class HygieneOut(BaseModel):
    id: int
    room_id: int
    number: str
    floor: int | None
    date: str
    linen_changed: bool
    cups_disinfected: bool
    bathroom_cleaned: bool
    aired_times: int
    compliant: bool
    recorded_by: int | None
    recorded_at: str | None


class HygieneQuery(BaseModel):
    date: dt.date | None = None


class FloorCompliance(BaseModel):
    floor: int
    rooms: int
    recorded: int
    compliant: int
    rate: float | None


class HygieneDay(BaseModel):
    date: str
    items: list[HygieneOut]
    floors: list[FloorCompliance]


class NightAuditIn(Strict):
    business_date: dt.date | None = None


class NightAuditOut(BaseModel):
    rooms: int


class HandoverIn(Strict):
    body: str = Field(min_length=1, max_length=20_000)
    department: str = Field("housekeeping", min_length=1, max_length=40)
    watch_rooms: list[str] = Field(default_factory=list, max_length=100)
    dnd_rooms: list[str] = Field(default_factory=list, max_length=100)
    linen_counts: dict[str, int] = Field(default_factory=dict, max_length=30)


class GuestRequestIn(Strict):
    """A guest's request: the room by its number (``room``: "204") or its id (``room_id``)."""

    room: str | None = Field(None, max_length=20)
    room_id: int | None = None
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    priority: Priority = "normal"


class GuestRequestOut(TaskOut):
    """The request's task, with its room by number and how it found its attendant."""

    room: str | None
    room_id: int | None
    section: str | None
    #: Given to an attendant of the room's section (false: balanced over every attendant).
    in_section: bool | None
    #: The ``hotel.routed`` event's note, in words.
    routing: str | None


class GuestRequestQuery(BaseModel):
    room: str | None = Field(None, max_length=20)
    open: bool = False
    limit: int = Field(100, ge=1, le=200)


# --- stocktakes (plugins/hotel/stocktake.py) ---------------------------------------------------

StocktakeStatus = Literal["counting", "recount", "submitted", "approved", "cancelled"]


class StocktakeIn(Strict):
    location: str = Field(min_length=1, max_length=60)
    note: str = Field("", max_length=500)
    #: Every item of the site on the sheet (0 expected where none is kept), not only those
    #: with a balance at the location.
    all_items: bool = False


class CountEntry(Strict):
    item_id: int
    #: A whole number from 0; null clears a first count.
    counted: int | None = Field(ge=0, le=1_000_000)


class CountsIn(Strict):
    version: int
    lines: list[CountEntry] = Field(min_length=1, max_length=5000)


class StocktakeLineOut(BaseModel):
    id: int
    item_id: int
    code: str
    name: str
    unit: str
    #: Null while counters count blind (only approvers see it before submission).
    expected: int | None
    counted: int | None
    counted_by: int | None
    counted_at: str | None
    needs_recount: bool
    second_count: int | None
    second_counted_by: int | None
    second_counted_at: str | None
    final: int | None
    variance: int | None
    movement_id: int | None


class StocktakeSummaryOut(BaseModel):
    id: int
    location: str
    status: StocktakeStatus
    note: str
    created_by: int | None
    created_at: str | None
    submitted_by: int | None
    submitted_at: str | None
    approved_by: int | None
    approved_at: str | None
    cancelled_by: int | None
    cancelled_at: str | None
    updated_at: str | None
    version: int


class StocktakeOut(StocktakeSummaryOut):
    blind: bool
    lines: list[StocktakeLineOut]
    counted_lines: int
    recount_lines: int


class StocktakePage(BaseModel):
    items: list[StocktakeSummaryOut]
    next_cursor: str | None


class StocktakeQuery(PageQuery):
    status: StocktakeStatus | None = None
    location: str | None = Field(None, max_length=60)


class StocktakeReportLine(StocktakeLineOut):
    #: The variance as a percentage of the expected quantity, one decimal, as text.
    variance_percent: str | None


class StocktakeTotals(BaseModel):
    lines: int
    counted: int
    with_variance: int
    found: int
    missing: int


class StocktakeReportOut(BaseModel):
    sheet: StocktakeSummaryOut
    blind: bool
    lines: list[StocktakeReportLine]
    totals: StocktakeTotals


class StocktakeReportQuery(BaseModel):
    format: Literal["json", "csv", "xlsx"] = "json"


# --- the floors: DND / service refused, damage list, work report, sections -----------------------


class RoomFlagIn(Strict):
    on: bool
    version: int


class DamageQuery(PageQuery):
    #: The room's number.
    room: str | None = Field(None, max_length=20)
    #: The status of the report's maintenance task.
    status: Literal["open", "in_progress", "waiting", "resolved", "closed", "cancelled"] | None = None
    #: First and last site-local day (both included).
    start: dt.date | None = Field(None, alias="from")
    end: dt.date | None = Field(None, alias="to")


class DamageItemOut(BaseModel):
    id: int
    room_id: int
    room: str | None
    floor: int | None
    description: str
    took_out_of_order: bool
    task_id: int | None
    status: str | None
    reported_by: int | None
    reported_by_name: str | None
    created_at: str | None
    created_local: str


class DamagePage(BaseModel):
    items: list[DamageItemOut]
    next_cursor: str | None


class WorkReportQuery(BaseModel):
    #: The site-local day (today by default).
    date: dt.date | None = None
    attendant_id: int | None = None
    #: A floor no room's unit can hold is a 422 naming it (``floors.work_report`` checks
    #: it, for the page as for the API).
    floor: int | None = None
    format: Literal["json", "csv", "xlsx"] = "json"


class CleanedRoomOut(BaseModel):
    task_id: int
    room: str | None
    type: str
    started_at: str | None
    finished_at: str | None
    started_local: str
    finished_local: str
    minutes: int


class WorkFloorOut(BaseModel):
    attendant_id: int | None
    floor: int | None
    rooms_cleaned: int
    rooms: list[CleanedRoomOut]
    inspections_failed: int
    damage_reported: int
    hygiene_records: int


class ConsumedOut(BaseModel):
    item_id: int
    code: str | None
    name: str | None
    unit: str | None
    location: str
    quantity: int


class WorkAttendantOut(BaseModel):
    attendant_id: int | None
    name: str | None
    floors: list[WorkFloorOut]
    stock: list[ConsumedOut]


class WorkReportOut(BaseModel):
    date: str
    timezone: str
    attendant_id: int | None
    floor: int | None
    attendants: list[WorkAttendantOut]
    totals: dict[str, int]


class SectionCoverOut(BaseModel):
    section: str
    attendants: list[int]


class SectionAttendantOut(BaseModel):
    id: int
    name: str
    sections: list[str]
    version: int


class SectionsOut(BaseModel):
    sections: list[SectionCoverOut]
    attendants: list[SectionAttendantOut]


class SectionAssignIn(Strict):
    sections: list[str] = Field(max_length=20)
    #: The user's version as read (409 when someone changed them since).
    version: int | None = None
