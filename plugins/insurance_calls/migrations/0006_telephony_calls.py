"""Calls as the telephone system reports them (issue 19, the incoming-call screen pop):
``insurance_calls_telephony_call``, one row per call id of the PBX and site, with its
ringing, answered and ended times, the agent whose extension rang, and the call record
logged for it."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0013_receipts'), ('insurance_calls', '0005_unknown_handle_time_and_reopens')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TelephonyCall',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='insurance_telephony_calls', on_delete=OnDelete.RESTRICT)),
                ('pbx_call_id', fields.CharField(description="The telephone system's own id of the call (unique per site).", max_length=100)),
                ('caller', fields.CharField(default='', description="The caller's number, digits only, a leading + kept (empty: withheld).", max_length=20)),
                ('agent', fields.ForeignKeyField('core.User', source_field='agent_id', null=True, description='The agent whose extension rang or answered (null: no active member has the extension).', db_constraint=True, to_field='id', related_name='insurance_telephony_calls', on_delete=OnDelete.SET_NULL)),
                ('extension', fields.CharField(default='', description='The extension the telephone system named.', max_length=20)),
                ('ringing_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('call', fields.ForeignKeyField('insurance_calls.Call', source_field='call_id', null=True, description='The call record logged for it.', db_constraint=True, to_field='id', related_name='telephony_calls', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'insurance_calls_telephony_call', 'app': 'insurance_calls', 'unique_together': (('site', 'pbx_call_id'),), 'indexes': [Index(fields=['site_id', 'agent_id', 'created_at']), Index(fields=['call_id'])], 'pk_attr': 'id', 'table_description': 'A call as the telephone system (PBX) reported it: ringing, answered, ended.'},
            bases=['Model'],
        ),
    ]
