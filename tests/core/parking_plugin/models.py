from tortoise import fields
from tortoise.models import Model


class Permit(Model):
    id = fields.IntField(primary_key=True)
    plate = fields.CharField(max_length=20, unique=True)

    class Meta:
        table = "parking_permit"
