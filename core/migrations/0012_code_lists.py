# Managed code lists per site (issue 17, complaint analysis): the items of the lists plugins
# declare through register_code_lists (a complaint's category and cause, ...).

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('core', '0011_task_watchers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CodeListItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='code_list_items', on_delete=OnDelete.RESTRICT)),
                ('list_name', fields.CharField(description="The declared list's name (``resident.complaint_category``).", max_length=80)),
                ('code', fields.CharField(max_length=40)),
                ('label', fields.CharField(description="A built-in default's label is an English msgid shown through gettext, a site's own", max_length=200)),
                ('builtin', fields.BooleanField(default=False)),
                ('active', fields.BooleanField(default=True)),
                ('position', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'core_code_list_item', 'app': 'core', 'unique_together': (('site', 'list_name', 'code'),), 'pk_attr': 'id', 'table_description': 'One code of a managed list at a site (a complaint\'s category or cause, ...).'},
            bases=['Model'],
        ),
    ]
