from tortoise import migrations
from tortoise.migrations import operations as ops

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('core', '0002_known_permissions_and_demo_flag'), ('core', '0003_tasks_and_handovers'), ('core', '0004_idempotency_records'), ('core', '0005_task_list_indexes')]

    initial = False

    operations = [
        ops.RemoveField(model_name='UserSession', name='csrf_token'),
    ]
