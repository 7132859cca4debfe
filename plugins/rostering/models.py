"""Models of the `rostering` plugin (Tortoise app `rostering`, tables prefixed `rostering_`).

A shift pattern (早班 07:00-15:00) is a department's named shift in the site's local time;
a roster is a department's duties over a week or a month, drawn as a draft and then
published; a duty is one person on one shift on one day, with its start and end in UTC
(computed from the site's time zone when it is drawn, so a night shift crossing midnight
and a change of daylight saving time are settled once). Swaps and leave are requests
decided by a supervisor; attendance is clocking in and out; certificates (健康證) carry an
expiry that rostering checks against the shifts that require them.
"""

from tortoise import fields
from tortoise.models import Model

ROSTER_STATUSES = ("draft", "published")
DUTY_ORIGINS = ("drawn", "copied", "swap")
SWAP_STATUSES = ("requested", "accepted", "approved", "declined", "rejected", "cancelled")
LEAVE_STATUSES = ("requested", "approved", "rejected", "cancelled")
#: Half days: a leave may start in the afternoon (``pm``) or end at noon (``am``).
HALVES = ("", "am", "pm")
CLOCK_SOURCES = ("button", "sign_in", "supervisor")


class ShiftPattern(Model):
    """A department's named shift at a site, in the site's local time."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="rostering_shifts", on_delete=fields.RESTRICT)
    #: The department whose roster uses it (the users' department, e.g. housekeeping).
    department = fields.CharField(max_length=40)
    #: Short code shown in the roster grid (E, M, N).
    code = fields.CharField(max_length=12)
    name = fields.CharField(max_length=60)
    #: Local start, minutes after midnight (07:00 is 420).
    start_minute = fields.IntField()
    #: Length in minutes, up to a day: a shift whose start plus length passes midnight ends the next day.
    duration_minutes = fields.IntField()
    #: Unpaid break inside the shift, in minutes.
    break_minutes = fields.IntField(default=0)
    #: Fewest people the department needs on this shift each day (0: no minimum).
    min_staff = fields.IntField(default=0)
    #: Certificate kinds (rostering.certificate_kind codes) a person needs, unexpired, to work it.
    required_certificates = fields.JSONField(default=list)
    active = fields.BooleanField(default=True)
    position = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "rostering_shift"
        unique_together = (("site", "department", "code"),)


class Roster(Model):
    """A department's duties at a site from ``starts_on`` to ``ends_on`` (a week or a month)."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="rostering_rosters", on_delete=fields.RESTRICT)
    department = fields.CharField(max_length=40)
    starts_on = fields.DateField()
    #: The last day, inclusive.
    ends_on = fields.DateField()
    status = fields.CharField(max_length=10, default="draft")
    published_at = fields.DatetimeField(null=True)
    published_by = fields.ForeignKeyField("core.User", related_name="rostering_published", null=True,
                                          on_delete=fields.SET_NULL)
    created_by = fields.ForeignKeyField("core.User", related_name="rostering_rosters", null=True,
                                        on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "rostering_roster"
        unique_together = (("site", "department", "starts_on"),)
        indexes = (("site_id", "starts_on", "ends_on"),)


class Duty(Model):
    """One person on one shift on one local day of a roster."""

    id = fields.BigIntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="rostering_duties", on_delete=fields.RESTRICT)
    roster = fields.ForeignKeyField("rostering.Roster", related_name="duties", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("core.User", related_name="rostering_duties", on_delete=fields.RESTRICT)
    shift = fields.ForeignKeyField("rostering.ShiftPattern", related_name="duties", on_delete=fields.RESTRICT)
    #: The local day the shift starts on.
    day = fields.DateField()
    #: The shift's start and end on that day, in UTC.
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    #: How it came to be: drawn on the grid, copied from the week before, or moved by a swap.
    origin = fields.CharField(max_length=10, default="drawn")
    note = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "rostering_duty"
        unique_together = (("user", "shift", "day"),)
        indexes = (("site_id", "starts_at"), ("user_id", "starts_at"), ("roster_id", "day"))


class SwapRequest(Model):
    """A request to hand one's duty to a colleague (and take theirs, when named): the
    colleague accepts, then a supervisor approves."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="rostering_swaps", on_delete=fields.RESTRICT)
    requester = fields.ForeignKeyField("core.User", related_name="rostering_swaps_asked", on_delete=fields.RESTRICT)
    duty = fields.ForeignKeyField("rostering.Duty", related_name="swaps_given", null=True, on_delete=fields.SET_NULL)
    colleague = fields.ForeignKeyField("core.User", related_name="rostering_swaps_offered",
                                       on_delete=fields.RESTRICT)
    #: The colleague's duty taken in exchange (null: the colleague only takes over).
    colleague_duty = fields.ForeignKeyField("rostering.Duty", related_name="swaps_taken", null=True,
                                            on_delete=fields.SET_NULL)
    #: The duties as they were asked for (day, shift, times), kept when a duty later goes.
    snapshot = fields.JSONField(default=dict)
    status = fields.CharField(max_length=10, default="requested")
    reason = fields.CharField(max_length=500, default="")
    accepted_at = fields.DatetimeField(null=True)
    decided_by = fields.ForeignKeyField("core.User", related_name="rostering_swaps_decided", null=True,
                                        on_delete=fields.SET_NULL)
    decided_at = fields.DatetimeField(null=True)
    decision_note = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "rostering_swap"
        indexes = (("site_id", "status"),)


class LeaveRequest(Model):
    """A request for leave from ``starts_on`` to ``ends_on`` (inclusive), decided by a supervisor."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="rostering_leaves", on_delete=fields.RESTRICT)
    user = fields.ForeignKeyField("core.User", related_name="rostering_leaves", on_delete=fields.RESTRICT)
    #: A rostering.leave_type code.
    leave_type = fields.CharField(max_length=40)
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    #: pm: the first day is an afternoon only.
    start_half = fields.CharField(max_length=2, default="")
    #: am: the last day is a morning only.
    end_half = fields.CharField(max_length=2, default="")
    #: Length in half days (a whole day is 2).
    half_days = fields.IntField()
    status = fields.CharField(max_length=10, default="requested")
    reason = fields.CharField(max_length=500, default="")
    #: The duties its approval took off the roster (id, day, shift, times), for the record.
    removed_duties = fields.JSONField(default=list)
    decided_by = fields.ForeignKeyField("core.User", related_name="rostering_leaves_decided", null=True,
                                        on_delete=fields.SET_NULL)
    decided_at = fields.DatetimeField(null=True)
    decision_note = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "rostering_leave"
        indexes = (("site_id", "status"), ("user_id", "starts_on"))


class Attendance(Model):
    """A clock-in and its clock-out (考勤), against the duty it falls in, when any."""

    id = fields.BigIntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="rostering_attendance", on_delete=fields.RESTRICT)
    user = fields.ForeignKeyField("core.User", related_name="rostering_attendance", on_delete=fields.RESTRICT)
    duty = fields.ForeignKeyField("rostering.Duty", related_name="attendance", null=True, on_delete=fields.SET_NULL)
    clock_in_at = fields.DatetimeField()
    clock_out_at = fields.DatetimeField(null=True)
    clock_in_source = fields.CharField(max_length=10, default="button")
    clock_out_source = fields.CharField(max_length=10, default="")
    #: Minutes after the duty's start beyond the grace (0: on time or no duty).
    late_minutes = fields.IntField(default=0)
    #: Minutes before the duty's end the clock-out came (0: stayed to the end or no duty).
    early_minutes = fields.IntField(default=0)
    note = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "rostering_attendance"
        indexes = (("site_id", "user_id", "clock_in_at"), ("site_id", "clock_out_at"))


class Certificate(Model):
    """A person's certificate (健康證 and other credentials) as held at a site, with its expiry."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="rostering_certificates", on_delete=fields.RESTRICT)
    user = fields.ForeignKeyField("core.User", related_name="rostering_certificates", on_delete=fields.RESTRICT)
    #: A rostering.certificate_kind code.
    kind = fields.CharField(max_length=40)
    number = fields.CharField(max_length=60, default="")
    issued_on = fields.DateField(null=True)
    #: The last day it is valid.
    expires_on = fields.DateField()
    note = fields.CharField(max_length=200, default="")
    #: The supervisor's reminder task, once created (one per certificate).
    reminder_task = fields.ForeignKeyField("core.Task", related_name="rostering_certificates", null=True,
                                           on_delete=fields.SET_NULL)
    created_by = fields.ForeignKeyField("core.User", related_name="rostering_certificates_entered", null=True,
                                        on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "rostering_certificate"
        indexes = (("site_id", "expires_on"), ("user_id", "kind"))
