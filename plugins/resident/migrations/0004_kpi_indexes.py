"""Indexes for the complaint KPIs counted in SQL (issue 16): a period's cases find and count
their done revisits through (case, status, reached, satisfied) alone, instead of reading
every revisit of the estate."""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('resident', '0003_task_subjects')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Revisit',
            index=Index(fields=['case_id', 'status', 'reached', 'satisfied']),
        ),
    ]
