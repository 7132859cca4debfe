"""Request and response schemas of the outbox, templates, contact and notification routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from core.messages.models import STATUSES
from core.web.pagination import PageQuery

Status = Literal[STATUSES]  # type: ignore[valid-type]


class MessageQuery(PageQuery):
    status: Status | None = None  # type: ignore[valid-type]
    channel: str | None = Field(None, max_length=20)
    template: str | None = Field(None, max_length=80)
    subject: str | None = Field(None, max_length=120, description="The record it concerns: plugin.kind:id")
    since: AwareDatetime | None = Field(None, description="Queued at or after this moment")


class SubjectOut(BaseModel):
    plugin: str
    kind: str
    id: int | None


class MessageOut(BaseModel):
    id: int
    channel: str
    channel_label: str
    template: str
    language: str
    address: str = Field(description="Masked unless the caller holds core.message.manage")
    status: str
    status_label: str
    reason: str
    attempts: int
    subject: SubjectOut | None
    party_id: int | None
    user_id: int | None
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None
    read_at: dt.datetime | None
    version: int


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None


class AttemptOut(BaseModel):
    number: int
    started_at: dt.datetime
    finished_at: dt.datetime
    outcome: str
    detail: str
    worker: str


class MessageDetail(MessageOut):
    rendered_subject: str
    rendered_body: str
    attempt_log: list[AttemptOut]


class VersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1)


class WordingOut(BaseModel):
    channel: str
    language: str
    subject: str
    body: str
    custom: bool = Field(description="The site's own wording (else the translated default)")
    version: int | None
    default_subject: str
    default_body: str


class TemplateOut(BaseModel):
    key: str
    label: str
    description: str
    placeholders: list[str]
    optional: list[str]
    channels: list[str]
    wordings: list[WordingOut]


class WordingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field("", max_length=300)
    body: str = Field(max_length=5000)
    version: int | None = Field(None, ge=1, le=2**31 - 1, description="The saved wording's version (none: new)")


class OptOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opted_out: bool
    reason: str = Field("", max_length=200)


class OptOutOut(BaseModel):
    opted_out: bool
    reason: str


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    preferred_language: str | None = Field(None, max_length=10, description='"" clears it')
    preferred_channel: str | None = Field(None, max_length=20, description='"" clears it')
    opt_outs: dict[str, OptOutIn] = Field(default_factory=dict, description="By channel name")
    version: int | None = Field(None, ge=1, le=2**31 - 1, description="The party's version")


class ContactOut(BaseModel):
    party_id: int
    preferred_language: str
    preferred_channel: str
    opt_outs: dict[str, OptOutOut]
    channels: list[str]
    version: int


class NoticeQuery(BaseModel):
    site: str | None = Field(None, max_length=40, description="A site's code: its notices only")
    unread: bool = False
    limit: int = Field(50, ge=1, le=200)


class NoticeOut(BaseModel):
    id: int
    site_id: int
    subject: str
    body: str
    about: SubjectOut | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NoticesOut(BaseModel):
    items: list[NoticeOut]
    unread: int


class MarkReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(None, max_length=500)
    all: bool = False


class MarkReadOut(BaseModel):
    marked: int
    unread: int
