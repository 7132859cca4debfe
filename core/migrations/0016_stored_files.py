# Uploaded files kept in the database (core.storage, issue 20): every host sharing the database
# sees them and backups hold them.

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0015_live_event_log')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StoredFile',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, description='Where the file is found, like a path (resident/procedures/7/ab12.pdf).', max_length=500)),
                ('content_type', fields.CharField(max_length=100)),
                ('size', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'core_stored_file', 'app': 'core', 'pk_attr': 'id', 'table_description': 'Uploaded files kept in the database, their bytes in core_stored_chunk'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StoredChunk',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('file', fields.ForeignKeyField('core.StoredFile', source_field='file_id', db_constraint=True, to_field='id', related_name='chunks', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('data', fields.BinaryField()),
            ],
            options={'table': 'core_stored_chunk', 'app': 'core', 'unique_together': (('file', 'number'),), 'pk_attr': 'id', 'table_description': 'The bytes of stored files, in pieces of at most 1 MiB'},
            bases=['Model'],
        ),
    ]
