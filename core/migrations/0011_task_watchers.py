# Watchers of a task (first-contact ownership, issue 17): the taker follows a task that went to
# someone else; others can be added. One row per (task, user).

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0010_task_type_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TaskWatcher',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('task', fields.ForeignKeyField('core.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='watchers', on_delete=OnDelete.CASCADE)),
                ('site_id', fields.IntField()),
                ('user', fields.ForeignKeyField('core.User', source_field='user_id', db_constraint=True, to_field='id', related_name='watched_tasks', on_delete=OnDelete.CASCADE)),
                ('reason', fields.CharField(description='taker, added', max_length=20)),
                ('added_by_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'core_task_watcher', 'app': 'core', 'unique_together': (('task', 'user'),), 'indexes': [Index(fields=['user_id', 'site_id', 'task_id'])], 'pk_attr': 'id', 'table_description': 'Someone who follows a task they do not hold: its taker (the user who created it)'},
            bases=['Model'],
        ),
    ]
