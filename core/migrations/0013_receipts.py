# Numbered receipts (issue 17): core_receipt (unique per site, series and number) and
# core_receipt_counter, the gapless counter per (site, series).

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0012_code_lists')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Receipt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='receipts', on_delete=OnDelete.RESTRICT)),
                ('series', fields.CharField(description="register:<id> for a cash register's sales, fees for property-fee payments", max_length=60)),
                ('series_label', fields.CharField(default='', description="The series as people know it (a register's name), printed on the receipt", max_length=100)),
                ('number', fields.IntField()),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('issued_by', fields.ForeignKeyField('core.User', source_field='issued_by_id', null=True, db_constraint=True, to_field='id', related_name='issued_receipts', on_delete=OnDelete.SET_NULL)),
                ('currency', fields.CharField(max_length=3)),
                ('lines', fields.JSONField(default=list, description='[{code, name, quantity, unit_price, taxable, amount}] with amounts in minor units', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('total', fields.BigIntField()),
                ('tendered', fields.BigIntField(null=True)),
                ('change', fields.BigIntField(null=True)),
                ('method', fields.CharField(max_length=20)),
                ('source_type', fields.CharField(default='', description='What the receipt is for: cashier.entry, resident.payment ... and its id', max_length=60)),
                ('source_id', fields.BigIntField(null=True)),
                ('status', fields.CharField(default='issued', description='issued or void', max_length=10)),
                ('void_reason', fields.CharField(default='', max_length=500)),
                ('voided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('voided_by', fields.ForeignKeyField('core.User', source_field='voided_by_id', null=True, db_constraint=True, to_field='id', related_name='voided_receipts', on_delete=OnDelete.SET_NULL)),
                ('print_count', fields.IntField(default=1, description='Times printed: 1 is the original, every reprint adds one and is marked COPY.')),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'core_receipt', 'app': 'core', 'unique_together': (('site', 'series', 'number'),), 'indexes': [Index(fields=['site_id', 'issued_at']), Index(fields=['source_type', 'source_id'])], 'pk_attr': 'id', 'table_description': 'A numbered receipt: unique per (site, series, number).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReceiptCounter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='receipt_counters', on_delete=OnDelete.RESTRICT)),
                ('series', fields.CharField(max_length=60)),
                ('last_number', fields.IntField(default=0)),
            ],
            options={'table': 'core_receipt_counter', 'app': 'core', 'unique_together': (('site', 'series'),), 'pk_attr': 'id', 'table_description': 'The last number given in a series of a site, bumped under its row lock in the'},
            bases=['Model'],
        ),
    ]
