from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0004_idempotency_records')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Task',
            name=None,
            fields=['site_id', 'assignee_id', 'is_open'],
        ),
        ops.AddIndex(
            model_name='Task',
            index=Index(fields=['site_id', 'assignee_id', 'is_open', 'id']),
        ),
        ops.AddIndex(
            model_name='Task',
            index=Index(fields=['site_id', 'created_at']),
        ),
    ]
