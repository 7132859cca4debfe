"""Audit entries, written in the same transaction as the change they describe. Never
updated or deleted (the model refuses it, and no route offers it)."""

from tortoise import fields
from tortoise.exceptions import OperationalError
from tortoise.models import Model


class AuditEntry(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    #: Null for the system itself or an anonymous caller (failed sign-in).
    actor_id = fields.IntField(null=True, db_index=True)
    actor_name = fields.CharField(max_length=64, default="")
    site_id = fields.IntField(null=True, db_index=True)
    #: What happened, namespaced: "user.create", "auth.login_failed", "hotel.room.check_in".
    action = fields.CharField(max_length=80, db_index=True)
    object_type = fields.CharField(max_length=60, default="")
    object_id = fields.CharField(max_length=40, default="")
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)
    client_address = fields.CharField(max_length=64, default="")
    note = fields.CharField(max_length=500, default="")

    class Meta:
        table = "core_audit_entry"
        ordering = ["-id"]

    async def save(self, *args, **kwargs):
        if self._saved_in_db:
            raise OperationalError("audit entries are append-only")
        await super().save(*args, **kwargs)

    async def delete(self, *args, **kwargs):
        raise OperationalError("audit entries are append-only")
