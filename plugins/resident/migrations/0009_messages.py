"""Messages at the resident desk (issue 19): a campaign's message mode and channel, and the
arrears reminder runs with their log per bill (one reminder per bill and month).
AddColumn: safe on a table with rows."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from core.migration_ops import AddColumn


class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('resident', '0008_revisit_attempts')]

    initial = False

    operations = [
        AddColumn(
            model_name='Campaign',
            name='message_mode',
            field=fields.CharField(default='none', description='none, before_call (a message, then the call) or instead_of_call (a message in place of the call).', max_length=20),
        ),
        AddColumn(
            model_name='Campaign',
            name='message_channel',
            field=fields.CharField(default='', description="The channel the message goes by: sms, email, or empty for each resident's preferred one.", max_length=20),
        ),
        ops.CreateModel(
            name='ReminderRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='resident_reminder_runs', on_delete=OnDelete.RESTRICT)),
                ('as_of', fields.DateField(description="The day the arrears were read on (the site's date), whose month keys the reminders.")),
                ('month', fields.CharField(description='YYYY-MM of ``as_of``: one reminder per bill and month.', max_length=7)),
                ('letters', fields.BooleanField(default=False, description='Letters asked for every bill (else only for residents no message reaches).')),
                ('counts', fields.JSONField(default=dict, description='{queued, suppressed, failed, letters, already_sent}')),
                ('run_by', fields.ForeignKeyField('core.User', source_field='run_by_id', null=True, db_constraint=True, to_field='id', related_name='resident_reminder_runs', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'resident_reminder_run', 'app': 'resident', 'pk_attr': 'id', 'table_description': 'One arrears reminder run (催繳): the bills it reminded, by message or letter.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ArrearsReminder',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='resident_arrears_reminders', on_delete=OnDelete.RESTRICT)),
                ('bill', fields.ForeignKeyField('resident.Bill', source_field='bill_id', db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.CASCADE)),
                ('run', fields.ForeignKeyField('resident.ReminderRun', source_field='run_id', db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.CASCADE)),
                ('month', fields.CharField(max_length=7)),
                ('kind', fields.CharField(description='message or letter.', max_length=10)),
                ('message_id', fields.BigIntField(null=True, description='The message queued (its status tells how it went), null for a letter.')),
                ('party_id', fields.IntField(null=True, description="The party reminded (null: a letter to the unit's occupant).")),
                ('outstanding_minor', fields.BigIntField(description="The amount unpaid when reminded, in minor units of the site's currency.")),
                ('run_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('by', fields.ForeignKeyField('core.User', source_field='by_id', null=True, db_constraint=True, to_field='id', related_name='resident_arrears_reminders', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'resident_arrears_reminder', 'app': 'resident', 'unique_together': (('bill_id', 'month'),), 'indexes': [Index(fields=['run_id', 'kind'])], 'pk_attr': 'id', 'table_description': 'The reminder log of a bill: one reminder per bill and month, a message or a letter.'},
            bases=['Model'],
        ),
    ]
