"""Request schemas of the resident API (they validate requests and document them)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from core.kpis.schemas import KpiBreakdowns
from core.money import MoneyText
from core.web.pagination import PageQuery
from core.web.responses import PeriodOut, Sparse

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


class OccupantChangeIn(Strict):
    """An owner or tenant change: who comes (none: the tenant leaves), from which date."""

    version: int
    relation: Literal["owner", "tenant"]
    effective_date: dt.date = Field(description="The site's date the change took effect; not before the last one.")
    name: str | None = Field(None, max_length=200)
    party_id: int | None = None
    phone: str | None = Field(None, max_length=40)
    replace_family: bool = Field(False, description="The family members leave with the previous owner or tenant.")
    note: str = Field("", max_length=2000)


class FamilyMemberIn(Strict):
    version: int
    name: str | None = Field(None, max_length=200)
    party_id: int | None = None
    phone: str | None = Field(None, max_length=40)


class MemberPatchIn(Strict):
    version: int
    name: str | None = Field(None, min_length=1, max_length=200)
    phone: str | None = Field(None, max_length=40, description='"" removes the phone number.')


class HouseholdVersionIn(Strict):
    version: int


class HouseholdPatchIn(Strict):
    version: int
    important: bool | None = None
    area: str | None = Field(None, pattern=r"^\d{1,8}(\.\d{1,2})?$")
    notes: str | None = Field(None, max_length=2000)


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
    category: str | None = Field(None, max_length=60, description="A complaint's: a code of the site's list "
                                 "resident.complaint_category (other kinds: free text).")
    cause: str | None = Field(None, max_length=40, description="A complaint's: a code of resident.complaint_cause.")
    severity: Literal["normal", "major"] | None = None


class CaseQuery(PageQuery):
    kind: Literal["repair", "complaint", "inquiry", "suggestion"] | None = None
    unit_id: int | None = None
    open: bool | None = None


class ReplyIn(Strict):
    message: str = Field(min_length=1, max_length=10_000)
    send_by: list[Literal["sms", "email"]] | None = Field(
        None, max_length=2, description="Also send the reply to the resident by these channels (one message each, "
                                        "queued in the reply's transaction).")
    phone: str | None = Field(None, max_length=40, description="The number to text (else the resident's on record).")
    email: str | None = Field(None, max_length=254, description="The address to write to (else the resident's on record).")


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
    version: int | None = Field(None, description="The pending revisit's version, when retrying one (409 if stale).")


class RevisitRecordIn(Strict):
    method: Literal["phone", "email", "sms", "visit"]
    reached: bool
    satisfied: bool | None = None
    score: int | None = Field(None, ge=1, le=5)
    evaluation: str | None = Field(None, max_length=5000)
    suggestions: str | None = Field(None, max_length=5000)
    notes: str | None = Field(None, max_length=5000)
    version: int | None = Field(None, description="The revisit's version as read (409 if someone recorded it since).")


class RevisitQuery(PageQuery):
    agent_id: int | None = None
    status: Literal["pending", "done", "overdue", "escalated", "messaged"] | None = Field(
        None, description="pending includes the overdue ones; escalated: done, not reached in the last attempt; "
                          "messaged: a campaign's message went instead of the call.")
    campaign_id: int | None = None


class RevisitCountQuery(BaseModel):
    agent_id: int | None = None
    campaign_id: int | None = None


class RevisitCounts(BaseModel):
    pending: int
    overdue: int
    done: int
    escalated: int
    messaged: int = Field(0, description="Contacted by a campaign's message instead of a call.")


class CampaignIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    rule: dict[str, Any] = Field(description='{"kind": "closed_cases", "from", "to"} | {"kind": "building", '
                                             '"building"} | {"kind": "all"} | {"kind": "holiday", "name"} | '
                                             '{"kind": "manual", "unit_ids": [...]}')
    agent_ids: list[int] = Field(min_length=1, max_length=200)
    due_days: int | None = Field(None, ge=1, le=365)
    skill: str | None = Field(None, max_length=40)
    message_mode: Literal["none", "before_call", "instead_of_call"] = Field(
        "none", description="Send each household a message before the call, or instead of it (when distributed).")
    message_channel: Literal["", "sms", "email"] = Field(
        "", description="The channel of the message; empty: each resident's preferred one.")


class FormatQuery(BaseModel):
    format: Literal["json", "xlsx"] = "json"


class ScheduleIn(Strict):
    unit_kind: str = Field(min_length=1, max_length=20)
    fixed: MoneyText
    per_sqm: MoneyText | None = None
    due_day: int | None = Field(None, ge=1, le=28)


class BillingRunIn(Strict):
    period: StrictStr = Field(max_length=20)


class BillQuery(PageQuery):
    unit_id: int | None = None
    period: str | None = Field(None, max_length=7)


class PaymentIn(Strict):
    amount: MoneyText
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
    format: Literal["json", "csv", "xlsx"] = "json"


class ProcedureIn(Strict):
    kind: Literal["move_in", "renovation"]
    unit_id: int
    applicant: str | None = Field(None, max_length=200)
    deposit: MoneyText | None = None


class StepIn(Strict):
    step: str = Field(min_length=1, max_length=40)
    version: int


class VersionIn(Strict):
    version: int
    refund: MoneyText | None = None


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


# --- Responses (money as strings with the currency's decimals; times RFC 3339 in UTC) ------

Money = str


class MemberOut(BaseModel):
    id: int
    name: str
    relation: str
    party_id: int | None
    phone: str = Field(description="Masked unless the caller may see personal data.")


class HouseholdOut(BaseModel):
    id: int
    unit_id: int
    important: bool
    area: str = Field(description='Square metres with two decimals: "85.50".')
    notes: str
    version: int
    members: list[MemberOut]


class ChangedPerson(BaseModel):
    id: int | None
    name: str
    relation: str
    party_id: int | None
    phone: str = Field(description="Masked unless the caller may see personal data.")


class ChangedValue(BaseModel):
    """A household field before and after: ``important`` true or false, ``area`` ("85.50")
    and ``notes`` as text."""

    before: bool | str
    after: bool | str


class HouseholdChangeOut(BaseModel):
    id: int
    household_id: int
    kind: Literal["occupant", "member_added", "member_changed", "member_removed", "details"]
    relation: str
    before: list[ChangedPerson] = Field(description="Who left or was changed (an occupant, member change).")
    after: list[ChangedPerson] = Field(description="Who came or how they are now.")
    details: dict[str, ChangedValue] = Field(description="Fields of the household changed: important, area, notes.")
    effective_date: str | None = Field(description="An owner or tenant change's date (YYYY-MM-DD), else null.")
    note: str
    recorded_by_id: int | None
    recorded_at: str


class ImportRowError(BaseModel):
    row: int
    field: str
    message: str


class ImportReport(BaseModel):
    rows: int
    households: int
    members: int
    errors: list[ImportRowError]
    dry_run: bool
    created: int


class TimelineItem(Sparse):
    """One event on a unit's timeline; which keys beyond ``at``, ``kind`` and ``id`` it has
    depends on ``kind`` (case, revisit, procedure, bill, payment)."""

    at: str | None
    kind: str
    id: int
    case_kind: str | None = None
    procedure_kind: str | None = None
    title: str | None = None
    status: str | None = None
    task_id: int | None = None
    case_id: int | None = None
    bill_id: int | None = None
    reached: bool | None = None
    satisfied: bool | None = None
    method: str | None = None
    documents: int | None = None
    period: str | None = None
    amount: Money | None = None
    outstanding: Money | None = None


class TimelineOut(BaseModel):
    unit_id: int
    unit_code: str
    items: list[TimelineItem]


class RevisitAttemptOut(BaseModel):
    number: int = Field(description="1 for the revisit's first call, then 2, 3...")
    at: str
    by_id: int | None = Field(description="The user who made the call.")
    method: str
    reached: bool
    notes: str


class RevisitOut(BaseModel):
    id: int
    unit_id: int
    case_id: int | None
    campaign_id: int | None
    agent_id: int | None
    status: str
    method: str | None
    reached: bool | None
    satisfied: bool | None
    score: int | None
    evaluation: str
    suggestions: str
    notes: str
    done_at: str | None
    created_at: str
    attempts: int = Field(description="Calls made: the unreached ones and the one that ended it.")
    last_attempt_at: str | None
    due_at: str | None = Field(description="When the next attempt is due (the campaign's due time, then each retry's).")
    next_due_at: str | None = Field(description="due_at while pending, else null.")
    overdue: bool
    escalated: bool = Field(description="Not reached at the last attempt: a supervisor's task was made.")
    escalation_task_id: int | None
    follow_up_task_id: int | None = Field(description="The follow-up task of an unsatisfied campaign revisit.")
    version: int
    attempt_history: list[RevisitAttemptOut] = Field(
        default_factory=list, description="Every call of the revisit in order (the revisit record keeps each attempt).")


class CaseOut(Sparse):
    """A case; its task's fields (status to version) when it has a task, ``duplicates``
    when created or read alone, ``revisits`` when read alone."""

    id: int
    task_id: int | None
    kind: str
    channel: str
    category: str
    cause: str | None = None
    severity: str
    unit_id: int
    party_id: int | None
    title: str
    reply: str
    reply_due_at: str | None
    replied_at: str | None
    satisfied: bool
    reopen_count: int
    escalated_to: str | None
    merged_into_id: int | None
    created_at: str
    status: str | None = None
    assignee_id: int | None = None
    due_at: str | None = None
    overdue: bool | None = None
    priority: str | None = None
    version: int | None = None
    duplicates: list[int] | None = None
    revisits: list[RevisitOut] | None = None
    messages: list[MessageBriefOut] | None = Field(
        None, description="Messages sent to the resident about the case, newest first (read alone, or replied with "
                          "send_by: the ones just queued).")


class MessageBriefOut(BaseModel):
    """A message about a record as its page shows it: how and how it went, no address."""

    id: int
    channel: str
    channel_label: str
    status: str
    status_label: str
    reason: str
    created_at: str | None
    sent_at: str | None
    delivered_at: str | None


class CaseRevisitOut(RevisitOut):
    case: CaseOut


class CampaignRule(Sparse):
    """The rule as it is kept: ``kind`` and only the keys that kind reads, checked
    (``campaigns.stored_rule``)."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    kind: str
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    building: str | None = None
    name: str | None = None
    unit_ids: list[int] | None = None


class CampaignOut(Sparse):
    id: int
    name: str
    rule: CampaignRule
    agent_ids: list[int]
    skill: str | None
    due_at: str | None
    distributed_at: str | None
    created_at: str
    revisits: int | None = Field(None, description="How many revisits the campaign made (on creation).")
    message_mode: str = "none"
    message_channel: str = ""


class CampaignMessagesOut(BaseModel):
    """What a campaign's message sending did: messages queued, suppressed (opted out),
    failed (no address on record), already sent before, and revisits marked messaged."""

    queued: int
    suppressed: int
    failed: int
    already_sent: int
    messaged: int


class DistributionOut(BaseModel):
    campaign_id: int
    distributed: int
    assigned: dict[str, int] = Field(description="Revisits given now, by agent id.")
    loads: dict[str, int] = Field(description="Pending revisits, by agent id.")
    messages: CampaignMessagesOut | None = Field(None, description="When the campaign sends messages.")


class Suggestion(BaseModel):
    revisit_id: int
    unit: str
    text: str


class AgentSummary(BaseModel):
    agent_id: int | None
    agent: str
    assigned: int
    done: int
    reached: int
    satisfied: int
    reach_rate: float | None
    satisfaction_rate: float | None


class CampaignReport(BaseModel):
    campaign: CampaignOut
    planned: int
    done: int
    reached: int
    satisfied: int
    reach_rate: float | None
    satisfaction_rate: float | None
    average_score: float | None
    suggestions: list[Suggestion]
    agents: list[AgentSummary]
    messaged: int = Field(0, description="Revisits done by a message instead of a call.")
    messages: dict[str, int] = Field(default_factory=dict, description="The campaign's messages by state: queued, "
                                     "sent, delivered, failed, suppressed, cancelled, sending.")


class ScheduleOut(BaseModel):
    id: int
    unit_kind: str
    fixed: Money
    per_sqm: Money
    due_day: int


class BillingRunOut(BaseModel):
    id: int
    period: str
    created: int
    existing: int
    created_at: str


class BillOut(BaseModel):
    id: int
    unit_id: int
    period: str
    amount: Money
    paid: Money
    outstanding: Money
    status: str
    due_date: str
    currency: str
    version: int


class PaymentOut(BaseModel):
    id: int
    bill_id: int
    amount: Money
    method: str
    paid_at: str
    bill: BillOut
    #: The numbered receipt issued with the payment (series "fees": /api/v1/sites/{site}/receipts/{id}).
    receipt_id: int
    receipt_number: int


class ArrearsItem(BaseModel):
    bill_id: int
    unit_id: int
    unit_code: str
    period: str
    amount: Money
    outstanding: Money
    due_date: str
    days_overdue: int
    bucket: str
    open_complaints: int


class ArrearsBucket(BaseModel):
    count: int
    amount: Money


class ArrearsOut(BaseModel):
    as_of: str
    currency: str
    items: list[ArrearsItem]
    next_cursor: str | None
    buckets: dict[str, ArrearsBucket] = Field(description="By age: 0_30, 31_60, 61_90, 90_plus days.")
    total: Money


class KpiOut(PeriodOut):
    """Counted by core's KPI engine (docs/kpis.md). Rates and targets are percentages with
    one decimal; a rate is null (n/a) when nothing is counted, and then ``met`` is null,
    never true. Complaints not yet due are left out of the reply and handling counts."""

    complaints: int = Field(description="Complaints received in the period, due or not.")
    replied_on_time: int
    reply_counted: int = Field(description="Complaints replied or past their reply time.")
    handled: int = Field(description="Complaints resolved, closed, cancelled or past their due time.")
    handled_to_standard: int
    revisits_reached: int
    revisits_satisfied: int
    on_time_reply_rate: float | None
    standard_handling_rate: float | None
    satisfaction_rate: float | None
    targets: dict[str, float]
    met: dict[str, bool | None]
    status: dict[str, Literal["met", "missed", "no_data"]]
    breakdown: KpiBreakdowns


class ProcedureStep(BaseModel):
    key: str
    label: str
    required_document: bool
    done: bool
    done_by: int | None
    done_at: str | None


class DocumentOut(BaseModel):
    id: int
    step: str
    filename: str
    content_type: str
    size: int
    uploaded_at: str


class ProcedureOut(BaseModel):
    id: int
    unit_id: int
    kind: str
    status: str
    applicant: str
    steps: list[ProcedureStep]
    deposit: Money
    deposit_refunded: Money
    approved_by: int | None
    approved_at: str | None
    documents: list[DocumentOut]
    created_at: str
    version: int


class UploadedOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    step: str


class AnnouncementOut(BaseModel):
    id: int
    title: str
    body: str
    building: str | None
    publish_from: str
    publish_until: str | None
    created_at: str


class ReminderRunIn(Strict):
    as_of: dt.date | None = Field(None, description="The day the arrears are read on (default: the site's today); "
                                                     "its month keys the reminders: one per bill and month.")
    letters: bool = Field(False, description="A letter (PDF) for every bill instead of messages.")


class ReminderRunOut(BaseModel):
    id: int
    as_of: str
    month: str
    letters_asked: bool
    queued: int = Field(description="Messages queued now.")
    suppressed: int = Field(description="Messages not sent: the resident opted out of the channel.")
    failed: int = Field(description="Messages that could not be addressed.")
    letters: int = Field(description="Letters to print (one page each in the run's PDF).")
    already_sent: int = Field(description="Bills reminded already this month (nothing new).")
    letters_url: str | None = Field(description="The run's letters as one PDF, when it has any.")
    created_at: str


class BillReminderOut(BaseModel):
    """One reminder of a bill: the month it counts for, a message (and how it went) or a letter."""

    month: str
    kind: Literal["message", "letter"]
    run_id: int
    run_at: str | None
    message: MessageBriefOut | None
