"""Resident service: cases with a closed loop and revisits, campaigns, procedures, property fees."""

from core import PluginMeta, hookimpl

meta = PluginMeta(name="resident", version="0.1.0", core_requires=">=0.1,<1",
                  description=__doc__.strip().rstrip("."))


@hookimpl
async def on_task_event(task, event, kernel):
    if task.type.startswith("resident.") and event.kind == "reopened":
        from plugins.resident import services

        await services.on_reopened(kernel, task, event.actor_id)
