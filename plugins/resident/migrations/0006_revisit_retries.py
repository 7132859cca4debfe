from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

from core.migration_ops import AddColumn


# Revisits worked to the end (issue 17): attempts and the next one's due time, overdue,
# the escalation and follow-up tasks, a version. AddColumn: safe on a table with rows.

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('resident', '0005_household_changes')]

    initial = False

    operations = [
        AddColumn(
            model_name='Revisit',
            name='attempts',
            field=fields.IntField(default=0, description='Calls made so far: each unreached one and the one that ended the revisit.'),
        ),
        AddColumn(
            model_name='Revisit',
            name='due_at',
            field=fields.DatetimeField(null=True, description="When the next attempt is due: the campaign's due time, then each retry's.", auto_now=False, auto_now_add=False),
        ),
        AddColumn(
            model_name='Revisit',
            name='escalation_task_id',
            field=fields.IntField(null=True, description="The supervisor's task after the last unreached attempt (a core task id)."),
        ),
        AddColumn(
            model_name='Revisit',
            name='follow_up_task_id',
            field=fields.IntField(null=True, description='The follow-up task (remedy) after an unsatisfied campaign revisit (a core task id).'),
        ),
        AddColumn(
            model_name='Revisit',
            name='last_attempt_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        AddColumn(
            model_name='Revisit',
            name='overdue',
            field=fields.BooleanField(default=False, description='Pending past its due time (set by the overdue pass, cleared by a retry).'),
        ),
        AddColumn(
            model_name='Revisit',
            name='version',
            field=fields.IntField(default=1),
        ),
        ops.AddIndex(
            model_name='Revisit',
            index=Index(fields=['status', 'overdue', 'due_at']),
        ),
    ]
