"""Name the record each existing cashier task is about (core 0007 added task subjects):
new tasks get theirs when they are made; this gives the ones made before the same."""

from tortoise import migrations
from tortoise.migrations import operations as ops

FORWARD = [
    """UPDATE core_task SET subject_plugin = 'cashier', subject_kind = 'shift',
       subject_id = (SELECT MIN(s.id) FROM cashier_shift s WHERE s.review_task_id = core_task.id)
     WHERE subject_plugin = '' AND EXISTS (SELECT 1 FROM cashier_shift s WHERE s.review_task_id = core_task.id)""",
    """UPDATE core_task SET subject_plugin = 'cashier', subject_kind = 'entry',
       subject_id = (SELECT MIN(a.entry_id) FROM cashier_approval a WHERE a.task_id = core_task.id)
     WHERE subject_plugin = '' AND EXISTS (SELECT 1 FROM cashier_approval a WHERE a.task_id = core_task.id)""",
]

BACKWARD = "UPDATE core_task SET subject_plugin = '', subject_kind = '', subject_id = NULL WHERE subject_plugin = 'cashier'"


class Migration(migrations.Migration):
    dependencies = [('core', '0007_task_subjects'), ('cashier', '0002_registers_shifts_ledger')]

    initial = False

    operations = [ops.RunSQL(FORWARD[0], BACKWARD), *[ops.RunSQL(sql) for sql in FORWARD[1:]]]
