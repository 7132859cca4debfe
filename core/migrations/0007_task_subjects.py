from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0006_derived_csrf_tokens')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Task',
            name='subject_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Task',
            name='subject_kind',
            field=fields.CharField(default='', max_length=40),
        ),
        ops.AddField(
            model_name='Task',
            name='subject_plugin',
            field=fields.CharField(default='', description='The record the task is about (``core.tasks.types.Subject``): its owner drives the task.', max_length=60),
        ),
        ops.AddIndex(
            model_name='Task',
            index=Index(fields=['subject_plugin', 'subject_kind', 'subject_id']),
        ),
    ]
