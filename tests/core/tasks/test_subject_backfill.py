"""Each plugin's 0003 migration names the subjects of tasks made before subjects existed:
on the demo data it gives back exactly what the services set when they made the tasks."""

import importlib

import pytest
from tortoise import connections

from core.tasks.models import Task

PLUGINS = ["resident", "hotel", "insurance_calls", "cashier"]


@pytest.mark.parametrize("plugin", PLUGINS)
def test_the_backfill_restores_what_the_services_set(demo_server, plugin):
    migration = importlib.import_module(f"plugins.{plugin}.migrations.0003_task_subjects")

    async def run():
        fields = ("id", "subject_plugin", "subject_kind", "subject_id")
        made = await Task.filter(subject_plugin=plugin).order_by("id").values_list(*fields)
        assert made, f"the demo has tasks about {plugin} records"
        connection = connections.get("default")
        await connection.execute_script(migration.BACKWARD)
        assert not await Task.filter(subject_plugin=plugin).exists()
        for sql in migration.FORWARD:
            await connection.execute_script(sql)
        return made, await Task.filter(subject_plugin=plugin).order_by("id").values_list(*fields)

    made, backfilled = demo_server.call(run)
    assert backfilled == made
