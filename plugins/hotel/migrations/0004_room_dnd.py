"""Rooms get the do-not-disturb and service-refused flags (issue 17: the floors' states)."""

from tortoise import fields
from tortoise import migrations

from core.migration_ops import AddColumn


# AddColumn, not Tortoise's AddField: safe on a table with rows (see core/migration_ops.py).
class Migration(migrations.Migration):
    dependencies = [('hotel', '0003_task_subjects')]

    initial = False

    operations = [
        AddColumn(
            model_name='Room',
            name='do_not_disturb',
            field=fields.BooleanField(default=False, description='The guest hung the do-not-disturb sign: housekeeping stays out, the cleaning clock stops.'),
        ),
        AddColumn(
            model_name='Room',
            name='service_refused',
            field=fields.BooleanField(default=False, description='The guest refused service today: the cleaning clock stops as for do-not-disturb.'),
        ),
    ]
