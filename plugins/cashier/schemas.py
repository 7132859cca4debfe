"""Request bodies and queries of the cashier API (money as strings, never floats)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

from core.money import MoneyText, schema_money_text
from core.receipts.schemas import ReceiptOut
from core.web.pagination import PageQuery
from core.web.responses import Sparse

Count = dict[str, StrictInt]


def _amount_or_count(value: Any) -> Any:
    return value if isinstance(value, dict) else schema_money_text(value)


#: Parsed by ``core.money.parse_money`` in the services, which know the site's currency.
Amount = Annotated[MoneyText, Field(max_length=40)]
AmountOrCount = Annotated[Any, BeforeValidator(_amount_or_count)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(_In):
    name: str = Field(min_length=1, max_length=100)


class ShiftIn(_In):
    register_id: int
    opening_count: AmountOrCount = Field(description="The float counted in the drawer: a count by denomination, "
                                                     "or an amount where the site counts no notes and coins. "
                                                     "It is the float received from the previous shift.")


class EntryIn(_In):
    kind: Literal["sale", "refund", "paid_in", "paid_out"]
    amount: Amount = Field(description='A positive amount as a string with the currency\'s decimals: "1234.50".')
    method: Literal["cash", "card", "mobile", "voucher", "other"]
    reference: str = Field("", max_length=100)
    note: str = Field("", max_length=500)
    sale_id: int | None = Field(None, description="A refund: the sale (ledger entry id) it returns. The refunds of "
                                                  "one sale never exceed it (422 naming amount).")


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


class HandoverConfirmIn(_In):
    password: str = Field(min_length=1, max_length=1024,
                          description="The password of the cashier who left the float (they sign the handover).")
    version: int


class HandoverQuery(PageQuery):
    status: Literal["pending", "confirmed"] | None = None
    cashier_id: int | None = Field(None, description="Handovers this cashier left or took over.")


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



# --- Responses (money as strings with the currency's decimals; times RFC 3339 in UTC) ------

Money = str
Pieces = dict[str, int]
"""A count by denomination as the API shows it: {"1000": 3, "0.5": 2}."""


class RegisterOut(BaseModel):
    id: int
    name: str
    active: bool
    version: int


class ShiftOut(Sparse):
    """A shift. The figures below ``review_note`` appear once it is closed, and all but
    ``float_left`` only to those who may see revenue; ``expected_cash`` also for a
    supervisor looking at another cashier's open shift (never to its own cashier: blind count)."""

    id: int
    register_id: int
    cashier_id: int
    status: str
    opened_at: str
    closed_at: str | None
    opening_count: Pieces
    opening_float: Money
    float_received: Money
    float_difference: Money
    float_flagged: bool
    entry_count: int
    version: int
    reviewed_by_id: int | None
    reviewed_at: str | None
    review_note: str
    counted: Pieces | None = None
    counted_cash: Money | None = None
    float_left: Money | None = None
    expected_cash: Money | None = None
    difference: Money | None = None
    overage: Money | None = None
    shortage: Money | None = None
    takings: Money | None = None


class EntryOut(BaseModel):
    id: int
    shift_id: int
    kind: str
    method: str
    amount: Money
    reference: str
    note: str
    reverses_id: int | None
    reason: str
    is_reversal: bool
    needs_approval: bool
    approval_status: str | None
    created_by_id: int
    created_at: str
    sale_id: int | None = Field(None, description="A refund: the sale it returns.")


class ApprovalOut(BaseModel):
    entry_id: int
    status: str
    note: str
    decided_by_id: int | None
    decided_at: str | None
    version: int


class DifferenceOut(BaseModel):
    """An overage or a shortage; ``settled`` and ``outstanding`` are null for an overage."""

    id: int
    shift_id: int
    cashier_id: int
    kind: str
    amount: Money
    settled: Money | None
    outstanding: Money | None
    created_at: str
    version: int


class SettlementOut(BaseModel):
    id: int
    difference: DifferenceOut
    amount: Money
    method: str


class OverShortOut(BaseModel):
    """``overage_total`` and ``shortage_total`` count the float handover differences booked
    in the ledger too (shown apart in ``float_handover_*``); ``shortage_outstanding`` is
    what is owed on the shortages found at closing."""

    items: list[DifferenceOut]
    overage_total: Money
    shortage_total: Money
    shortage_outstanding: Money
    float_handover_overage: Money
    float_handover_shortage: Money


class HandoverOut(BaseModel):
    """A float handover: ``float_left`` by the previous shift, ``received`` as the next
    cashier counted it, ``difference`` = received − left, booked (``booked_kind``,
    ``entry_id``) in the previous shift's ledger once that shift's cashier confirmed."""

    id: int
    register_id: int
    from_shift_id: int
    to_shift_id: int
    from_cashier_id: int
    to_cashier_id: int
    float_left: Money
    float_left_count: Pieces | None
    received: Money
    received_count: Pieces
    difference: Money
    status: str
    booked_kind: str | None
    entry_id: int | None
    confirmed_by_id: int | None
    confirmed_at: str | None
    created_at: str
    version: int


class DepositOut(BaseModel):
    id: int
    bag_number: str
    amount: Money
    count: Pieces
    shift_ids: list[int]
    created_by: str
    witness: str
    created_at: str
    witnessed_at: str


class DailyOut(BaseModel):
    date: str
    shifts: int
    net_by_method: dict[str, Money]
    takings: Money
    overage: Money
    shortage: Money
    deposited: Money
    deposits: int


class MismatchOut(BaseModel):
    shift_id: int
    problems: list[str]


class ReconciliationOut(BaseModel):
    checked: int
    mismatches: list[MismatchOut]


class ReportRegister(BaseModel):
    id: int
    name: str


class ReportCashier(BaseModel):
    id: int
    username: str
    display_name: str


class MethodTotals(BaseModel):
    """One payment method's sums by entry kind, and its net."""

    method: str
    sale: Money
    refund: Money
    paid_in: Money
    paid_out: Money
    net: Money


class ReportDeposit(BaseModel):
    id: int
    bag_number: str
    takings: Money
    created_at: str


class ShiftReportOut(BaseModel):
    # ``register`` is a method of every model (abc), hence the alias.
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    shift: ShiftOut
    register_: ReportRegister = Field(alias="register")
    cashier: ReportCashier
    currency: str
    totals_by_method: list[MethodTotals]
    entries: list[EntryOut]
    opening_count: Pieces
    closing_count: Pieces
    expected_cash: Money | None
    counted_cash: Money | None
    difference: Money | None
    overage: Money | None
    shortage: Money | None
    float_received: Money
    opening_float: Money
    float_left: Money | None
    takings: Money | None
    differences: list[DifferenceOut]
    deposits: list[ReportDeposit]


# --- Price list and itemised sales -------------------------------------------------------------

Category = Literal["minibar", "linen", "service", "other"]


class PriceItemIn(_In):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    category: Category = "other"
    price: Amount = Field(description='The unit price as a string with the currency\'s decimals: "120.00".')
    taxable: bool = False
    active: bool = True


class PriceItemPatch(_In):
    code: str | None = Field(None, min_length=1, max_length=40)
    name: str | None = Field(None, min_length=1, max_length=100)
    category: Category | None = None
    price: Amount | None = None
    taxable: bool | None = None
    active: bool | None = None
    version: int


class PriceItemQuery(PageQuery):
    category: Category | None = None
    active: bool | None = None


class PriceItemOut(BaseModel):
    id: int
    code: str
    name: str
    category: str
    price: Money
    taxable: bool
    active: bool
    version: int


class SaleLineIn(_In):
    item_code: str = Field(min_length=1, max_length=40)
    quantity: StrictInt = Field(ge=1, le=9999)


class SaleIn(_In):
    lines: list[SaleLineIn] = Field(min_length=1, max_length=100)
    method: Literal["cash", "card", "mobile", "voucher", "other"]
    tendered: Amount | None = Field(None, description="Cash only: what the customer gave; the change is tendered "
                                                      "minus total (less than the total: 422 naming tendered).")


class SaleOut(BaseModel):
    entry: EntryOut
    receipt: ReceiptOut
    total: Money
    tendered: Money | None
    change: Money | None
