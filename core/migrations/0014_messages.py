# Outgoing messages (issue 19): the outbox core_message with its attempts, sites' own template
# wording, opt-outs per party and channel, and a party's preferred language and channel.

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

from core.migration_ops import AddColumn

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('core', '0002_known_permissions_and_demo_flag'), ('core', '0003_tasks_and_handovers'), ('core', '0004_idempotency_records'), ('core', '0005_task_list_indexes'), ('core', '0006_derived_csrf_tokens'), ('core', '0007_task_subjects'), ('core', '0008_superadmin'), ('core', '0009_user_extension'), ('core', '0010_task_type_indexes'), ('core', '0011_task_watchers'), ('core', '0012_code_lists'), ('core', '0013_receipts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.RESTRICT)),
                ('channel', fields.CharField(description="A registered channel's name: email, sms, in_app (``register_channels``).", max_length=20)),
                ('template', fields.CharField(description="A declared template's key (``register_message_templates``): resident.case_reply.", max_length=80)),
                ('language', fields.CharField(max_length=10)),
                ('context', fields.JSONField(default=dict, description="The template's placeholders and their values, rendered when the message is sent.", encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('party', fields.ForeignKeyField('core.Party', source_field='party_id', null=True, db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.SET_NULL)),
                ('user', fields.ForeignKeyField('core.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.SET_NULL)),
                ('address', fields.CharField(default='', description='Where it goes (an e-mail address or a phone number, empty in-app), fixed when queued.', max_length=254)),
                ('subject_plugin', fields.CharField(default='', description="The record it concerns, as a task's subject: plugin, kind, id.", max_length=60)),
                ('subject_kind', fields.CharField(default='', max_length=40)),
                ('subject_id', fields.BigIntField(null=True)),
                ('status', fields.CharField(default='queued', max_length=12)),
                ('reason', fields.CharField(default='', description='Why it was suppressed, failed or retried last.', max_length=500)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, description='When a worker may next try it (quiet hours and backoff push it later).', auto_now=False, auto_now_add=False)),
                ('claimed_until', fields.DatetimeField(null=True, description="A worker holds it until then: past it, a vanished worker's claim returns to the queue.", auto_now=False, auto_now_add=False)),
                ('rendered_subject', fields.CharField(default='', description="What was sent, rendered in the message's language (kept as the record of it).", max_length=300)),
                ('rendered_body', fields.TextField(default='', unique=False)),
                ('provider_id', fields.CharField(default='', db_index=True, description="The gateway's own id, matched by its delivery reports.", max_length=100)),
                ('dedupe_key', fields.CharField(null=True, description='One message per key and site, however often the run that queues it repeats.', max_length=200)),
                ('created_by', fields.ForeignKeyField('core.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='queued_messages', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('read_at', fields.DatetimeField(null=True, description='In-app notices: when the person read it.', auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'core_message', 'app': 'core', 'unique_together': (('site', 'dedupe_key'),), 'indexes': [Index(fields=['status', 'next_attempt_at']), Index(fields=['subject_plugin', 'subject_kind', 'subject_id']), Index(fields=['user_id', 'channel', 'read_at']), Index(fields=['site_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A message queued, sent or suppressed: the outbox.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MessageAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message', fields.ForeignKeyField('core.Message', source_field='message_id', db_constraint=True, to_field='id', related_name='attempt_log', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharField(description='sent, retry (a passing failure) or failed (given up).', max_length=10)),
                ('detail', fields.CharField(default='', max_length=500)),
                ('worker', fields.CharField(default='', description='host:pid of the worker that tried.', max_length=100)),
            ],
            options={'table': 'core_message_attempt', 'app': 'core', 'pk_attr': 'id', 'table_description': 'One delivery attempt of a message, whatever its outcome.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MessageOptOut',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='message_opt_outs', on_delete=OnDelete.RESTRICT)),
                ('party', fields.ForeignKeyField('core.Party', source_field='party_id', db_constraint=True, to_field='id', related_name='opt_outs', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharField(max_length=20)),
                ('active', fields.BooleanField(default=True, description='False once they opted back in: the row stays as the record of both.')),
                ('reason', fields.CharField(default='', max_length=200)),
                ('recorded_by', fields.ForeignKeyField('core.User', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'core_message_opt_out', 'app': 'core', 'unique_together': (('party', 'channel'),), 'pk_attr': 'id', 'table_description': "A party's refusal of a channel, kept (not deleted) when they opt back in."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MessageTemplateText',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='message_templates', on_delete=OnDelete.RESTRICT)),
                ('template', fields.CharField(max_length=80)),
                ('channel', fields.CharField(max_length=20)),
                ('language', fields.CharField(max_length=10)),
                ('subject', fields.CharField(default='', max_length=300)),
                ('body', fields.TextField(unique=False)),
                ('updated_by', fields.ForeignKeyField('core.User', source_field='updated_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'core_message_template', 'app': 'core', 'unique_together': (('site', 'template', 'channel', 'language'),), 'pk_attr': 'id', 'table_description': "A site's own wording of a declared template for one channel and language (without"},
            bases=['Model'],
        ),
        AddColumn(
            model_name='Party',
            name='preferred_channel',
            field=fields.CharField(default='', description='The channel messages to them go by when none is asked for (empty: SMS, then e-mail).', max_length=20),
        ),
        AddColumn(
            model_name='Party',
            name='preferred_language',
            field=fields.CharField(default='', description="The language messages to them are written in (empty: the site's).", max_length=10),
        ),
    ]
