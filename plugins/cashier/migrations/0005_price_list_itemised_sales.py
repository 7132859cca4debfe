# Price list per site and refunds linked to their sale (issue 17). AddColumn, not
# Tortoise's AddField: safe on a ledger with rows (see core/migration_ops.py).

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

from core.migration_ops import AddColumn

class Migration(migrations.Migration):
    dependencies = [('cashier', '0004_float_handover'), ('core', '0013_receipts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PriceItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='cashier_price_items', on_delete=OnDelete.RESTRICT)),
                ('code', fields.CharField(max_length=40)),
                ('name', fields.CharField(max_length=100)),
                ('category', fields.CharField(default='other', description='minibar, linen, service or other', max_length=20)),
                ('price', fields.BigIntField(description="Minor units of the site's currency.")),
                ('taxable', fields.BooleanField(default=False)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'cashier_price_item', 'app': 'cashier', 'unique_together': (('site', 'code'),), 'pk_attr': 'id', 'table_description': "An item of a site's price list (minibar, linen, services): sold by code in itemised sales."},
            bases=['Model'],
        ),
        AddColumn(
            model_name='Entry',
            name='refunds_id',
            field=fields.BigIntField(null=True, description='A refund of a sale (cashier.Entry id): the refunds of one sale never exceed it.'),
        ),
        ops.AddIndex(
            model_name='Entry',
            index=Index(fields=['refunds_id']),
        ),
    ]
