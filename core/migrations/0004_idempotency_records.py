from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0003_tasks_and_handovers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IdempotencyRecord',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.IntField()),
                ('key', fields.CharField(max_length=200)),
                ('method', fields.CharField(max_length=10)),
                ('path', fields.CharField(max_length=400)),
                ('body_hash', fields.CharField(max_length=64)),
                ('status_code', fields.IntField(default=0, description='0 while the first request is still being handled.')),
                ('response_body', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'core_idempotency_record', 'app': 'core', 'unique_together': (('user_id', 'key'),), 'pk_attr': 'id', 'table_description': 'The first answer to a POST sent with an ``Idempotency-Key``, replayed for repeats.'},
            bases=['Model'],
        ),
    ]
