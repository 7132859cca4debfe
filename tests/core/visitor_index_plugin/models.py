from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class Visit(Model):
    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="visitor_index_visits", on_delete=fields.RESTRICT)
    signed_out_at = fields.DatetimeField(null=True)

    class Meta:
        table = "visitor_index_visit"
        indexes = (("site", "signed_out_at"),)


class Badge(Model):
    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="visitor_index_badges", on_delete=fields.RESTRICT)
    code = fields.CharField(max_length=20)

    class Meta:
        table = "visitor_index_badge"
        unique_together = (("site", "code"),)  # Tortoise translates these: allowed
        indexes = [Index(fields=["site", "code"], name="visitor_badge_site")]
