"""Households that change (issue 17): each owner or tenant change, with the date it took
effect, and each family member or details change, kept as the household's history."""

from tortoise import migrations
import functools
from json import dumps, loads
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('resident', '0004_kpi_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HouseholdChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('core.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='resident_household_changes', on_delete=OnDelete.RESTRICT)),
                ('household', fields.ForeignKeyField('resident.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='changes', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(description='occupant, member_added, member_changed, member_removed or details.', max_length=20)),
                ('relation', fields.CharField(default='', description='The relation concerned (owner or tenant for an occupant change), else empty.', max_length=10)),
                ('before', fields.JSONField(default=list, description='The people concerned before the change: [{"id", "name", "relation", "party_id", "phone"}].', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(default=list, description='The people concerned after the change, in the same shape.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('details', fields.JSONField(default=dict, description='A details change: {"field": [before, after]}.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('effective_date', fields.DateField(null=True, description="When an owner or tenant change took effect (the site's date), else null.")),
                ('note', fields.TextField(default='', unique=False)),
                ('recorded_by', fields.ForeignKeyField('core.User', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name='resident_household_changes', on_delete=OnDelete.SET_NULL)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'resident_household_change', 'app': 'resident', 'indexes': [Index(fields=['household_id', 'kind', 'effective_date'])], 'pk_attr': 'id', 'table_description': "One entry of a household's history: an owner or tenant change, a member or details change."},
            bases=['Model'],
        ),
    ]
