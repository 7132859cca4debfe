# The per-site log of live events (issue 20): streams that reconnect with Last-Event-ID receive
# what they missed; a bus that reconnects catches up on what other processes published.

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0014_messages')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LiveEventRecord',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site_id', fields.IntField()),
                ('name', fields.CharField(max_length=100)),
                ('data', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('permission', fields.CharField(null=True, description='Only streams holding this permission at the site receive the event (none: every member).', max_length=100)),
                ('users', fields.JSONField(default=list, description="Users who receive it without the permission (a task's watchers).", encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('origin', fields.CharField(description="The publishing process's bus (other processes catch up on the rest after a reconnect).", max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'core_live_event', 'app': 'core', 'indexes': [Index(fields=['site_id', 'id'])], 'pk_attr': 'id', 'table_description': 'Live events as published, per site, kept a while for streams that reconnect'},
            bases=['Model'],
        ),
    ]
