from tortoise import migrations
from tortoise import fields

from core.migration_ops import AddColumn

# AddColumn, not Tortoise's AddField: safe on a table with rows (see core/migration_ops.py).
class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('core', '0002_known_permissions_and_demo_flag'), ('core', '0003_tasks_and_handovers'), ('core', '0004_idempotency_records'), ('core', '0005_task_list_indexes'), ('core', '0006_derived_csrf_tokens'), ('core', '0007_task_subjects')]

    initial = False

    operations = [
        AddColumn(
            model_name='User',
            name='is_superadmin',
            field=fields.BooleanField(default=False, description='Administers every site, present and future (users, memberships, roles, sites, the'),
        ),
    ]
