"""Models of the `hotel` plugin (Tortoise app `hotel`, tables prefixed `hotel_`)."""

from tortoise import fields
from tortoise.models import Model

OCCUPANCY = ("vacant", "occupied")
HOUSEKEEPING = ("dirty", "pickup", "clean", "inspected")
SERVICE = ("in_service", "out_of_order", "out_of_service")
CODES = ("VC", "VD", "VP", "VI", "OC", "OD", "OP", "OI", "OOO", "OOS")
STOCK_KINDS = ("in", "out", "transfer", "consume", "loss")
STOCK_CATEGORIES = ("linen", "drinks", "amenities", "other")
#: The movement a stocktake's approval posts: its quantity is signed (+ found, - missing).
STOCKTAKE_KIND = "stocktake"
STOCKTAKE_STATUSES = ("counting", "recount", "submitted", "approved", "cancelled")


class Room(Model):
    """One guest room: its three statuses and the code they combine into."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="hotel_rooms", on_delete=fields.RESTRICT)
    #: The core unit this room is (tasks about the room name it).
    unit = fields.ForeignKeyField("core.Unit", related_name="hotel_rooms", null=True, on_delete=fields.SET_NULL)
    number = fields.CharField(max_length=20)
    floor = fields.IntField()
    room_type = fields.CharField(max_length=40, default="")
    #: A housekeeping section (a group of rooms one attendant looks after).
    section = fields.CharField(max_length=40, default="")
    occupancy = fields.CharField(max_length=10, default="vacant")
    housekeeping = fields.CharField(max_length=10, default="dirty")
    service = fields.CharField(max_length=20, default="in_service")
    code = fields.CharField(max_length=3, default="VD", db_index=True)
    oos_reason = fields.CharField(max_length=500, default="")
    oos_until = fields.DateField(null=True)
    guest_name = fields.CharField(max_length=200, default="")
    party = fields.ForeignKeyField("core.Party", related_name="hotel_rooms", null=True, on_delete=fields.SET_NULL)
    #: What housekeeping saw (vacant or occupied) and when, for discrepancies.
    observed = fields.CharField(max_length=10, null=True)
    observed_at = fields.DatetimeField(null=True)
    #: The guest hung the do-not-disturb sign: housekeeping stays out, the cleaning clock stops.
    do_not_disturb = fields.BooleanField(default=False)
    #: The guest refused service today: the cleaning clock stops as for do-not-disturb.
    service_refused = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "hotel_room"
        unique_together = (("site", "number"),)
        ordering = ["floor", "number"]


class RoomEvent(Model):
    """A change of a room's status, with who made it: the room's history."""

    id = fields.BigIntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="hotel_room_events", on_delete=fields.RESTRICT)
    room = fields.ForeignKeyField("hotel.Room", related_name="events", on_delete=fields.CASCADE)
    at = fields.DatetimeField(db_index=True)
    actor = fields.ForeignKeyField("core.User", related_name="hotel_room_events", null=True,
                                   on_delete=fields.SET_NULL)
    kind = fields.CharField(max_length=30)
    occupancy = fields.CharField(max_length=10)
    housekeeping = fields.CharField(max_length=10)
    service = fields.CharField(max_length=20)
    code = fields.CharField(max_length=3)
    from_code = fields.CharField(max_length=3, default="")
    note = fields.CharField(max_length=500, default="")

    class Meta:
        table = "hotel_room_event"
        indexes = (("site_id", "at"), ("room_id", "id"))


class DamageReport(Model):
    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="hotel_damage_reports", on_delete=fields.RESTRICT)
    room = fields.ForeignKeyField("hotel.Room", related_name="damage_reports", on_delete=fields.RESTRICT)
    description = fields.TextField()
    took_out_of_order = fields.BooleanField(default=False)
    task_id = fields.IntField(null=True)
    reported_by = fields.ForeignKeyField("core.User", related_name="hotel_damage_reports", null=True,
                                         on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "hotel_damage_report"
        ordering = ["-id"]


class StockItem(Model):
    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="hotel_stock_items", on_delete=fields.RESTRICT)
    code = fields.CharField(max_length=40)
    name = fields.CharField(max_length=200)
    category = fields.CharField(max_length=20, default="other")
    unit = fields.CharField(max_length=20, default="")
    #: Below this total the item is on the low-stock list.
    par_level = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "hotel_stock_item"
        unique_together = (("site", "code"),)
        ordering = ["category", "code"]


class StockBalance(Model):
    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="hotel_stock_balances", on_delete=fields.RESTRICT)
    item = fields.ForeignKeyField("hotel.StockItem", related_name="balances", on_delete=fields.CASCADE)
    location = fields.CharField(max_length=60)
    quantity = fields.IntField(default=0)

    class Meta:
        table = "hotel_stock_balance"
        unique_together = (("item", "location"),)


class StockMovement(Model):
    id = fields.BigIntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="hotel_stock_movements", on_delete=fields.RESTRICT)
    item = fields.ForeignKeyField("hotel.StockItem", related_name="movements", on_delete=fields.RESTRICT)
    location = fields.CharField(max_length=60)
    kind = fields.CharField(max_length=10)
    quantity = fields.IntField()
    to_location = fields.CharField(max_length=60, default="")
    reason = fields.CharField(max_length=500, default="")
    actor = fields.ForeignKeyField("core.User", related_name="hotel_stock_movements", null=True,
                                   on_delete=fields.SET_NULL)
    at = fields.DatetimeField(auto_now_add=True)
    #: The stocktake (count sheet) whose approval posted this adjustment (kind ``stocktake``).
    stocktake_id = fields.IntField(null=True)

    class Meta:
        table = "hotel_stock_movement"


class StockCount(Model):
    """A stocktake: the count sheet of one location (a store room or a floor)."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="hotel_stock_counts", on_delete=fields.RESTRICT)
    location = fields.CharField(max_length=60)
    #: The location while the sheet is open (counting, recount or submitted), else NULL: one
    #: open sheet per location, kept by the unique index (NULLs never collide).
    open_location = fields.CharField(max_length=60, null=True)
    status = fields.CharField(max_length=10, default="counting")
    note = fields.CharField(max_length=500, default="")
    created_by = fields.ForeignKeyField("core.User", related_name="hotel_stock_counts_created", null=True,
                                        on_delete=fields.SET_NULL)
    submitted_by = fields.ForeignKeyField("core.User", related_name="hotel_stock_counts_submitted", null=True,
                                          on_delete=fields.SET_NULL)
    approved_by = fields.ForeignKeyField("core.User", related_name="hotel_stock_counts_approved", null=True,
                                         on_delete=fields.SET_NULL)
    cancelled_by = fields.ForeignKeyField("core.User", related_name="hotel_stock_counts_cancelled", null=True,
                                          on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField()
    submitted_at = fields.DatetimeField(null=True)
    approved_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField()
    version = fields.IntField(default=1)

    class Meta:
        table = "hotel_stock_count"
        unique_together = (("site", "open_location"),)
        indexes = (("site_id", "status", "id"),)


class StockCountLine(Model):
    """One item on a count sheet: what the books said at opening and what was counted."""

    id = fields.IntField(primary_key=True)
    sheet = fields.ForeignKeyField("hotel.StockCount", related_name="lines", on_delete=fields.CASCADE)
    item = fields.ForeignKeyField("hotel.StockItem", related_name="count_lines", on_delete=fields.RESTRICT)
    #: The balance at the location when the sheet was opened.
    expected = fields.IntField(default=0)
    first_count = fields.IntField(null=True)
    first_by = fields.ForeignKeyField("core.User", related_name="hotel_count_lines_first", null=True,
                                      on_delete=fields.SET_NULL)
    first_at = fields.DatetimeField(null=True)
    #: Set at submission when the first count's variance is past the site's threshold.
    needs_recount = fields.BooleanField(default=False)
    second_count = fields.IntField(null=True)
    second_by = fields.ForeignKeyField("core.User", related_name="hotel_count_lines_second", null=True,
                                       on_delete=fields.SET_NULL)
    second_at = fields.DatetimeField(null=True)
    #: The count that stands (the second when there is one) and final - expected.
    final = fields.IntField(null=True)
    variance = fields.IntField(null=True)
    #: The ``stocktake`` movement the approval posted for a non-zero variance.
    movement_id = fields.BigIntField(null=True)

    class Meta:
        table = "hotel_stock_count_line"
        unique_together = (("sheet", "item"),)
        ordering = ["id"]


class HygieneRecord(Model):
    """One room's hygiene record for one day (linen, cups, bathroom, airing)."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="hotel_hygiene", on_delete=fields.RESTRICT)
    room = fields.ForeignKeyField("hotel.Room", related_name="hygiene", on_delete=fields.CASCADE)
    date = fields.DateField()
    linen_changed = fields.BooleanField(default=False)
    cups_disinfected = fields.BooleanField(default=False)
    bathroom_cleaned = fields.BooleanField(default=False)
    aired_times = fields.IntField(default=0)
    recorded_by = fields.ForeignKeyField("core.User", related_name="hotel_hygiene", null=True,
                                         on_delete=fields.SET_NULL)
    recorded_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "hotel_hygiene_record"
        unique_together = (("room", "date"),)


class NightAuditRun(Model):
    """The nightly job ran for this site and business date (once, whatever the workers)."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="hotel_night_audits", on_delete=fields.RESTRICT)
    business_date = fields.DateField()
    rooms = fields.IntField(default=0)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "hotel_night_audit_run"
        unique_together = (("site", "business_date"),)
