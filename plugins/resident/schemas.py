"""Request schemas of the resident API (they validate requests and document them)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from core.web.pagination import PageQuery

Money = StrictStr  # "1234.50": a JSON number is refused, money is never a float


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemberIn(Strict):
    name: str | None = Field(None, max_length=200)
    party_id: int | None = None
    relation: Literal["owner", "tenant", "family"]
    phone: str | None = Field(None, max_length=40)


class HouseholdIn(Strict):
    unit_id: int
    members: list[MemberIn] = Field(default_factory=list, max_length=30)
    important: bool = False
    area: str | None = Field(None, pattern=r"^\d{1,8}(\.\d{1,2})?$")
    notes: str = Field("", max_length=2000)


class HouseholdQuery(PageQuery):
    building: str | None = Field(None, max_length=60)


class ImportIn(Strict):
    csv: str = Field(min_length=1, max_length=900_000)
    dry_run: bool = False


class CaseIn(Strict):
    kind: Literal["repair", "complaint", "inquiry", "suggestion"]
    channel: Literal["phone", "walk_in", "app", "email", "other"]
    unit_id: int
    party_id: int | None = None
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    category: str | None = Field(None, max_length=60)
    severity: Literal["normal", "major"] | None = None


class CaseQuery(PageQuery):
    kind: Literal["repair", "complaint", "inquiry", "suggestion"] | None = None
    unit_id: int | None = None
    open: bool | None = None


class ReplyIn(Strict):
    message: str = Field(min_length=1, max_length=10_000)


class MergeIn(Strict):
    into_id: int


class RevisitIn(Strict):
    method: Literal["phone", "email", "sms", "visit"]
    reached: bool
    satisfied: bool | None = None
    score: int | None = Field(None, ge=1, le=5)
    comments: str | None = Field(None, max_length=5000)
    suggestions: str | None = Field(None, max_length=5000)
    notes: str | None = Field(None, max_length=5000)


class RevisitRecordIn(Strict):
    method: Literal["phone", "email", "sms", "visit"]
    reached: bool
    satisfied: bool | None = None
    score: int | None = Field(None, ge=1, le=5)
    evaluation: str | None = Field(None, max_length=5000)
    suggestions: str | None = Field(None, max_length=5000)
    notes: str | None = Field(None, max_length=5000)


class RevisitQuery(PageQuery):
    agent_id: int | None = None
    status: Literal["pending", "done"] | None = None
    campaign_id: int | None = None


class CampaignIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    rule: dict[str, Any] = Field(description='{"kind": "closed_cases", "from", "to"} | {"kind": "building", '
                                             '"building"} | {"kind": "all"} | {"kind": "holiday", "name"} | '
                                             '{"kind": "manual", "unit_ids": [...]}')
    agent_ids: list[int] = Field(min_length=1, max_length=200)
    due_days: int | None = Field(None, ge=1, le=365)
    skill: str | None = Field(None, max_length=40)


class FormatQuery(BaseModel):
    format: Literal["json", "xlsx"] = "json"


class ScheduleIn(Strict):
    unit_kind: str = Field(min_length=1, max_length=20)
    fixed: Money
    per_sqm: Money | None = None
    due_day: int | None = Field(None, ge=1, le=28)


class BillingRunIn(Strict):
    period: StrictStr = Field(max_length=20)


class BillQuery(PageQuery):
    unit_id: int | None = None
    period: str | None = Field(None, max_length=7)


class PaymentIn(Strict):
    amount: Money
    method: Literal["cash", "card", "transfer", "mobile", "other"]


class ArrearsQuery(BaseModel):
    as_of: dt.date | None = None
    building: str | None = Field(None, max_length=60)
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=100)


class KpiQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    start: dt.date | None = Field(None, alias="from")
    end: dt.date | None = Field(None, alias="to")
    format: Literal["json", "xlsx"] = "json"


class ProcedureIn(Strict):
    kind: Literal["move_in", "renovation"]
    unit_id: int
    applicant: str | None = Field(None, max_length=200)
    deposit: Money | None = None


class StepIn(Strict):
    step: str = Field(min_length=1, max_length=40)
    version: int


class VersionIn(Strict):
    version: int
    refund: Money | None = None


class DocumentIn(Strict):
    step: str = Field("", max_length=40)
    filename: str = Field(min_length=1, max_length=200)
    content_base64: str = Field(min_length=1, max_length=990_000)


class AnnouncementIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)
    building: str | None = Field(None, max_length=60)
    publish_from: dt.datetime | None = None
    publish_until: dt.datetime | None = None


class AnnouncementQuery(PageQuery):
    building: str | None = Field(None, max_length=60)
    all: bool = False
