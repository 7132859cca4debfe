"""Models of the lost_and_found plugin (Tortoise app ``lost_and_found``)."""

from tortoise import fields
from tortoise.models import Model


class Entry(Model):
    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="lost_and_found_entries", on_delete=fields.RESTRICT)
    title = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "lost_and_found_entry"
        ordering = ["-id"]
