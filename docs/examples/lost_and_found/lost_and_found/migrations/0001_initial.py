from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('core', '0002_known_permissions_and_demo_flag'), ('core', '0003_tasks_and_handovers'), ('core', '0004_idempotency_records'), ('core', '0005_task_list_indexes')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Entry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='lost_and_found_entries', on_delete=OnDelete.RESTRICT)),
                ('title', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'lost_and_found_entry', 'app': 'lost_and_found', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
