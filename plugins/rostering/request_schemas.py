"""Request and response schemas of the swap and leave API (``/api/v1/sites/{site}/rostering``)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from core.entities.schemas import Strict
from core.web.pagination import PageQuery

SwapStatus = Literal["requested", "accepted", "approved", "declined", "rejected", "cancelled"]
LeaveStatus = Literal["requested", "approved", "rejected", "cancelled"]


class SwapIn(Strict):
    #: One of the requester's own published duties, still to come.
    duty_id: int
    #: The colleague asked to take it (a member of the site, not the requester).
    colleague_id: int
    #: One of the colleague's duties the requester takes in exchange (none: a plain handover).
    colleague_duty_id: int | None = None
    reason: str = Field("", max_length=500)


class DecisionIn(Strict):
    #: The request's version as last read: a decision on a changed request is a 409.
    version: int
    note: str = Field("", max_length=500)


class DutySnapshot(BaseModel):
    id: int
    user_id: int
    day: str
    shift_id: int
    shift_code: str
    shift_name: str
    department: str
    starts_at: str | None
    ends_at: str | None


class SwapSnapshot(BaseModel):
    duty: DutySnapshot | None = None
    colleague_duty: DutySnapshot | None = None


class SwapOut(BaseModel):
    id: int
    requester_id: int
    colleague_id: int
    duty_id: int | None
    colleague_duty_id: int | None
    snapshot: SwapSnapshot
    status: SwapStatus
    reason: str
    accepted_at: str | None
    decided_by: int | None
    decided_at: str | None
    decision_note: str
    created_at: str | None
    updated_at: str | None
    version: int


class SwapPage(BaseModel):
    items: list[SwapOut]
    next_cursor: str | None


class SwapQuery(PageQuery):
    status: SwapStatus | None = None
    #: The requester or the colleague.
    user_id: int | None = Field(None, ge=1)


class LeaveIn(Strict):
    #: Whose leave: oneself when left out; someone else only for those who decide requests.
    user_id: int | None = None
    #: A rostering.leave_type code.
    leave_type: str = Field(max_length=40)
    starts_on: dt.date
    #: The last day, inclusive.
    ends_on: dt.date
    #: "pm": the first day is an afternoon only.
    start_half: Literal["", "pm"] = ""
    #: "am": the last day is a morning only.
    end_half: Literal["", "am"] = ""
    reason: str = Field("", max_length=500)


class RemovedDuty(DutySnapshot):
    pass


class LeaveOut(BaseModel):
    id: int
    user_id: int
    leave_type: str
    starts_on: str
    ends_on: str
    start_half: str
    end_half: str
    half_days: int
    status: LeaveStatus
    reason: str
    removed_duties: list[RemovedDuty]
    decided_by: int | None
    decided_at: str | None
    decision_note: str
    created_at: str | None
    updated_at: str | None
    version: int


class LeavePage(BaseModel):
    items: list[LeaveOut]
    next_cursor: str | None


class LeaveQuery(PageQuery):
    status: LeaveStatus | None = None
    user_id: int | None = Field(None, ge=1)
