from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True
    dependencies = [("core", "0001_initial")]

    operations = [
        ops.CreateModel(
            name="Parcel",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("site", fields.ForeignKeyField("core.Site", source_field="site_id", db_constraint=True,
                                                to_field="id", related_name="shelf_good_parcels",
                                                on_delete=fields.RESTRICT)),
                ("title", fields.CharField(max_length=200)),
            ],
            options={"table": "shelf_good_parcel", "app": "shelf_good", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
