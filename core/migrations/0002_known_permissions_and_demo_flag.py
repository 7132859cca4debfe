from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='KnownPermission',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=80)),
                ('first_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'core_known_permission', 'app': 'core', 'pk_attr': 'id', 'table_description': 'Permissions already seen by this installation.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='User',
            name='has_demo_password',
            field=fields.BooleanField(default=False, description='Still signs in with the published demo password: every page warns while any does.'),
        ),
    ]
