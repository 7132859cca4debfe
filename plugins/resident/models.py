"""Models of the `resident` plugin (Tortoise app `resident`, tables prefixed `resident_`).

Money is kept in integer minor units of the site's currency (BigIntField), never a float.
"""

from tortoise import fields
from tortoise.models import Model

CASE_KINDS = ("repair", "complaint", "inquiry", "suggestion")
CHANNELS = ("phone", "walk_in", "app", "email", "other")
SEVERITIES = ("normal", "major")
RELATIONS = ("owner", "tenant", "family")
REVISIT_METHODS = ("phone", "email", "sms", "visit")
PROCEDURE_KINDS = ("move_in", "renovation")
PAYMENT_METHODS = ("cash", "card", "transfer", "mobile", "other")


class Household(Model):
    """The people living in one unit (one household per unit)."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="resident_households", on_delete=fields.RESTRICT)
    unit = fields.OneToOneField("core.Unit", related_name="resident_household", on_delete=fields.RESTRICT)
    #: An important owner: their cases go to the supervisor at once.
    important = fields.BooleanField(default=False)
    #: Floor area in square metres, for fee schedules priced by area.
    area = fields.DecimalField(max_digits=10, decimal_places=2, default=0)
    notes = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "resident_household"


class Member(Model):
    id = fields.IntField(primary_key=True)
    household = fields.ForeignKeyField("resident.Household", related_name="members", on_delete=fields.CASCADE)
    party = fields.ForeignKeyField("core.Party", related_name="resident_memberships", null=True,
                                   on_delete=fields.SET_NULL)
    name = fields.CharField(max_length=200)
    relation = fields.CharField(max_length=10)
    phone = fields.CharField(max_length=40, default="")

    class Meta:
        table = "resident_member"


class Case(Model):
    """A resident's repair, complaint, inquiry or suggestion: one kernel task each."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="resident_cases", on_delete=fields.RESTRICT)
    task = fields.OneToOneField("core.Task", related_name="resident_case", on_delete=fields.RESTRICT)
    unit = fields.ForeignKeyField("core.Unit", related_name="resident_cases", on_delete=fields.RESTRICT)
    party = fields.ForeignKeyField("core.Party", related_name="resident_cases", null=True, on_delete=fields.SET_NULL)
    kind = fields.CharField(max_length=20)
    channel = fields.CharField(max_length=20)
    # A complaint's category: a code of the site's list ``resident.complaint_category``
    # (other kinds keep a free text, as before).
    category = fields.CharField(max_length=60, default="")
    #: A complaint's cause: a code of the site's list ``resident.complaint_cause``, required to close.
    cause = fields.CharField(max_length=40, null=True)
    severity = fields.CharField(max_length=10, default="normal")
    title = fields.CharField(max_length=200)
    #: When the first reply to the resident must be given (for the on-time reply KPI).
    reply_due_at = fields.DatetimeField()
    replied_at = fields.DatetimeField(null=True)
    reply = fields.TextField(default="")
    #: A satisfied revisit since the last reopening (a complaint closes only with one).
    satisfied = fields.BooleanField(default=False)
    reopen_count = fields.IntField(default=0)
    #: "" or supervisor or manager.
    escalated_to = fields.CharField(max_length=20, default="")
    merged_into = fields.ForeignKeyField("resident.Case", related_name="merged", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "resident_case"
        indexes = (("site_id", "unit_id", "category", "created_at"), ("site_id", "kind", "created_at"))


class Campaign(Model):
    """A revisit campaign: the households due, spread over agents."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="resident_campaigns", on_delete=fields.RESTRICT)
    name = fields.CharField(max_length=200)
    rule = fields.JSONField()
    agent_ids = fields.JSONField(default=list)
    #: Agents with this skill take a double share (empty: equal shares).
    skill = fields.CharField(max_length=40, default="")
    due_at = fields.DatetimeField(null=True)
    distributed_at = fields.DatetimeField(null=True)
    created_by = fields.ForeignKeyField("core.User", related_name="resident_campaigns", null=True,
                                        on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    #: none, before_call (a message, then the call) or instead_of_call (a message in place of the call).
    message_mode = fields.CharField(max_length=20, default="none")
    #: The channel the message goes by: sms, email, or empty for each resident's preferred one.
    message_channel = fields.CharField(max_length=20, default="")

    class Meta:
        table = "resident_campaign"


class Revisit(Model):
    """One revisit (回訪): planned in a campaign or recorded on a case."""

    id = fields.BigIntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="resident_revisits", on_delete=fields.RESTRICT)
    unit = fields.ForeignKeyField("core.Unit", related_name="resident_revisits", on_delete=fields.RESTRICT)
    case = fields.ForeignKeyField("resident.Case", related_name="revisits", null=True, on_delete=fields.RESTRICT)
    campaign = fields.ForeignKeyField("resident.Campaign", related_name="revisits", null=True,
                                      on_delete=fields.RESTRICT)
    agent = fields.ForeignKeyField("core.User", related_name="resident_revisits", null=True,
                                   on_delete=fields.SET_NULL)
    # Or messaged: a campaign that sends a message instead of the call queued one (the
    # revisit leaves the call lists, and is neither reached nor unreached in the KPIs).
    #: pending or done.
    status = fields.CharField(max_length=10, default="pending")
    method = fields.CharField(max_length=10, default="")
    reached = fields.BooleanField(null=True)
    satisfied = fields.BooleanField(null=True)
    score = fields.SmallIntField(null=True)
    evaluation = fields.TextField(default="")
    suggestions = fields.TextField(default="")
    notes = fields.TextField(default="")
    done_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    #: Calls made so far: each unreached one and the one that ended the revisit.
    attempts = fields.IntField(default=0)
    last_attempt_at = fields.DatetimeField(null=True)
    #: When the next attempt is due: the campaign's due time, then each retry's.
    due_at = fields.DatetimeField(null=True)
    #: Pending past its due time (set by the overdue pass, cleared by a retry).
    overdue = fields.BooleanField(default=False)
    #: The supervisor's task after the last unreached attempt (a core task id).
    escalation_task_id = fields.IntField(null=True)
    #: The follow-up task (remedy) after an unsatisfied campaign revisit (a core task id).
    follow_up_task_id = fields.IntField(null=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "resident_revisit"
        # (case, status, reached, satisfied): the complaint KPIs count the done revisits of a
        # period's cases from the index alone.
        indexes = (("site_id", "agent_id", "status"), ("campaign_id", "status"), ("unit_id", "id"),
                   ("case_id", "status", "reached", "satisfied"), ("status", "overdue", "due_at"))


class RevisitAttempt(Model):
    """One call of a revisit: the revisit record (回訪記錄表) keeps every attempt.

    Its number, when, by whom, how, whether the resident was reached, the caller's notes."""

    id = fields.BigIntField(primary_key=True)
    revisit = fields.ForeignKeyField("resident.Revisit", related_name="history", on_delete=fields.CASCADE)
    #: 1 for the first call of the revisit, then 2, 3...
    number = fields.IntField()
    at = fields.DatetimeField()
    by = fields.ForeignKeyField("core.User", related_name="resident_revisit_attempts", null=True,
                                on_delete=fields.SET_NULL)
    method = fields.CharField(max_length=10)
    reached = fields.BooleanField()
    notes = fields.TextField(default="")

    class Meta:
        table = "resident_revisit_attempt"
        unique_together = (("revisit_id", "number"),)


class Procedure(Model):
    """A move-in or renovation procedure: a checklist, documents, approval, deposit."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="resident_procedures", on_delete=fields.RESTRICT)
    unit = fields.ForeignKeyField("core.Unit", related_name="resident_procedures", on_delete=fields.RESTRICT)
    kind = fields.CharField(max_length=20)
    #: open, approved, completed, archived.
    status = fields.CharField(max_length=20, default="open")
    applicant = fields.CharField(max_length=200, default="")
    #: [{"key", "label", "required_document", "done", "done_by", "done_at"}]
    steps = fields.JSONField(default=list)
    deposit_minor = fields.BigIntField(default=0)
    deposit_refunded_minor = fields.BigIntField(default=0)
    approved_by = fields.ForeignKeyField("core.User", related_name="resident_approvals", null=True,
                                         on_delete=fields.SET_NULL)
    approved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "resident_procedure"


class ProcedureDocument(Model):
    id = fields.IntField(primary_key=True)
    procedure = fields.ForeignKeyField("resident.Procedure", related_name="documents", on_delete=fields.RESTRICT)
    step = fields.CharField(max_length=40, default="")
    filename = fields.CharField(max_length=200)
    content_type = fields.CharField(max_length=60)
    size = fields.IntField()
    #: Path relative to the plugin's upload folder (outside the web root).
    stored_as = fields.CharField(max_length=200)
    uploaded_by = fields.ForeignKeyField("core.User", related_name="resident_documents", null=True,
                                         on_delete=fields.SET_NULL)
    uploaded_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "resident_procedure_document"


class FeeSchedule(Model):
    """Monthly property fee for one unit kind: a fixed part plus a price per square metre."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="resident_fee_schedules", on_delete=fields.RESTRICT)
    unit_kind = fields.CharField(max_length=20)
    fixed_minor = fields.BigIntField(default=0)
    per_sqm_minor = fields.BigIntField(default=0)
    due_day = fields.SmallIntField(default=15)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "resident_fee_schedule"
        unique_together = (("site", "unit_kind"),)


class BillingRun(Model):
    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="resident_billing_runs", on_delete=fields.RESTRICT)
    period = fields.CharField(max_length=7)
    created_count = fields.IntField(default=0)
    run_by = fields.ForeignKeyField("core.User", related_name="resident_billing_runs", null=True,
                                    on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "resident_billing_run"


class Bill(Model):
    """The property fee of one unit for one period (YYYY-MM), created once."""

    id = fields.BigIntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="resident_bills", on_delete=fields.RESTRICT)
    unit = fields.ForeignKeyField("core.Unit", related_name="resident_bills", on_delete=fields.RESTRICT)
    period = fields.CharField(max_length=7)
    amount_minor = fields.BigIntField()
    paid_minor = fields.BigIntField(default=0)
    outstanding_minor = fields.BigIntField()
    due_date = fields.DateField()
    created_at = fields.DatetimeField(auto_now_add=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "resident_bill"
        unique_together = (("unit", "period"),)
        indexes = (("site_id", "outstanding_minor", "due_date"),)


class Payment(Model):
    id = fields.BigIntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="resident_payments", on_delete=fields.RESTRICT)
    bill = fields.ForeignKeyField("resident.Bill", related_name="payments", on_delete=fields.RESTRICT)
    amount_minor = fields.BigIntField()
    method = fields.CharField(max_length=20)
    received_by = fields.ForeignKeyField("core.User", related_name="resident_payments", null=True,
                                         on_delete=fields.SET_NULL)
    paid_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "resident_payment"


REMINDER_KINDS = ("message", "letter")


class ReminderRun(Model):
    """One arrears reminder run (催繳): the bills it reminded, by message or letter."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="resident_reminder_runs", on_delete=fields.RESTRICT)
    #: The day the arrears were read on (the site's date), whose month keys the reminders.
    as_of = fields.DateField()
    #: YYYY-MM of ``as_of``: one reminder per bill and month.
    month = fields.CharField(max_length=7)
    #: Letters asked for every bill (else only for residents no message reaches).
    letters = fields.BooleanField(default=False)
    #: {queued, suppressed, failed, letters, already_sent}
    counts = fields.JSONField(default=dict)
    run_by = fields.ForeignKeyField("core.User", related_name="resident_reminder_runs", null=True,
                                    on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "resident_reminder_run"


class ArrearsReminder(Model):
    """The reminder log of a bill: one reminder per bill and month, a message or a letter."""

    id = fields.BigIntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="resident_arrears_reminders", on_delete=fields.RESTRICT)
    bill = fields.ForeignKeyField("resident.Bill", related_name="reminders", on_delete=fields.CASCADE)
    run = fields.ForeignKeyField("resident.ReminderRun", related_name="reminders", on_delete=fields.CASCADE)
    month = fields.CharField(max_length=7)
    #: message or letter.
    kind = fields.CharField(max_length=10)
    #: The message queued (its status tells how it went), null for a letter.
    message_id = fields.BigIntField(null=True)
    #: The party reminded (null: a letter to the unit's occupant).
    party_id = fields.IntField(null=True)
    #: The amount unpaid when reminded, in minor units of the site's currency.
    outstanding_minor = fields.BigIntField()
    run_at = fields.DatetimeField(auto_now_add=True)
    by = fields.ForeignKeyField("core.User", related_name="resident_arrears_reminders", null=True,
                                on_delete=fields.SET_NULL)

    class Meta:
        table = "resident_arrears_reminder"
        unique_together = (("bill_id", "month"),)
        indexes = (("run_id", "kind"),)


class Announcement(Model):
    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="resident_announcements", on_delete=fields.RESTRICT)
    #: Empty: the whole site.
    building = fields.CharField(max_length=60, default="")
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    publish_from = fields.DatetimeField()
    publish_until = fields.DatetimeField(null=True)
    created_by = fields.ForeignKeyField("core.User", related_name="resident_announcements", null=True,
                                        on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "resident_announcement"


HOUSEHOLD_CHANGE_KINDS = ("occupant", "member_added", "member_changed", "member_removed", "details")


class HouseholdChange(Model):
    """One entry of a household's history: an owner or tenant change, a member or details change.

    An owner or tenant change has the date it took effect; a family member is added,
    changed or removed; details are the important-owner mark, the area and the notes."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="resident_household_changes", on_delete=fields.RESTRICT)
    household = fields.ForeignKeyField("resident.Household", related_name="changes", on_delete=fields.CASCADE)
    #: occupant, member_added, member_changed, member_removed or details.
    kind = fields.CharField(max_length=20)
    #: The relation concerned (owner or tenant for an occupant change), else empty.
    relation = fields.CharField(max_length=10, default="")
    #: The people concerned before the change: [{"id", "name", "relation", "party_id", "phone"}].
    before = fields.JSONField(default=list)
    #: The people concerned after the change, in the same shape.
    after = fields.JSONField(default=list)
    #: A details change: {"field": [before, after]}.
    details = fields.JSONField(default=dict)
    #: When an owner or tenant change took effect (the site's date), else null.
    effective_date = fields.DateField(null=True)
    note = fields.TextField(default="")
    recorded_by = fields.ForeignKeyField("core.User", related_name="resident_household_changes", null=True,
                                         on_delete=fields.SET_NULL)
    recorded_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "resident_household_change"
        indexes = (("household_id", "kind", "effective_date"),)
