"""The outbox: every message Frontdesk sends, its attempts, sites' own wording, opt-outs.

A message is a row before it is anything else: services queue it in the transaction of
the change that causes it (``core.messages.services.queue``), so a rolled-back change
sends nothing, and the delivery worker (``core.messages.worker``) sends what committed.
"""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

#: queued → sending → sent → delivered, or failed. suppressed (opted out) and cancelled
#: never leave the outbox.
STATUSES = ("queued", "sending", "sent", "delivered", "failed", "suppressed", "cancelled")


class Message(Model):
    id = fields.BigIntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="messages", on_delete=fields.RESTRICT)
    #: A registered channel's name: email, sms, in_app (``register_channels``).
    channel = fields.CharField(max_length=20)
    #: A declared template's key (``register_message_templates``): resident.case_reply.
    template = fields.CharField(max_length=80)
    language = fields.CharField(max_length=10)
    #: The template's placeholders and their values, rendered when the message is sent.
    context = fields.JSONField(default=dict)
    party = fields.ForeignKeyField("core.Party", related_name="messages", null=True, on_delete=fields.SET_NULL)
    user = fields.ForeignKeyField("core.User", related_name="messages", null=True, on_delete=fields.SET_NULL)
    #: Where it goes (an e-mail address or a phone number, empty in-app), fixed when queued.
    address = fields.CharField(max_length=254, default="")
    #: The record it concerns, as a task's subject: plugin, kind, id.
    subject_plugin = fields.CharField(max_length=60, default="")
    subject_kind = fields.CharField(max_length=40, default="")
    subject_id = fields.BigIntField(null=True)
    status = fields.CharField(max_length=12, default="queued")
    #: Why it was suppressed, failed or retried last.
    reason = fields.CharField(max_length=500, default="")
    attempts = fields.IntField(default=0)
    #: When a worker may next try it (quiet hours and backoff push it later).
    next_attempt_at = fields.DatetimeField(null=True)
    #: A worker holds it until then: past it, a vanished worker's claim returns to the queue.
    claimed_until = fields.DatetimeField(null=True)
    #: What was sent, rendered in the message's language (kept as the record of it).
    rendered_subject = fields.CharField(max_length=300, default="")
    rendered_body = fields.TextField(default="")
    #: The gateway's own id, matched by its delivery reports.
    provider_id = fields.CharField(max_length=100, default="", db_index=True)
    #: One message per key and site, however often the run that queues it repeats.
    dedupe_key = fields.CharField(max_length=200, null=True)
    created_by = fields.ForeignKeyField("core.User", related_name="queued_messages", null=True,
                                        on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    #: In-app notices: when the person read it.
    read_at = fields.DatetimeField(null=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "core_message"
        table_description = "A message queued, sent or suppressed: the outbox."
        unique_together = (("site", "dedupe_key"),)
        indexes = [Index(fields=["status", "next_attempt_at"]),
                   Index(fields=["subject_plugin", "subject_kind", "subject_id"]),
                   Index(fields=["user_id", "channel", "read_at"]),
                   Index(fields=["site_id", "created_at"])]
        ordering = ["-id"]


class MessageAttempt(Model):
    id = fields.BigIntField(primary_key=True)
    message = fields.ForeignKeyField("core.Message", related_name="attempt_log", on_delete=fields.CASCADE)
    number = fields.IntField()
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField()
    #: sent, retry (a passing failure) or failed (given up).
    outcome = fields.CharField(max_length=10)
    detail = fields.CharField(max_length=500, default="")
    #: host:pid of the worker that tried.
    worker = fields.CharField(max_length=100, default="")

    class Meta:
        table = "core_message_attempt"
        table_description = "One delivery attempt of a message, whatever its outcome."
        ordering = ["id"]


class MessageTemplateText(Model):
    """A site's own wording of a declared template for one channel and language (without
    one, the template's translated default applies)."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="message_templates", on_delete=fields.RESTRICT)
    template = fields.CharField(max_length=80)
    channel = fields.CharField(max_length=20)
    language = fields.CharField(max_length=10)
    subject = fields.CharField(max_length=300, default="")
    body = fields.TextField()
    updated_by = fields.ForeignKeyField("core.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "core_message_template"
        unique_together = (("site", "template", "channel", "language"),)


class MessageOptOut(Model):
    """A party's refusal of a channel, kept (not deleted) when they opt back in."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="message_opt_outs", on_delete=fields.RESTRICT)
    party = fields.ForeignKeyField("core.Party", related_name="opt_outs", on_delete=fields.CASCADE)
    channel = fields.CharField(max_length=20)
    #: False once they opted back in: the row stays as the record of both.
    active = fields.BooleanField(default=True)
    reason = fields.CharField(max_length=200, default="")
    recorded_by = fields.ForeignKeyField("core.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "core_message_opt_out"
        unique_together = (("party", "channel"),)
