from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0008_superadmin')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='extension',
            field=fields.CharField(default='', description="The internal telephone extension colleagues dial (digits, ``#``, ``*``, ``-``), shown", max_length=20),
        ),
        ops.AddField(
            model_name='User',
            name='title',
            field=fields.CharField(default='', description='The job title shown in the staff directory (客服主管, Night auditor...).', max_length=100),
        ),
    ]
