from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("shelf_bad", "0001_initial")]

    operations = [ops.AddField(model_name="Parcel", name="shelf", field=fields.CharField(max_length=20, default="A"))]
