"""Request and response schemas of rostering's attendance API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from core.entities.schemas import Strict
from core.web.pagination import PageQuery
from core.web.responses import PeriodOut


class AttendanceOut(BaseModel):
    id: int
    user_id: int
    duty_id: int | None
    clock_in_at: str
    clock_out_at: str | None
    clock_in_source: str
    clock_out_source: str
    late_minutes: int
    early_minutes: int
    note: str
    version: int


class AttendancePage(BaseModel):
    items: list[AttendanceOut]
    next_cursor: str | None


class AttendanceQuery(PageQuery):
    model_config = ConfigDict(validate_by_name=True)

    user_id: int | None = Field(None, ge=1)
    duty_id: int | None = Field(None, ge=1)
    #: Only records still open (true) or closed (false).
    open: bool | None = None
    #: Clocked in on or after this site-local day, and on or before ``to``.
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None


class CorrectionIn(Strict):
    clock_in_at: AwareDatetime | None = None
    clock_out_at: AwareDatetime | None = None
    reason: str = Field(min_length=1, max_length=500)
    version: int = Field(ge=1)


class SheetQuery(BaseModel):
    #: ``YYYY-MM``, the site's local month (the current one when left out).
    month: str | None = Field(None, max_length=7)
    department: str = Field("", max_length=40)
    user_id: int | None = Field(None, ge=1)
    format: Literal["json", "csv", "xlsx"] = "json"


class SheetRow(BaseModel):
    day: str
    duty_id: int | None
    shift: str
    shift_name: str
    duty_hours: str
    clock_in: str
    clock_out: str
    clocked_in_now: bool
    late_minutes: int
    early_minutes: int
    worked_minutes: int
    absent: bool
    attendance_ids: list[int]


class SheetTotals(BaseModel):
    duties: int
    days_worked: int
    late: int
    late_minutes: int
    early: int
    early_minutes: int
    absences: int
    worked_minutes: int
    hours: str


class SheetPerson(BaseModel):
    user_id: int
    name: str
    department: str
    rows: list[SheetRow]
    totals: SheetTotals


class SheetOut(PeriodOut):
    month: str
    department: str
    user_id: int | None
    people: list[SheetPerson]
    totals: SheetTotals
