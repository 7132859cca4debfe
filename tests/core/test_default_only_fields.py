"""A field added NOT NULL with `default=` only applies to empty databases and fails on any
table with rows: the kit's check catches it on this run's backend, the fix it names
(`db_default=`) passes it, and `makemigrations` refuses to write such a migration."""

import pytest
from tortoise import fields
from tortoise.migrations import operations as ops
from tortoise.migrations.writer import MigrationWriter

import tests.core.shelf_bad_plugin as shelf_bad
import tests.core.shelf_good_plugin as shelf_good
from core.migration_ops import AddColumn
from core.migrations_tool import unsafe_additions
from core.testing.migrations import MigrationOnDataError


@pytest.mark.slow
def test_a_default_only_field_fails_on_tables_with_rows(migrations_on_data):
    with pytest.raises(MigrationOnDataError) as failed:
        migrations_on_data(extra_plugins=[shelf_bad])
    assert "migration shelf_bad.0002_shelf fails on tables that hold rows" in str(failed.value)
    assert "db_default" in str(failed.value)


@pytest.mark.slow
def test_the_same_field_with_db_default_passes(migrations_on_data):
    assert "shelf_good.0002_shelf" in migrations_on_data(extra_plugins=[shelf_good])


def _writer(*operations):
    return MigrationWriter("0002_shelf", "shelf", operations)


def test_makemigrations_refuses_a_default_only_field_and_names_the_fix():
    problems = unsafe_additions(_writer(ops.AddField(model_name="Parcel", name="shelf",
                                                     field=fields.CharField(max_length=20, default="A"))))
    assert problems == ["shelf.Parcel.shelf is added NOT NULL to an existing table without a database default, "
                        "which fails on any table with rows: add db_default='A' beside default="]


def test_makemigrations_accepts_db_default_null_and_add_column():
    assert unsafe_additions(_writer(
        ops.AddField(model_name="Parcel", name="a", field=fields.CharField(max_length=20, default="A", db_default="A")),
        ops.AddField(model_name="Parcel", name="b", field=fields.CharField(max_length=20, null=True)),
        AddColumn(model_name="Parcel", name="c", field=fields.CharField(max_length=20, default="A")),
    )) == []
