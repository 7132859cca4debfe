"""Every committed migration of core and the built-in plugins applies to tables that hold
rows (the kit's check, on this run's backend), and the models match their migrations."""

import pytest



@pytest.mark.slow
def test_every_migration_applies_to_tables_holding_rows(migrations_on_data):
    applied = migrations_on_data()  # after core's baseline (CORE_BASELINE)
    assert "core.0001_initial" in applied and any(name.startswith("cashier.") for name in applied)


def test_models_match_their_committed_migrations(models_match_migrations):
    models_match_migrations()
