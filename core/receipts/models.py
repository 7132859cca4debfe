"""Receipts and their counters (core app, tables ``core_receipt*``).

A receipt is a snapshot: its lines, total and payment are copied when it is issued, so a
price changed later never changes a printed receipt. Amounts are integer minor units of
``currency`` (never floats). Receipts are never deleted: a void marks one and keeps its
number.
"""

from tortoise import fields
from tortoise.models import Model

RECEIPT_STATUSES = ("issued", "void")


class ReceiptCounter(Model):
    """The last number given in a series of a site, bumped under its row lock in the
    transaction that issues the receipt (a rolled-back sale gives its number back)."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="receipt_counters", on_delete=fields.RESTRICT)
    series = fields.CharField(max_length=60)
    last_number = fields.IntField(default=0)

    class Meta:
        table = "core_receipt_counter"
        unique_together = (("site", "series"),)


class Receipt(Model):
    """A numbered receipt: unique per (site, series, number)."""

    id = fields.BigIntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="receipts", on_delete=fields.RESTRICT)
    #: register:<id> for a cash register's sales, fees for property-fee payments
    series = fields.CharField(max_length=60)
    #: The series as people know it (a register's name), printed on the receipt
    series_label = fields.CharField(max_length=100, default="")
    number = fields.IntField()
    issued_at = fields.DatetimeField()
    issued_by = fields.ForeignKeyField("core.User", related_name="issued_receipts", null=True,
                                       on_delete=fields.SET_NULL)
    currency = fields.CharField(max_length=3)
    #: [{code, name, quantity, unit_price, taxable, amount}] with amounts in minor units
    lines = fields.JSONField(default=list)
    total = fields.BigIntField()
    tendered = fields.BigIntField(null=True)
    change = fields.BigIntField(null=True)
    method = fields.CharField(max_length=20)
    #: What the receipt is for: cashier.entry, resident.payment ... and its id
    source_type = fields.CharField(max_length=60, default="")
    source_id = fields.BigIntField(null=True)
    #: issued or void
    status = fields.CharField(max_length=10, default="issued")
    void_reason = fields.CharField(max_length=500, default="")
    voided_at = fields.DatetimeField(null=True)
    voided_by = fields.ForeignKeyField("core.User", related_name="voided_receipts", null=True,
                                       on_delete=fields.SET_NULL)
    # Issued at 0 (services.issue): the first showing makes it 1, the original; every later
    # print adds one and is marked COPY. (The description below is the one migration 0013
    # recorded.)
    #: Times printed: 1 is the original, every reprint adds one and is marked COPY.
    print_count = fields.IntField(default=1)
    version = fields.IntField(default=1)

    class Meta:
        table = "core_receipt"
        unique_together = (("site", "series", "number"),)
        indexes = (("site_id", "issued_at"), ("source_type", "source_id"))
