"""Requests and answers of the receipts API (money as strings, never floats)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.web.pagination import PageQuery

Money = str


class ReceiptQuery(PageQuery):
    series: str | None = Field(None, max_length=60)
    status: Literal["issued", "void"] | None = None
    #: Site-local days, both included.
    start: dt.date | None = Field(None, alias="from")
    end: dt.date | None = Field(None, alias="to")


class ReceiptFormatQuery(BaseModel):
    format: Literal["json", "pdf"] = "json"


class VoidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)
    version: int


class ReceiptLineOut(BaseModel):
    code: str
    name: str
    quantity: int
    unit_price: Money
    taxable: bool
    amount: Money


class ReceiptOut(BaseModel):
    id: int
    series: str
    series_label: str
    number: int
    number_text: str
    issued_at: str
    issued_by_id: int | None
    currency: str
    lines: list[ReceiptLineOut]
    total: Money
    tendered: Money | None
    change: Money | None
    method: str
    source_type: str
    source_id: int | None
    status: str
    void_reason: str
    voided_at: str | None
    voided_by_id: int | None
    print_count: int
    is_copy: bool
    version: int
