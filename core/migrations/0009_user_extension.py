from tortoise import migrations
from tortoise import fields

from core.migration_ops import AddColumn

# AddColumn, not Tortoise's AddField: safe on a table with rows (see core/migration_ops.py).
class Migration(migrations.Migration):
    dependencies = [('core', '0008_superadmin')]

    initial = False

    operations = [
        AddColumn(
            model_name='User',
            name='extension',
            field=fields.CharField(default='', description="The internal telephone extension colleagues dial (digits, ``#``, ``*``, ``-``), shown", max_length=20),
        ),
        AddColumn(
            model_name='User',
            name='title',
            field=fields.CharField(default='', description='The job title shown in the staff directory (客服主管, Night auditor...).', max_length=100),
        ),
    ]
