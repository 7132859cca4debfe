from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Permit',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plate', fields.CharField(unique=True, max_length=20)),
            ],
            options={'table': 'parking_permit', 'app': 'parking', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
