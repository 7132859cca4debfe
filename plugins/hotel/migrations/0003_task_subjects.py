"""Name the record each existing hotel task is about (core 0007 added task subjects):
new tasks get theirs when they are made; this gives the ones made before the same."""

from tortoise import migrations
from tortoise.migrations import operations as ops

FORWARD = [
    """UPDATE core_task SET subject_plugin = 'hotel', subject_kind = 'room',
       subject_id = (SELECT r.id FROM hotel_room r WHERE r.unit_id = core_task.unit_id AND r.site_id = core_task.site_id)
     WHERE subject_plugin = '' AND type LIKE 'hotel.%' AND unit_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM hotel_room r WHERE r.unit_id = core_task.unit_id AND r.site_id = core_task.site_id)""",
]

BACKWARD = "UPDATE core_task SET subject_plugin = '', subject_kind = '', subject_id = NULL WHERE subject_plugin = 'hotel'"


class Migration(migrations.Migration):
    dependencies = [('core', '0007_task_subjects'), ('hotel', '0002_rooms_stock_hygiene')]

    initial = False

    operations = [ops.RunSQL(FORWARD[0], BACKWARD), *[ops.RunSQL(sql) for sql in FORWARD[1:]]]
