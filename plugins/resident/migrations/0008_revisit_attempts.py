"""The revisit record keeps every attempt (review finding): one row per call of a revisit,
where before each unreached call overwrote the previous call's method and notes.

Revisits called before this keep their last call only: it becomes their attempt row
(numbered as their attempt count), so every recorded revisit has a history."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

BACKFILL = """INSERT INTO resident_revisit_attempt (revisit_id, number, "at", by_id, method, reached, notes)
    SELECT id, CASE WHEN attempts > 0 THEN attempts ELSE 1 END, COALESCE(last_attempt_at, done_at, created_at),
           agent_id, method, COALESCE(reached, FALSE), notes
      FROM resident_revisit WHERE method <> '' AND (attempts > 0 OR status = 'done')"""


class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('resident', '0007_complaint_cause')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RevisitAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('revisit', fields.ForeignKeyField('resident.Revisit', source_field='revisit_id', db_constraint=True, to_field='id', related_name='history', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField(description='1 for the first call of the revisit, then 2, 3...')),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('by', fields.ForeignKeyField('core.User', source_field='by_id', null=True, db_constraint=True, to_field='id', related_name='resident_revisit_attempts', on_delete=OnDelete.SET_NULL)),
                ('method', fields.CharField(max_length=10)),
                ('reached', fields.BooleanField()),
                ('notes', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'resident_revisit_attempt', 'app': 'resident', 'unique_together': (('revisit_id', 'number'),), 'pk_attr': 'id', 'table_description': 'One call of a revisit: the revisit record (回訪記錄表) keeps every attempt.'},
            bases=['Model'],
        ),
        ops.RunSQL(BACKFILL, "DELETE FROM resident_revisit_attempt"),
    ]
