from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('core', '0002_known_permissions_and_demo_flag'), ('core', '0003_tasks_and_handovers'), ('core', '0004_idempotency_records'), ('core', '0005_task_list_indexes'), ('insurance_calls', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Call',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='insurance_calls', on_delete=OnDelete.RESTRICT)),
                ('direction', fields.CharField(max_length=10)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('handle_seconds', fields.IntField(default=0, description='Seconds between start and end, kept for fast averages.')),
                ('agent', fields.ForeignKeyField('core.User', source_field='agent_id', null=True, db_constraint=True, to_field='id', related_name='insurance_calls', on_delete=OnDelete.SET_NULL)),
                ('phone', fields.CharField(description='Digits only, a leading + kept.', max_length=20)),
                ('caller_name', fields.CharField(default='', max_length=100)),
                ('plate', fields.CharField(default='', description='Upper case, without spaces, dots or dashes.', max_length=16)),
                ('policy_no', fields.CharField(default='', max_length=30)),
                ('call_type', fields.CharField(max_length=30)),
                ('summary', fields.TextField(description='What was asked.', unique=False)),
                ('answer', fields.TextField(default='', description='What was answered.', unique=False)),
                ('outcome', fields.CharField(max_length=20)),
                ('follow_up_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('type_fields', fields.JSONField(default=dict, description="The call type's own fields (vehicle, card number, repair shop).", encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('satisfied', fields.BooleanField(null=True, description='Revisit calls only: whether the customer was satisfied.')),
                ('follow_up_task', fields.ForeignKeyField('core.Task', source_field='follow_up_task_id', null=True, db_constraint=True, to_field='id', related_name='insurance_follow_up_calls', on_delete=OnDelete.SET_NULL)),
                ('complaint_task', fields.ForeignKeyField('core.Task', source_field='complaint_task_id', null=True, db_constraint=True, to_field='id', related_name='insurance_complaint_calls', on_delete=OnDelete.SET_NULL)),
                ('task', fields.ForeignKeyField('core.Task', source_field='task_id', null=True, description='The callback or revisit task this (outbound) call carried out.', db_constraint=True, to_field='id', related_name='insurance_calls_made', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'insurance_calls_call', 'app': 'insurance_calls', 'indexes': [Index(fields=['site_id', 'phone', 'started_at']), Index(fields=['site_id', 'plate', 'started_at']), Index(fields=['site_id', 'policy_no', 'started_at']), Index(fields=['site_id', 'started_at', 'call_type', 'agent_id']), Index(fields=['site_id', 'agent_id', 'started_at']), Index(fields=['task_id'])], 'pk_attr': 'id', 'table_description': 'One logged phone call (話務記錄).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Application',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='insurance_applications', on_delete=OnDelete.RESTRICT)),
                ('call', fields.ForeignKeyField('insurance_calls.Call', source_field='call_id', null=True, db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharField(default='draft', max_length=12)),
                ('applicant_name', fields.CharField(max_length=100)),
                ('id_number', fields.CharField(max_length=18)),
                ('phone', fields.CharField(max_length=20)),
                ('plate', fields.CharField(default='', max_length=16)),
                ('vin', fields.CharField(max_length=17)),
                ('vehicle', fields.CharField(default='', max_length=100)),
                ('cover', fields.JSONField(default=list, description='Cover codes chosen, e.g. compulsory, third_party, damage.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('premium_minor', fields.BigIntField(description="In minor units of the site's currency.")),
                ('policy_no', fields.CharField(default='', max_length=30)),
                ('created_by', fields.ForeignKeyField('core.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='insurance_applications_created', on_delete=OnDelete.SET_NULL)),
                ('checked_by', fields.ForeignKeyField('core.User', source_field='checked_by_id', null=True, db_constraint=True, to_field='id', related_name='insurance_applications_checked', on_delete=OnDelete.SET_NULL)),
                ('checked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('issued_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'insurance_calls_application', 'app': 'insurance_calls', 'indexes': [Index(fields=['site_id', 'status', 'id']), Index(fields=['site_id', 'phone'])], 'pk_attr': 'id', 'table_description': 'A phone application (電話投保) and its policy entry (保單錄入).'},
            bases=['Model'],
        ),
    ]
