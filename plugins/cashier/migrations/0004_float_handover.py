from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('cashier', '0003_task_subjects')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FloatHandover',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='cashier_float_handovers', on_delete=OnDelete.RESTRICT)),
                ('register', fields.ForeignKeyField('cashier.Register', source_field='register_id', db_constraint=True, to_field='id', related_name='float_handovers', on_delete=OnDelete.RESTRICT)),
                ('from_shift', fields.OneToOneField('cashier.Shift', source_field='from_shift_id', db_constraint=True, to_field='id', related_name='float_handed_over', on_delete=OnDelete.RESTRICT)),
                ('to_shift', fields.OneToOneField('cashier.Shift', source_field='to_shift_id', db_constraint=True, to_field='id', related_name='float_taken_over', on_delete=OnDelete.RESTRICT)),
                ('from_cashier', fields.ForeignKeyField('core.User', source_field='from_cashier_id', db_constraint=True, to_field='id', related_name='cashier_floats_handed_over', on_delete=OnDelete.RESTRICT)),
                ('to_cashier', fields.ForeignKeyField('core.User', source_field='to_cashier_id', db_constraint=True, to_field='id', related_name='cashier_floats_taken_over', on_delete=OnDelete.RESTRICT)),
                ('float_left', fields.BigIntField(description='What the previous shift said it left (minor units), and its count when it gave one.')),
                ('float_left_count', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('received', fields.BigIntField(description='What the next cashier counted (minor units), and the count (empty: an amount).')),
                ('received_count', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('difference', fields.BigIntField(description='received minus float_left')),
                ('status', fields.CharField(default='pending', db_index=True, description='pending (waiting for the previous cashier) or confirmed', max_length=10)),
                ('confirmed_by', fields.ForeignKeyField('core.User', source_field='confirmed_by_id', null=True, db_constraint=True, to_field='id', related_name='cashier_floats_confirmed', on_delete=OnDelete.RESTRICT)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('entry', fields.OneToOneField('cashier.Entry', source_field='entry_id', null=True, description='The ledger entry that booked the difference (none when there was none).', db_constraint=True, to_field='id', related_name='float_handover', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'cashier_float_handover', 'app': 'cashier', 'indexes': [Index(fields=['site_id', 'from_cashier_id', 'status']), Index(fields=['site_id', 'to_cashier_id', 'status'])], 'pk_attr': 'id', 'table_description': "A float left in a register's drawer taken over by the next shift, signed by both cashiers."},
            bases=['Model'],
        ),
    ]
