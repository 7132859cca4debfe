"""Core's latest migrations apply to a database that holds data (the demo), not only to an
empty one: a column added NOT NULL without a database default is refused by both
databases on a table with rows, which a test on empty databases never sees."""

from __future__ import annotations

from tortoise.connection import connections
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from core.database import apps_config
from core.identity.models import User


def test_core_migrations_after_0008_apply_to_a_database_with_users_and_tasks(demo_server):
    async def round_trip():
        before = await User.all().count()
        host = demo_server.app.state.host
        executor = MigrationExecutor(connections.get("default"), apps_config(host))
        await executor.migrate([MigrationTarget("core", "0008_superadmin")])
        executor = MigrationExecutor(connections.get("default"), apps_config(host))
        await executor.migrate()
        users = await User.all().values_list("is_superadmin", "extension", "title")
        return before, users

    before, users = demo_server.call(round_trip)
    assert before > 5 and len(users) == before
    assert {extension for _flag, extension, _title in users} != {None}
