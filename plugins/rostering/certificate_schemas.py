"""Request and response schemas of the certificates API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from core.entities.schemas import Strict
from core.web.pagination import PageQuery

State = Literal["valid", "expiring", "expired"]


class CertificateIn(Strict):
    user_id: int = Field(ge=1)
    #: A rostering.certificate_kind code of the site.
    kind: str = Field(min_length=1, max_length=40)
    number: str | None = Field(None, max_length=60)
    issued_on: dt.date | None = None
    #: The last day it is valid; today or later.
    expires_on: dt.date
    note: str | None = Field(None, max_length=200)


class CertificateUpdate(Strict):
    """An edit, or a renewal (a new ``expires_on``): only the fields given change."""

    version: int
    kind: str | None = Field(None, min_length=1, max_length=40)
    number: str | None = Field(None, max_length=60)
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None
    note: str | None = Field(None, max_length=200)


class CertificateOut(BaseModel):
    id: int
    user_id: int
    user_name: str
    kind: str
    kind_label: str
    #: Whole for those who may edit certificates and for the holder; masked for others.
    number: str
    number_shown: bool
    issued_on: str | None
    expires_on: str
    #: expired, expiring (within the site's reminder window) or valid.
    state: State
    #: Days from the site's today to the expiry day (negative once expired).
    days_left: int
    note: str
    reminder_task_id: int | None
    created_at: str | None
    updated_at: str | None
    version: int


class CertificatePage(BaseModel):
    items: list[CertificateOut]
    next_cursor: str | None


class CertificateQuery(PageQuery):
    user_id: int | None = Field(None, ge=1)
    kind: str | None = Field(None, max_length=40)
    #: Only those expiring within this many days from today (expired ones included).
    expiring_within_days: int | None = Field(None, ge=0, le=3660)
    #: true: only expired ones; false: only unexpired ones.
    expired: bool | None = None
