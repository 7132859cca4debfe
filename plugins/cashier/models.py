"""Models of the `cashier` plugin (Tortoise app `cashier`, tables prefixed `cashier_`).

Money is kept in integer minor units of the site's currency (BigIntField), never floats.
Counts are JSON objects of denomination (minor units, as a string key) to pieces.
"""

from tortoise import fields
from tortoise.exceptions import OperationalError
from tortoise.models import Model

SHIFT_STATUSES = ("open", "pending_review", "closed")
KINDS = ("sale", "refund", "paid_in", "paid_out")
METHODS = ("cash", "card", "mobile", "voucher", "other")
#: The sign with which an entry of each kind moves the drawer (and the takings).
SIGN = {"sale": 1, "refund": -1, "paid_in": 1, "paid_out": -1}
#: Float handover differences, booked on the shift that left the float once its cashier
#: confirmed the handover: more received than left (gain, an overage) or less (loss, a
#: shortage). They move no drawer (the next shift opens with what it counted) and are
#: never posted by hand, and counted by the over/short summary.
HANDOVER_KINDS = ("float_gain", "float_loss")


class Register(Model):
    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="cashier_registers", on_delete=fields.RESTRICT)
    name = fields.CharField(max_length=100)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "cashier_register"
        unique_together = (("site", "name"),)
        ordering = ["name"]


class Shift(Model):
    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="cashier_shifts", on_delete=fields.RESTRICT)
    register = fields.ForeignKeyField("cashier.Register", related_name="shifts", on_delete=fields.RESTRICT)
    cashier = fields.ForeignKeyField("core.User", related_name="cashier_shifts", on_delete=fields.RESTRICT)
    #: open, pending_review (closed with a difference, waiting for a supervisor), closed
    status = fields.CharField(max_length=20, default="open", db_index=True)
    #: Set to the register while the shift is open: a unique column, so two open shifts
    #: on one register cannot both be written, whatever the timing.
    open_register_id = fields.IntField(null=True, unique=True)
    #: Set to the cashier while the shift is open (one open shift per cashier).
    open_cashier_id = fields.IntField(null=True, unique=True)
    previous = fields.ForeignKeyField("cashier.Shift", related_name="next_shifts", null=True,
                                      on_delete=fields.RESTRICT)
    opened_at = fields.DatetimeField()
    opening_count = fields.JSONField(default=dict)
    #: What the incoming cashier counted in the drawer (minor units).
    opening_float = fields.BigIntField(default=0)
    #: What the previous shift of the register left (minor units).
    float_received = fields.BigIntField(default=0)
    #: opening_float minus float_received
    float_difference = fields.BigIntField(default=0)
    float_flagged = fields.BooleanField(default=False)
    closed_at = fields.DatetimeField(null=True)
    counted = fields.JSONField(null=True)
    counted_cash = fields.BigIntField(null=True)
    float_left = fields.BigIntField(null=True)
    float_left_count = fields.JSONField(null=True)
    expected_cash = fields.BigIntField(null=True)
    difference = fields.BigIntField(null=True)
    overage = fields.BigIntField(null=True)
    shortage = fields.BigIntField(null=True)
    takings = fields.BigIntField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    reviewed_by = fields.ForeignKeyField("core.User", related_name="cashier_reviews", null=True,
                                         on_delete=fields.RESTRICT)
    review_note = fields.TextField(default="")
    review_task_id = fields.IntField(null=True)
    #: Ledger entries posted (bumped in each post's transaction: it also serialises
    #: posts against the close).
    entry_count = fields.IntField(default=0)
    version = fields.IntField(default=1)

    class Meta:
        table = "cashier_shift"
        indexes = (("site_id", "register_id", "id"), ("site_id", "cashier_id", "id"))


class Entry(Model):
    """One line of the append-only ledger: never updated, never deleted."""

    id = fields.BigIntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="cashier_entries", on_delete=fields.RESTRICT)
    shift = fields.ForeignKeyField("cashier.Shift", related_name="entries", on_delete=fields.RESTRICT)
    kind = fields.CharField(max_length=10)
    method = fields.CharField(max_length=10)
    #: Always positive (minor units): the kind gives the direction.
    amount = fields.BigIntField()
    reference = fields.CharField(max_length=100, default="")
    note = fields.CharField(max_length=500, default="")
    #: The entry this one cancels (a reversal has the same kind, method and amount).
    reverses = fields.OneToOneField("cashier.Entry", related_name="reversed_by", null=True,
                                    on_delete=fields.RESTRICT)
    is_reversal = fields.BooleanField(default=False)
    reason = fields.CharField(max_length=500, default="")
    #: A refund of a sale (cashier.Entry id): the refunds of one sale never exceed it.
    refunds_id = fields.BigIntField(null=True)
    #: A refund above the site's limit counts only once a supervisor approved it.
    needs_approval = fields.BooleanField(default=False)
    idempotency_key = fields.CharField(max_length=200, null=True)
    request_hash = fields.CharField(max_length=64, default="")
    created_by = fields.ForeignKeyField("core.User", related_name="cashier_entries", on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField()

    class Meta:
        table = "cashier_entry"
        unique_together = (("shift", "idempotency_key"),)
        indexes = (("shift_id", "id"), ("refunds_id",))

    async def save(self, *args, **kwargs):
        if self._saved_in_db:
            raise OperationalError("cashier ledger entries are append-only")
        await super().save(*args, **kwargs)

    async def delete(self, *args, **kwargs):
        raise OperationalError("cashier ledger entries are append-only")


class Approval(Model):
    """A refund above the site's limit waiting for (or given) a supervisor's decision.

    The ledger entry itself never changes; its approval state lives here.
    """

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="cashier_approvals", on_delete=fields.RESTRICT)
    entry = fields.OneToOneField("cashier.Entry", related_name="approval", on_delete=fields.RESTRICT)
    #: pending, approved or rejected
    status = fields.CharField(max_length=10, default="pending")
    note = fields.CharField(max_length=500, default="")
    decided_by = fields.ForeignKeyField("core.User", related_name="cashier_approvals", null=True,
                                        on_delete=fields.RESTRICT)
    decided_at = fields.DatetimeField(null=True)
    task_id = fields.IntField(null=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "cashier_approval"


class Difference(Model):
    """An overage handed in (長繳) or a shortage the cashier owes (短補), never netted."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="cashier_differences", on_delete=fields.RESTRICT)
    shift = fields.ForeignKeyField("cashier.Shift", related_name="differences", on_delete=fields.RESTRICT)
    cashier = fields.ForeignKeyField("core.User", related_name="cashier_differences", on_delete=fields.RESTRICT)
    #: overage or shortage
    kind = fields.CharField(max_length=10)
    amount = fields.BigIntField()
    #: A shortage: what has been paid back so far.
    settled = fields.BigIntField(default=0)
    created_at = fields.DatetimeField()
    version = fields.IntField(default=1)

    class Meta:
        table = "cashier_difference"
        unique_together = (("shift", "kind"),)


class Settlement(Model):
    """A cashier's payment towards a shortage they owe: its own record."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="cashier_settlements", on_delete=fields.RESTRICT)
    difference = fields.ForeignKeyField("cashier.Difference", related_name="settlements",
                                        on_delete=fields.RESTRICT)
    amount = fields.BigIntField()
    method = fields.CharField(max_length=10)
    note = fields.CharField(max_length=500, default="")
    received_by = fields.ForeignKeyField("core.User", related_name="cashier_settlements",
                                         on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField()

    class Meta:
        table = "cashier_settlement"


class Deposit(Model):
    """A numbered deposit bag (交款袋) holding one or more shifts' takings, witnessed."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="cashier_deposits", on_delete=fields.RESTRICT)
    bag_number = fields.CharField(max_length=40)
    count = fields.JSONField(default=dict)
    amount = fields.BigIntField()
    created_by = fields.ForeignKeyField("core.User", related_name="cashier_deposits", on_delete=fields.RESTRICT)
    witness = fields.ForeignKeyField("core.User", related_name="cashier_witnessed", on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField()
    witnessed_at = fields.DatetimeField()

    class Meta:
        table = "cashier_deposit"
        unique_together = (("site", "bag_number"),)


class DepositShift(Model):
    """A shift's takings in a deposit: each shift goes into exactly one bag."""

    id = fields.IntField(primary_key=True)
    deposit = fields.ForeignKeyField("cashier.Deposit", related_name="shift_links", on_delete=fields.RESTRICT)
    shift = fields.OneToOneField("cashier.Shift", related_name="deposit_link", on_delete=fields.RESTRICT)
    takings = fields.BigIntField()

    class Meta:
        table = "cashier_deposit_shift"


class FloatHandover(Model):
    """A float left in a register's drawer taken over by the next shift, signed by both cashiers."""

    # The next cashier counts it when opening (``received``), the previous one confirms with
    # their password; a difference is booked in the ledger of the shift that left the float
    # (``entry``) when it is confirmed.

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="cashier_float_handovers", on_delete=fields.RESTRICT)
    register = fields.ForeignKeyField("cashier.Register", related_name="float_handovers",
                                      on_delete=fields.RESTRICT)
    from_shift = fields.OneToOneField("cashier.Shift", related_name="float_handed_over", on_delete=fields.RESTRICT)
    to_shift = fields.OneToOneField("cashier.Shift", related_name="float_taken_over", on_delete=fields.RESTRICT)
    from_cashier = fields.ForeignKeyField("core.User", related_name="cashier_floats_handed_over",
                                          on_delete=fields.RESTRICT)
    to_cashier = fields.ForeignKeyField("core.User", related_name="cashier_floats_taken_over",
                                        on_delete=fields.RESTRICT)
    #: What the previous shift said it left (minor units), and its count when it gave one.
    float_left = fields.BigIntField()
    float_left_count = fields.JSONField(null=True)
    #: What the next cashier counted (minor units), and the count (empty: an amount).
    received = fields.BigIntField()
    received_count = fields.JSONField(default=dict)
    #: received minus float_left
    difference = fields.BigIntField()
    #: pending (waiting for the previous cashier) or confirmed
    status = fields.CharField(max_length=10, default="pending", db_index=True)
    confirmed_by = fields.ForeignKeyField("core.User", related_name="cashier_floats_confirmed", null=True,
                                          on_delete=fields.RESTRICT)
    confirmed_at = fields.DatetimeField(null=True)
    #: The ledger entry that booked the difference (none when there was none).
    entry = fields.OneToOneField("cashier.Entry", related_name="float_handover", null=True,
                                 on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField()
    version = fields.IntField(default=1)

    class Meta:
        table = "cashier_float_handover"
        indexes = (("site_id", "from_cashier_id", "status"), ("site_id", "to_cashier_id", "status"))


PRICE_CATEGORIES = ("minibar", "linen", "service", "other")


class PriceItem(Model):
    """An item of a site's price list (minibar, linen, services): sold by code in itemised sales."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="cashier_price_items", on_delete=fields.RESTRICT)
    code = fields.CharField(max_length=40)
    name = fields.CharField(max_length=100)
    #: minibar, linen, service or other
    category = fields.CharField(max_length=20, default="other")
    #: Minor units of the site's currency.
    price = fields.BigIntField()
    taxable = fields.BooleanField(default=False)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "cashier_price_item"
        unique_together = (("site", "code"),)
