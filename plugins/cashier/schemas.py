"""Request bodies and queries of the cashier API (money as strings, never floats)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

from core.web.pagination import PageQuery

Count = dict[str, StrictInt]


def _money_text(value: Any) -> str:
    """Money arrives as a string (or a JSON integer); a float is refused, never rounded."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError('send the amount as a string such as "1234.50"')
    return str(value)


def _amount_or_count(value: Any) -> Any:
    return value if isinstance(value, dict) else _money_text(value)


Amount = Annotated[str, BeforeValidator(_money_text), Field(max_length=40)]
AmountOrCount = Annotated[Any, BeforeValidator(_amount_or_count)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(_In):
    name: str = Field(min_length=1, max_length=100)


class ShiftIn(_In):
    register_id: int
    opening_count: Count


class EntryIn(_In):
    kind: Literal["sale", "refund", "paid_in", "paid_out"]
    amount: Amount = Field(description='A positive amount as a string with the currency\'s decimals: "1234.50".')
    method: Literal["cash", "card", "mobile", "voucher", "other"]
    reference: str = Field("", max_length=100)
    note: str = Field("", max_length=500)


class ReverseIn(_In):
    reason: str = Field(min_length=1, max_length=500)


class DecisionIn(_In):
    approve: bool
    note: str = Field("", max_length=500)
    version: int


class CloseIn(_In):
    counted: Count
    float_left: AmountOrCount = Field(description="The float left for the next shift: an amount or a count.")
    version: int


class ReviewIn(_In):
    note: str = Field(min_length=1, max_length=2000)
    version: int


class SettlementIn(_In):
    amount: Amount
    method: Literal["cash", "card", "mobile", "voucher", "other"] = "cash"
    note: str = Field("", max_length=500)


class DepositIn(_In):
    shift_ids: list[int] = Field(min_length=1, max_length=200)
    bag_number: str = Field(min_length=1, max_length=40)
    count: Count
    witness_username: str = Field(min_length=1, max_length=64)
    witness_password: str = Field(min_length=1, max_length=1024)


class ShiftQuery(PageQuery):
    status: Literal["open", "pending_review", "closed"] | None = None
    register_id: int | None = None
    cashier_id: int | None = None


class ReportQuery(BaseModel):
    format: Literal["json", "csv", "xlsx"] = "json"


class OverShortQuery(BaseModel):
    cashier_id: int | None = None


class DailyQuery(BaseModel):
    date: dt.date | None = None


Out = dict[str, Any]
