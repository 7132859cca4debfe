from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0005_task_list_indexes'), ('hotel', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='NightAuditRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='hotel_night_audits', on_delete=OnDelete.RESTRICT)),
                ('business_date', fields.DateField()),
                ('rooms', fields.IntField(default=0)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'hotel_night_audit_run', 'app': 'hotel', 'unique_together': (('site', 'business_date'),), 'pk_attr': 'id', 'table_description': 'The nightly job ran for this site and business date (once, whatever the workers).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Room',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='hotel_rooms', on_delete=OnDelete.RESTRICT)),
                ('unit', fields.ForeignKeyField('core.Unit', source_field='unit_id', null=True, description='The core unit this room is (tasks about the room name it).', db_constraint=True, to_field='id', related_name='hotel_rooms', on_delete=OnDelete.SET_NULL)),
                ('number', fields.CharField(max_length=20)),
                ('floor', fields.IntField()),
                ('room_type', fields.CharField(default='', max_length=40)),
                ('section', fields.CharField(default='', description='A housekeeping section (a group of rooms one attendant looks after).', max_length=40)),
                ('occupancy', fields.CharField(default='vacant', max_length=10)),
                ('housekeeping', fields.CharField(default='dirty', max_length=10)),
                ('service', fields.CharField(default='in_service', max_length=20)),
                ('code', fields.CharField(default='VD', db_index=True, max_length=3)),
                ('oos_reason', fields.CharField(default='', max_length=500)),
                ('oos_until', fields.DateField(null=True)),
                ('guest_name', fields.CharField(default='', max_length=200)),
                ('party', fields.ForeignKeyField('core.Party', source_field='party_id', null=True, db_constraint=True, to_field='id', related_name='hotel_rooms', on_delete=OnDelete.SET_NULL)),
                ('observed', fields.CharField(null=True, description='What housekeeping saw (vacant or occupied) and when, for discrepancies.', max_length=10)),
                ('observed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'hotel_room', 'app': 'hotel', 'unique_together': (('site', 'number'),), 'pk_attr': 'id', 'table_description': 'One guest room: its three statuses and the code they combine into.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DamageReport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='hotel_damage_reports', on_delete=OnDelete.RESTRICT)),
                ('room', fields.ForeignKeyField('hotel.Room', source_field='room_id', db_constraint=True, to_field='id', related_name='damage_reports', on_delete=OnDelete.RESTRICT)),
                ('description', fields.TextField(unique=False)),
                ('took_out_of_order', fields.BooleanField(default=False)),
                ('task_id', fields.IntField(null=True)),
                ('reported_by', fields.ForeignKeyField('core.User', source_field='reported_by_id', null=True, db_constraint=True, to_field='id', related_name='hotel_damage_reports', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'hotel_damage_report', 'app': 'hotel', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HygieneRecord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='hotel_hygiene', on_delete=OnDelete.RESTRICT)),
                ('room', fields.ForeignKeyField('hotel.Room', source_field='room_id', db_constraint=True, to_field='id', related_name='hygiene', on_delete=OnDelete.CASCADE)),
                ('date', fields.DateField()),
                ('linen_changed', fields.BooleanField(default=False)),
                ('cups_disinfected', fields.BooleanField(default=False)),
                ('bathroom_cleaned', fields.BooleanField(default=False)),
                ('aired_times', fields.IntField(default=0)),
                ('recorded_by', fields.ForeignKeyField('core.User', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name='hotel_hygiene', on_delete=OnDelete.SET_NULL)),
                ('recorded_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'hotel_hygiene_record', 'app': 'hotel', 'unique_together': (('room', 'date'),), 'pk_attr': 'id', 'table_description': "One room's hygiene record for one day (linen, cups, bathroom, airing)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RoomEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='hotel_room_events', on_delete=OnDelete.RESTRICT)),
                ('room', fields.ForeignKeyField('hotel.Room', source_field='room_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('actor', fields.ForeignKeyField('core.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='hotel_room_events', on_delete=OnDelete.SET_NULL)),
                ('kind', fields.CharField(max_length=30)),
                ('occupancy', fields.CharField(max_length=10)),
                ('housekeeping', fields.CharField(max_length=10)),
                ('service', fields.CharField(max_length=20)),
                ('code', fields.CharField(max_length=3)),
                ('from_code', fields.CharField(default='', max_length=3)),
                ('note', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'hotel_room_event', 'app': 'hotel', 'indexes': [Index(fields=['site_id', 'at']), Index(fields=['room_id', 'id'])], 'pk_attr': 'id', 'table_description': "A change of a room's status, with who made it: the room's history."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StockItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='hotel_stock_items', on_delete=OnDelete.RESTRICT)),
                ('code', fields.CharField(max_length=40)),
                ('name', fields.CharField(max_length=200)),
                ('category', fields.CharField(default='other', max_length=20)),
                ('unit', fields.CharField(default='', max_length=20)),
                ('par_level', fields.IntField(default=0, description='Below this total the item is on the low-stock list.')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'hotel_stock_item', 'app': 'hotel', 'unique_together': (('site', 'code'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StockBalance',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='hotel_stock_balances', on_delete=OnDelete.RESTRICT)),
                ('item', fields.ForeignKeyField('hotel.StockItem', source_field='item_id', db_constraint=True, to_field='id', related_name='balances', on_delete=OnDelete.CASCADE)),
                ('location', fields.CharField(max_length=60)),
                ('quantity', fields.IntField(default=0)),
            ],
            options={'table': 'hotel_stock_balance', 'app': 'hotel', 'unique_together': (('item', 'location'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StockMovement',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='hotel_stock_movements', on_delete=OnDelete.RESTRICT)),
                ('item', fields.ForeignKeyField('hotel.StockItem', source_field='item_id', db_constraint=True, to_field='id', related_name='movements', on_delete=OnDelete.RESTRICT)),
                ('location', fields.CharField(max_length=60)),
                ('kind', fields.CharField(max_length=10)),
                ('quantity', fields.IntField()),
                ('to_location', fields.CharField(default='', max_length=60)),
                ('reason', fields.CharField(default='', max_length=500)),
                ('actor', fields.ForeignKeyField('core.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='hotel_stock_movements', on_delete=OnDelete.SET_NULL)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'hotel_stock_movement', 'app': 'hotel', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
