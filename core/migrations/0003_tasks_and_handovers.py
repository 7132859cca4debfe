from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0002_known_permissions_and_demo_flag')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Handover',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='handovers', on_delete=OnDelete.RESTRICT)),
                ('department', fields.CharField(max_length=40)),
                ('body', fields.TextField(unique=False)),
                ('items', fields.JSONField(default=list, description='Structured items plugins attach (counted float, linen counts): [{"label", "value"}].', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('author', fields.ForeignKeyField('core.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='handovers', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'core_handover', 'app': 'core', 'indexes': [Index(fields=['site_id', 'department', 'id'])], 'pk_attr': 'id', 'table_description': 'A shift handover record (交接班記錄): read at sign-in, written at sign-out.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HandoverRead',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('handover', fields.ForeignKeyField('core.Handover', source_field='handover_id', db_constraint=True, to_field='id', related_name='reads', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('core.User', source_field='user_id', db_constraint=True, to_field='id', related_name='handover_reads', on_delete=OnDelete.CASCADE)),
                ('read_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'core_handover_read', 'app': 'core', 'unique_together': (('handover', 'user'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Task',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='tasks', on_delete=OnDelete.RESTRICT)),
                ('type', fields.CharField(max_length=80)),
                ('title', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('status', fields.CharField(max_length=30)),
                ('priority', fields.CharField(default='normal', max_length=10)),
                ('assignee', fields.ForeignKeyField('core.User', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name='assigned_tasks', on_delete=OnDelete.SET_NULL)),
                ('unit', fields.ForeignKeyField('core.Unit', source_field='unit_id', null=True, db_constraint=True, to_field='id', related_name='tasks', on_delete=OnDelete.SET_NULL)),
                ('party', fields.ForeignKeyField('core.Party', source_field='party_id', null=True, db_constraint=True, to_field='id', related_name='tasks', on_delete=OnDelete.SET_NULL)),
                ('parent', fields.ForeignKeyField('core.Task', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('created_by', fields.ForeignKeyField('core.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_tasks', on_delete=OnDelete.SET_NULL)),
                ('due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('overdue', fields.BooleanField(default=False)),
                ('sla_remaining_seconds', fields.IntField(null=True, description='While the SLA clock is paused: the SLA seconds that were left when it stopped.')),
                ('is_open', fields.BooleanField(default=True, description='Derived from the history when written, for fast lists and KPIs.')),
                ('first_response_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'core_task', 'app': 'core', 'indexes': [Index(fields=['site_id', 'assignee_id', 'is_open']), Index(fields=['site_id', 'status']), Index(fields=['site_id', 'type']), Index(fields=['is_open', 'overdue', 'due_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TaskEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('task', fields.ForeignKeyField('core.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.RESTRICT)),
                ('site_id', fields.IntField()),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor_id', fields.IntField(null=True)),
                ('kind', fields.CharField(description="created, assigned, transitioned, reopened, commented, overdue, or a plugin's kind.", max_length=40)),
                ('from_status', fields.CharField(null=True, max_length=30)),
                ('to_status', fields.CharField(null=True, max_length=30)),
                ('note', fields.TextField(default='', unique=False)),
                ('data', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'core_task_event', 'app': 'core', 'indexes': [Index(fields=['task_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One thing that happened to a task. Never rewritten or deleted.'},
            bases=['Model'],
        ),
    ]
