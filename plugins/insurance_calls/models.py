"""Models of the `insurance_calls` plugin (Tortoise app `insurance_calls`, tables prefixed `insurance_calls_`).

Callbacks, complaints and revisits are kernel tasks (``core.Task``); a call links to the
tasks it created and to the task it fulfilled.
"""

from tortoise import fields
from tortoise.models import Model

DIRECTIONS = ("inbound", "outbound")
OUTCOMES = ("resolved", "follow_up", "transferred", "complaint")
CALL_TYPES = ("quote", "vehicle_price", "compulsory_claim_lookup", "claim_consultation", "card_activation",
              "phone_application", "policy_entry", "complaint", "care_callback", "repair_referral", "renewal",
              "other")
APPLICATION_STATUSES = ("draft", "submitted", "issued")


class Call(Model):
    """One logged phone call (話務記錄)."""

    id = fields.BigIntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="insurance_calls", on_delete=fields.RESTRICT)
    direction = fields.CharField(max_length=10)
    started_at = fields.DatetimeField()
    ended_at = fields.DatetimeField()
    # Unknown (null) when the call was logged without its start or its end time: such a call
    # is left out of every average, never counted as a 0-second call.
    #: Seconds between start and end, kept for fast averages (null: unknown).
    handle_seconds = fields.IntField(null=True)
    agent = fields.ForeignKeyField("core.User", related_name="insurance_calls", null=True,
                                   on_delete=fields.SET_NULL)
    #: Digits only, a leading + kept.
    phone = fields.CharField(max_length=20)
    caller_name = fields.CharField(max_length=100, default="")
    #: Upper case, without spaces, dots or dashes.
    plate = fields.CharField(max_length=16, default="")
    policy_no = fields.CharField(max_length=30, default="")
    call_type = fields.CharField(max_length=30)
    #: What was asked.
    summary = fields.TextField()
    #: What was answered.
    answer = fields.TextField(default="")
    outcome = fields.CharField(max_length=20)
    follow_up_at = fields.DatetimeField(null=True)
    #: The call type's own fields (vehicle, card number, repair shop).
    type_fields = fields.JSONField(default=dict)
    #: Revisit calls only: whether the customer was satisfied.
    satisfied = fields.BooleanField(null=True)
    follow_up_task = fields.ForeignKeyField("core.Task", related_name="insurance_follow_up_calls", null=True,
                                            on_delete=fields.SET_NULL)
    complaint_task = fields.ForeignKeyField("core.Task", related_name="insurance_complaint_calls", null=True,
                                            on_delete=fields.SET_NULL)
    # A reopened complaint is never handled to the standard (kpis._complaints).
    #: Complaint calls: how many times their complaint task was reopened.
    reopen_count = fields.IntField(default=0)
    #: The callback or revisit task this (outbound) call carried out.
    task = fields.ForeignKeyField("core.Task", related_name="insurance_calls_made", null=True,
                                  on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "insurance_calls_call"
        # (site, started_at, call_type, agent, handle_seconds) holds all a month's KPIs read
        # of its calls: counting them never touches the table. Revisit calls, the few with a
        # satisfaction, have their own partial index (migration 0004, raw SQL), and so have
        # the complaint calls whose complaint was reopened (migration 0005).
        indexes = (("site_id", "phone", "started_at"), ("site_id", "plate", "started_at"),
                   ("site_id", "policy_no", "started_at"),
                   ("site_id", "started_at", "call_type", "agent_id", "handle_seconds"),
                   ("site_id", "agent_id", "started_at"), ("task_id",))


class Application(Model):
    """A phone application (電話投保) and its policy entry (保單錄入)."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="insurance_applications", on_delete=fields.RESTRICT)
    call = fields.ForeignKeyField("insurance_calls.Call", related_name="applications", null=True,
                                  on_delete=fields.SET_NULL)
    status = fields.CharField(max_length=12, default="draft")
    applicant_name = fields.CharField(max_length=100)
    id_number = fields.CharField(max_length=18)
    phone = fields.CharField(max_length=20)
    plate = fields.CharField(max_length=16, default="")
    vin = fields.CharField(max_length=17)
    vehicle = fields.CharField(max_length=100, default="")
    #: Cover codes chosen, e.g. compulsory, third_party, damage.
    cover = fields.JSONField(default=list)
    #: In minor units of the site's currency.
    premium_minor = fields.BigIntField()
    policy_no = fields.CharField(max_length=30, default="")
    created_by = fields.ForeignKeyField("core.User", related_name="insurance_applications_created", null=True,
                                        on_delete=fields.SET_NULL)
    checked_by = fields.ForeignKeyField("core.User", related_name="insurance_applications_checked", null=True,
                                        on_delete=fields.SET_NULL)
    checked_at = fields.DatetimeField(null=True)
    submitted_at = fields.DatetimeField(null=True)
    issued_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "insurance_calls_application"
        indexes = (("site_id", "status", "id"), ("site_id", "phone"))


class TelephonyCall(Model):
    """A call as the telephone system (PBX) reported it: ringing, answered, ended.

    The webhook (``telephony_api``) writes it; the call logged from it (``Call``) takes its
    start and end times from here and is linked back (``call``)."""

    id = fields.BigIntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="insurance_telephony_calls", on_delete=fields.RESTRICT)
    #: The telephone system's own id of the call (unique per site).
    pbx_call_id = fields.CharField(max_length=100)
    #: The caller's number, digits only, a leading + kept (empty: withheld).
    caller = fields.CharField(max_length=20, default="")
    #: The agent whose extension rang or answered (null: no active member has the extension).
    agent = fields.ForeignKeyField("core.User", related_name="insurance_telephony_calls", null=True,
                                   on_delete=fields.SET_NULL)
    #: The extension the telephone system named.
    extension = fields.CharField(max_length=20, default="")
    ringing_at = fields.DatetimeField(null=True)
    answered_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    #: The call record logged for it.
    call = fields.ForeignKeyField("insurance_calls.Call", related_name="telephony_calls", null=True,
                                  on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "insurance_calls_telephony_call"
        unique_together = (("site", "pbx_call_id"),)
        indexes = (("site_id", "agent_id", "created_at"), ("call_id",))
