"""Insurance phone desk: call logging, caller history, callbacks, complaints, KPIs."""

from core import PluginMeta, hookimpl

meta = PluginMeta(name="insurance_calls", version="0.1.0", core_requires=">=0.1,<1",
                  description=__doc__.strip().rstrip("."))


@hookimpl
async def task_transition_guard(task, to_status):
    if not task.type.startswith("insurance_calls."):
        return None
    from plugins.insurance_calls.services import transition_guard

    return await transition_guard(task, to_status)
