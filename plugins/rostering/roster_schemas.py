"""Request and response schemas of shift patterns, rosters and duties (the API and pages)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from core.entities.schemas import Strict
from core.web.pagination import PageQuery

#: "07:00"; checked again by the service, which names the field in its own words.
ClockText = str


class ShiftIn(Strict):
    department: str = Field(min_length=1, max_length=40)
    code: str = Field(min_length=1, max_length=12)
    name: str = Field(min_length=1, max_length=60)
    start: ClockText = Field(max_length=5, description="Local start, HH:MM")
    end: ClockText = Field(max_length=5, description="Local end, HH:MM; at or before the start: the next day")
    break_minutes: int = Field(0, ge=0, le=1440)
    min_staff: int = Field(0, ge=0, le=1000)
    required_certificates: list[str] = Field(default_factory=list, max_length=10)
    active: bool = True
    position: int = Field(0, ge=0, le=10_000)


class ShiftUpdate(Strict):
    version: int = Field(ge=1)
    code: str | None = Field(None, min_length=1, max_length=12)
    name: str | None = Field(None, min_length=1, max_length=60)
    start: ClockText | None = Field(None, max_length=5)
    end: ClockText | None = Field(None, max_length=5)
    break_minutes: int | None = Field(None, ge=0, le=1440)
    min_staff: int | None = Field(None, ge=0, le=1000)
    required_certificates: list[str] | None = Field(None, max_length=10)
    active: bool | None = None
    position: int | None = Field(None, ge=0, le=10_000)


class ShiftOut(BaseModel):
    id: int
    department: str
    code: str
    name: str
    start: str
    end: str
    crosses_midnight: bool
    duration_minutes: int
    break_minutes: int
    min_staff: int
    required_certificates: list[str]
    active: bool
    position: int
    version: int


class ShiftQuery(BaseModel):
    department: str | None = Field(None, max_length=40)
    active: bool | None = None


class RosterIn(Strict):
    department: str = Field(min_length=1, max_length=40)
    starts_on: dt.date
    ends_on: dt.date


class RosterQuery(PageQuery):
    department: str | None = Field(None, max_length=40)
    status: Literal["draft", "published"] | None = None


class DutyOut(BaseModel):
    id: int
    roster_id: int
    user_id: int
    shift_id: int
    day: dt.date
    starts_at: str
    ends_at: str
    origin: str
    note: str
    version: int


class RosterOut(BaseModel):
    id: int
    department: str
    starts_on: dt.date
    ends_on: dt.date
    status: str
    published_at: str | None
    published_by_id: int | None
    created_by_id: int | None
    version: int


class RosterDetail(RosterOut):
    duties: list[DutyOut]


class RosterPage(BaseModel):
    items: list[RosterOut]
    next_cursor: str | None


class DutyIn(Strict):
    user_id: int = Field(ge=1)
    shift_id: int = Field(ge=1)
    day: dt.date
    note: str = Field("", max_length=200)


class VersionIn(Strict):
    version: int = Field(ge=1)


class SkippedOut(BaseModel):
    user_id: int
    shift_id: int
    day: dt.date
    reason: str


class CopyOut(BaseModel):
    roster: RosterOut
    copied: int
    skipped: list[SkippedOut]


class DutyQuery(PageQuery):
    user_id: int | None = Field(None, ge=1)
    department: str | None = Field(None, max_length=40)
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None

    model_config = {"populate_by_name": True}


class DutyPage(BaseModel):
    items: list[DutyOut]
    next_cursor: str | None


class OnDutyQuery(BaseModel):
    at: dt.datetime | None = None

    @field_validator("at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone (e.g. 2026-11-26T21:52:38Z)")
        return value


class OnDutyPerson(BaseModel):
    user_id: int
    name: str
    shift_id: int
    shift_code: str
    starts_at: str
    ends_at: str
    clocked_in: bool
    on_duty: bool


class OnDutyDepartment(BaseModel):
    department: str
    people: list[OnDutyPerson]


class OnDutyOut(BaseModel):
    at: str
    departments: list[OnDutyDepartment]
