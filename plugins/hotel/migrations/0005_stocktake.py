from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

from core.migration_ops import AddColumn


# Stocktakes (issue 17): count sheets and their lines; stock movements name the sheet that
# posted them. AddColumn, not AddField: safe on a stock movement table with rows.

class Migration(migrations.Migration):
    dependencies = [('core', '0011_task_watchers'), ('hotel', '0004_room_dnd')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StockCount',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='hotel_stock_counts', on_delete=OnDelete.RESTRICT)),
                ('location', fields.CharField(max_length=60)),
                ('open_location', fields.CharField(null=True, description='The location while the sheet is open (counting, recount or submitted), else NULL: one', max_length=60)),
                ('status', fields.CharField(default='counting', max_length=10)),
                ('note', fields.CharField(default='', max_length=500)),
                ('created_by', fields.ForeignKeyField('core.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='hotel_stock_counts_created', on_delete=OnDelete.SET_NULL)),
                ('submitted_by', fields.ForeignKeyField('core.User', source_field='submitted_by_id', null=True, db_constraint=True, to_field='id', related_name='hotel_stock_counts_submitted', on_delete=OnDelete.SET_NULL)),
                ('approved_by', fields.ForeignKeyField('core.User', source_field='approved_by_id', null=True, db_constraint=True, to_field='id', related_name='hotel_stock_counts_approved', on_delete=OnDelete.SET_NULL)),
                ('cancelled_by', fields.ForeignKeyField('core.User', source_field='cancelled_by_id', null=True, db_constraint=True, to_field='id', related_name='hotel_stock_counts_cancelled', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('approved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'hotel_stock_count', 'app': 'hotel', 'unique_together': (('site', 'open_location'),), 'indexes': [Index(fields=['site_id', 'status', 'id'])], 'pk_attr': 'id', 'table_description': 'A stocktake: the count sheet of one location (a store room or a floor).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StockCountLine',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sheet', fields.ForeignKeyField('hotel.StockCount', source_field='sheet_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('item', fields.ForeignKeyField('hotel.StockItem', source_field='item_id', db_constraint=True, to_field='id', related_name='count_lines', on_delete=OnDelete.RESTRICT)),
                ('expected', fields.IntField(default=0, description='The balance at the location when the sheet was opened.')),
                ('first_count', fields.IntField(null=True)),
                ('first_by', fields.ForeignKeyField('core.User', source_field='first_by_id', null=True, db_constraint=True, to_field='id', related_name='hotel_count_lines_first', on_delete=OnDelete.SET_NULL)),
                ('first_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('needs_recount', fields.BooleanField(default=False, description="Set at submission when the first count's variance is past the site's threshold.")),
                ('second_count', fields.IntField(null=True)),
                ('second_by', fields.ForeignKeyField('core.User', source_field='second_by_id', null=True, db_constraint=True, to_field='id', related_name='hotel_count_lines_second', on_delete=OnDelete.SET_NULL)),
                ('second_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('final', fields.IntField(null=True, description='The count that stands (the second when there is one) and final - expected.')),
                ('variance', fields.IntField(null=True)),
                ('movement_id', fields.BigIntField(null=True, description='The ``stocktake`` movement the approval posted for a non-zero variance.')),
            ],
            options={'table': 'hotel_stock_count_line', 'app': 'hotel', 'unique_together': (('sheet', 'item'),), 'pk_attr': 'id', 'table_description': 'One item on a count sheet: what the books said at opening and what was counted.'},
            bases=['Model'],
        ),
        AddColumn(
            model_name='StockMovement',
            name='stocktake_id',
            field=fields.IntField(null=True, description='The stocktake (count sheet) whose approval posted this adjustment (kind ``stocktake``).'),
        ),
    ]
