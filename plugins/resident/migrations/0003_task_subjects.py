"""Name the record each existing resident task is about (core 0007 added task subjects):
new tasks get theirs when they are made; this gives the ones made before the same."""

from tortoise import migrations
from tortoise.migrations import operations as ops

FORWARD = [
    """UPDATE core_task SET subject_plugin = 'resident', subject_kind = 'case',
       subject_id = (SELECT c.id FROM resident_case c WHERE c.task_id = core_task.id)
     WHERE subject_plugin = '' AND id IN (SELECT task_id FROM resident_case)""",
]

BACKWARD = "UPDATE core_task SET subject_plugin = '', subject_kind = '', subject_id = NULL WHERE subject_plugin = 'resident'"


class Migration(migrations.Migration):
    dependencies = [('core', '0007_task_subjects'), ('resident', '0002_cases_revisits_fees')]

    initial = False

    operations = [ops.RunSQL(FORWARD[0], BACKWARD), *[ops.RunSQL(sql) for sql in FORWARD[1:]]]
