"""An index naming a relation field (``site`` for ``site_id``) is refused at start-up,
naming the plugin, the model and the fix, on both databases, before any migration runs
(SQLite would silently index a string literal, PostgreSQL fail `migrate`)."""

import pytest

import tests.core.visitor_index_plugin as visitor_index
from core.errors import StartupError
from core.testing.databases import migrate_database, run_async


def test_an_index_naming_a_relation_field_is_refused_at_start_up(database_url):
    with pytest.raises(StartupError) as refused:
        run_async(migrate_database(database_url, extra_plugins=[visitor_index]))
    lines = str(refused.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("plugin visitor_index: model Visit: Meta.indexes names the relation field 'site'")
    assert "'site_id' instead" in lines[0]
    assert lines[1].startswith("plugin visitor_index: model Badge:")


def test_unique_together_and_column_names_are_accepted():
    from core.model_checks import relation_index_problems

    assert relation_index_problems("core", ["core.entities.models", "core.tasks.models", "core.receipts.models",
                                            "core.messages.models"]) == []
