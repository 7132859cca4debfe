"""Complaint analysis (issue 17): a complaint's cause, a code of the site's managed list
``resident.complaint_cause`` (its category already had a column)."""

from tortoise import migrations
from tortoise import fields

from core.migration_ops import AddColumn


# AddColumn, not Tortoise's AddField: safe on a table with rows (see core/migration_ops.py).
class Migration(migrations.Migration):
    dependencies = [('core', '0012_code_lists'), ('resident', '0006_revisit_retries')]

    initial = False

    operations = [
        AddColumn(
            model_name='Case',
            name='cause',
            field=fields.CharField(null=True, description="A complaint's cause: a code of the site's list ``resident.complaint_cause``, required to close.", max_length=40),
        ),
    ]
