"""Name the record each existing insurance call task is about (core 0007 added task subjects):
new tasks get theirs when they are made; this gives the ones made before the same."""

from tortoise import migrations
from tortoise.migrations import operations as ops

FORWARD = [
    """UPDATE core_task SET subject_plugin = 'insurance_calls', subject_kind = 'call',
       subject_id = (SELECT MIN(c.id) FROM insurance_calls_call c
                     WHERE c.follow_up_task_id = core_task.id OR c.complaint_task_id = core_task.id)
     WHERE subject_plugin = '' AND EXISTS (SELECT 1 FROM insurance_calls_call c
                     WHERE c.follow_up_task_id = core_task.id OR c.complaint_task_id = core_task.id)""",
    """UPDATE core_task SET subject_plugin = 'insurance_calls', subject_kind = 'call',
       subject_id = (SELECT p.subject_id FROM core_task p WHERE p.id = core_task.parent_id)
     WHERE subject_plugin = '' AND type = 'insurance_calls.revisit'
       AND parent_id IN (SELECT p.id FROM core_task p WHERE p.subject_plugin = 'insurance_calls')""",
]

BACKWARD = "UPDATE core_task SET subject_plugin = '', subject_kind = '', subject_id = NULL WHERE subject_plugin = 'insurance_calls'"


class Migration(migrations.Migration):
    dependencies = [('core', '0007_task_subjects'), ('insurance_calls', '0002_calls_and_applications')]

    initial = False

    operations = [ops.RunSQL(FORWARD[0], BACKWARD), *[ops.RunSQL(sql) for sql in FORWARD[1:]]]
