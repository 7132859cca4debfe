"""Request and response schemas of the phone desk's API."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from core.entities.schemas import Strict
from core.kpis.schemas import KpiBreakdowns
from core.money import MoneyText
from core.tasks.schemas import TaskOut
from core.web.pagination import PageQuery
from core.web.responses import PeriodOut

Direction = Literal["inbound", "outbound"]
Outcome = Literal["resolved", "follow_up", "transferred", "complaint"]
CallType = Literal["quote", "vehicle_price", "compulsory_claim_lookup", "claim_consultation", "card_activation",
                   "phone_application", "policy_entry", "complaint", "care_callback", "repair_referral", "renewal",
                   "other"]


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("give a time zone (e.g. 2026-11-26T21:52:38Z)")
    return value


class CallIn(Strict):
    direction: Direction
    phone: str = Field(min_length=1, max_length=40)
    caller_name: str | None = Field(None, max_length=100)
    plate: str | None = Field(None, max_length=20)
    policy_no: str | None = Field(None, max_length=40)
    call_type: CallType
    summary: str = Field(min_length=1, max_length=5000)
    answer: str | None = Field(None, max_length=5000)
    outcome: Outcome
    follow_up_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    fields: dict[str, Any] | None = None
    #: The callback or revisit task this outbound call carries out.
    task_id: int | None = None
    #: Revisit calls: whether the customer is satisfied.
    satisfied: bool | None = None
    telephony_call_id: int | None = Field(None, ge=1, le=2**63 - 1, description=(
        "The telephone system's call this record logs (the screen pop's id): its start and end times come "
        "from the telephone's events, and the two are linked."))
    send_confirmation: bool = Field(False, description=(
        "With the follow-up outcome: confirm the promised callback to the caller (its time on the site's clock, "
        "in the caller's language). A known caller's opt-out suppresses it (`confirmation.status`)."))
    confirmation_channel: Literal["sms", "email"] = Field("sms", description=(
        "sms: to the number called from (422 naming `phone` when it takes no SMS); email: to "
        "`confirmation_email`, else the known caller's address."))
    confirmation_email: str | None = Field(None, max_length=254)

    @field_validator("follow_up_at", "started_at", "ended_at")
    @classmethod
    def _times_have_zones(cls, value: datetime | None) -> datetime | None:
        return _aware(value)


class ConfirmationOut(BaseModel):
    """The callback confirmation queued with the call."""

    id: int
    channel: str
    status: str = Field(description="queued (to be sent), suppressed (the caller opted out), failed, ...")
    status_label: str
    reason: str


class CallOut(BaseModel):
    id: int
    direction: str
    started_at: str
    ended_at: str
    handle_seconds: int | None = Field(description="Seconds; null (unknown) when the call was logged without its "
                                                   "start or end time.")
    agent_id: int | None
    phone: str
    phone_masked: bool
    caller_name: str
    plate: str
    policy_no: str
    call_type: str
    summary: str
    answer: str
    outcome: str
    follow_up_at: str | None
    fields: dict[str, str] = Field(description="The call type's own fields (vehicle, card_number, repair_shop, claim_no).")
    satisfied: bool | None
    follow_up_task_id: int | None
    complaint_task_id: int | None
    task_id: int | None
    reopen_count: int = Field(description="Complaint calls: how many times their complaint task was reopened.")
    created_at: str | None


class LoggedCallOut(CallOut):
    """A call just logged, with the callback confirmation queued with it (``send_confirmation``)."""

    confirmation: ConfirmationOut | None = None


class CallPage(BaseModel):
    items: list[CallOut]
    next_cursor: str | None


class CallQuery(PageQuery):
    phone: str | None = Field(None, max_length=40)
    plate: str | None = Field(None, max_length=20)
    policy_no: str | None = Field(None, max_length=40)
    call_type: CallType | None = None
    outcome: Outcome | None = None
    direction: Direction | None = None
    agent_id: int | None = None
    from_: datetime | None = Field(None, alias="from")
    to: datetime | None = None

    model_config = {"populate_by_name": True}


class LookupQuery(BaseModel):
    phone: str | None = Field(None, max_length=40)
    plate: str | None = Field(None, max_length=20)
    policy_no: str | None = Field(None, max_length=40)


class LookupOut(BaseModel):
    calls: list[CallOut]
    open_tasks: list[TaskOut]
    complaints: list[TaskOut]
    repeat_caller: bool
    calls_last_30_days: int
    caller_name: str
    plate: str = Field("", description="The plate of the caller's latest call that named one (the form pre-fills it).")
    policy_no: str = Field("", description="The same for the policy number; empty without the permission to see it.")


class PeriodQuery(BaseModel):
    from_: datetime | None = Field(None, alias="from")
    to: datetime | None = None

    model_config = {"populate_by_name": True}


class KpiQuery(PeriodQuery):
    format: Literal["json", "csv", "xlsx"] = "json"


class ReportQuery(BaseModel):
    date: dt.date | None = None
    format: Literal["json", "csv", "xlsx"] = "json"


class WeeklyQuery(BaseModel):
    week_start: dt.date | None = None
    format: Literal["json", "csv", "xlsx"] = "json"


class ApplicationIn(Strict):
    applicant_name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(min_length=1, max_length=30)
    phone: str = Field(min_length=1, max_length=40)
    plate: str | None = Field(None, max_length=20)
    vin: str = Field(min_length=1, max_length=30)
    vehicle: str | None = Field(None, max_length=100)
    cover: list[str] = Field(min_length=1, max_length=10)
    premium: MoneyText = Field(min_length=1, max_length=20)
    call_id: int | None = None


class ApplicationUpdate(Strict):
    version: int
    applicant_name: str | None = Field(None, min_length=1, max_length=100)
    id_number: str | None = Field(None, max_length=30)
    phone: str | None = Field(None, max_length=40)
    plate: str | None = Field(None, max_length=20)
    vin: str | None = Field(None, max_length=30)
    vehicle: str | None = Field(None, max_length=100)
    cover: list[str] | None = Field(None, max_length=10)
    premium: MoneyText | None = Field(None, max_length=20)


class CheckIn(Strict):
    version: int
    vin: str = Field(min_length=1, max_length=30)
    id_number: str = Field(min_length=1, max_length=30)
    premium: MoneyText = Field(min_length=1, max_length=20)


class VersionIn(Strict):
    version: int


class IssueIn(Strict):
    version: int
    policy_no: str = Field(min_length=1, max_length=40)


class ApplicationOut(BaseModel):
    id: int
    status: str
    call_id: int | None
    applicant_name: str
    id_number: str
    phone: str
    plate: str
    vin: str
    vehicle: str
    cover: list[str]
    premium: str
    currency: str
    policy_no: str
    created_by_id: int | None
    checked_by_id: int | None
    checked_at: str | None
    submitted_at: str | None
    issued_at: str | None
    created_at: str | None
    updated_at: str | None
    version: int


class ApplicationPage(BaseModel):
    items: list[ApplicationOut]
    next_cursor: str | None


class ApplicationQuery(PageQuery):
    status: Literal["draft", "submitted", "issued"] | None = None


# --- KPIs and reports --------------------------------------------------------------------


class AgentCalls(BaseModel):
    agent_id: int | None
    name: str
    calls: int
    timed_calls: int = Field(description="Calls whose handle time is known: the average is over these.")
    average_handle_seconds: float | None


class CallbackKpis(BaseModel):
    due: int
    done: int
    done_on_time: int
    open: int
    on_time_rate: float | None = Field(description="Percent, one decimal; null when none was due.")


class ComplaintKpis(BaseModel):
    count: int
    replied_on_time: int
    handled_to_standard: int
    revisits_judged: int


class KpisOut(PeriodOut):
    """Rates are percentages with one decimal, null (n/a) when there is nothing to rate, and
    then ``met`` is null, never true. The complaint rates are core's KPI engine's
    (docs/kpis.md): complaints not yet due are left out."""

    calls: int
    timed_calls: int = Field(description="Calls whose handle time is known: the average is over these.")
    average_handle_seconds: float | None = Field(description="Over the timed calls; null when none is timed.")
    by_type: dict[str, int]
    by_agent: list[AgentCalls]
    callbacks: CallbackKpis
    complaints: ComplaintKpis
    on_time_reply_rate: float | None
    standard_handling_rate: float | None
    satisfaction_rate: float | None
    targets: dict[str, float]
    met: dict[str, bool | None]
    status: dict[str, Literal["met", "missed", "no_data"]]
    breakdown: KpiBreakdowns


class AgentDay(BaseModel):
    """One agent's calls by direction and by outcome."""

    agent: str
    calls: int
    inbound: int
    outbound: int
    average_handle_seconds: int | float | None = Field(description="Over the calls whose handle time is known; "
                                                                   "null when none is.")
    resolved: int
    follow_up: int
    transferred: int
    complaint: int


class DailyReportOut(BaseModel):
    date: str
    rows: list[AgentDay]


class DayCalls(BaseModel):
    date: str
    calls: int
    by_type: dict[str, int]


class WeeklyReportOut(BaseModel):
    week_start: str
    days: list[DayCalls]
    agents: list[AgentDay]
    kpis: KpisOut
