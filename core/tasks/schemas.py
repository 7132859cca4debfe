"""Request and response schemas of the task kernel's API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from core.entities.schemas import Strict
from core.web.pagination import PageQuery

Priority = Literal["low", "normal", "high", "urgent"]


class GenericUseOut(BaseModel):
    create: bool
    cancel: bool
    close: bool


class TaskTypeOut(BaseModel):
    name: str
    label: str
    plugin: str
    states: list[str]
    transitions: dict[str, list[str]]
    default_sla_minutes: int
    #: What the generic task routes may do with it: create, cancel, close.
    generic: GenericUseOut
    #: Where its records are created and finished instead ("" when the generic routes may).
    owner_endpoint: str = ""
    #: The permission cancelling it on the generic routes needs (null: core.task.work).
    cancel_permission: str | None = None


class TaskIn(Strict):
    type: str = Field(min_length=1, max_length=80)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    priority: Priority = "normal"
    unit_id: int | None = None
    party_id: int | None = None
    assignee_id: int | None = None
    assign: Literal["balanced"] | None = None
    due_at: datetime | None = None
    parent_id: int | None = None

    @field_validator("due_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone (e.g. 2026-11-26T21:52:38Z)")
        return value

    @model_validator(mode="after")
    def _one_way_to_assign(self):
        if self.assignee_id is not None and self.assign is not None:
            raise ValueError("give assignee_id or assign, not both")
        return self


class SubjectOut(BaseModel):
    plugin: str
    kind: str
    id: int


class TaskOut(BaseModel):
    id: int
    type: str
    title: str
    description: str
    status: str
    priority: str
    assignee_id: int | None
    unit_id: int | None
    party_id: int | None
    parent_id: int | None
    due_at: str | None
    overdue: bool
    created_at: str
    updated_at: str
    version: int
    #: The record the task is about; its plugin drives the task (null: none).
    subject: SubjectOut | None = None
    #: Who created it: its taker (first-contact ownership).
    created_by_id: int | None = None
    #: The users watching it (on a single task's GET; null in lists).
    watchers: list[int] | None = None


class TaskQuery(PageQuery):
    status: str | None = Field(None, max_length=30)
    type: str | None = Field(None, max_length=80)
    assignee_id: int | None = None
    overdue: bool | None = None
    open: bool | None = None
    #: ``me``: only the tasks the caller watches.
    watching: Literal["me"] | None = None


class TaskPage(BaseModel):
    items: list[TaskOut]
    next_cursor: str | None


class TransitionIn(Strict):
    to: str = Field(min_length=1, max_length=30)
    note: str = Field("", max_length=2000)
    version: int


class AssignIn(Strict):
    assignee_id: int | Literal["balanced"]
    version: int


class WatcherIn(Strict):
    #: Who watches; the caller when left out. Someone else needs core.task.assign.
    user_id: int | None = None


class WatcherOut(BaseModel):
    user_id: int
    display_name: str
    #: taker (who created the task, now someone else's) or added.
    reason: str
    added_by_id: int | None
    created_at: str


class CommentIn(Strict):
    body: str = Field(min_length=1, max_length=10_000)


class EventOut(BaseModel):
    id: int
    at: str
    actor_id: int | None
    kind: str
    from_status: str | None
    to_status: str | None
    note: str


class StatsQuery(BaseModel):
    type: str | None = Field(None, max_length=80)
    since: datetime | None = Field(None, alias="from")
    until: datetime | None = Field(None, alias="to")


class StatsOut(BaseModel):
    total: int
    by_status: dict[str, int]
    responded: int
    resolved: int
    on_time_first_response_rate: float | None
    on_time_resolution_rate: float | None
    average_seconds_to_first_response: int | None
    average_seconds_to_resolve: int | None


class HandoverItem(Strict):
    label: str = Field(min_length=1, max_length=100)
    value: str = Field(max_length=200)


class HandoverIn(Strict):
    department: str = Field(min_length=1, max_length=40)
    body: str = Field(min_length=1, max_length=20_000)
    items: list[HandoverItem] = Field(default_factory=list, max_length=50)


class HandoverLine(BaseModel):
    """A structured line of a handover as stored (a HandoverItem, or a plugin's own line)."""

    label: str
    value: str


class HandoverOut(BaseModel):
    id: int
    department: str
    body: str
    items: list[HandoverLine]
    author_id: int | None
    created_at: str
    read: bool | None = None


class HandoverQuery(PageQuery):
    unread: bool = False
    department: str | None = Field(None, max_length=40)


class HandoverPage(BaseModel):
    items: list[HandoverOut]
    next_cursor: str | None
