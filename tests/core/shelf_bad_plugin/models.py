from tortoise import fields
from tortoise.models import Model


class Parcel(Model):
    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="shelf_bad_parcels", on_delete=fields.RESTRICT)
    title = fields.CharField(max_length=200)
    shelf = fields.CharField(max_length=20, default="A")

    class Meta:
        table = "shelf_bad_parcel"
