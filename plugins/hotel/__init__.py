"""Hotel: live room status board, housekeeping, handover, stock, damage and hygiene."""

from core import PluginMeta, hookimpl

meta = PluginMeta(name="hotel", version="0.1.0", core_requires=">=0.1,<1",
                  description=__doc__.strip().rstrip("."))


@hookimpl
async def task_transition_guard(task, to_status):
    if not task.type.startswith("hotel."):
        return None
    from plugins.hotel import services

    return await services.transition_guard(task, to_status)


@hookimpl
async def task_subject_panel(task, subject, request):
    if subject.plugin != "hotel":
        return None
    from plugins.hotel import pages

    return await pages.task_panel(request, task, subject)


@hookimpl
async def on_task_event(task, event, kernel):
    if not task.type.startswith("hotel."):
        return
    from plugins.hotel import services

    await services.after_task_event(kernel, task, event)


@hookimpl
async def on_app_started(app):
    from plugins.hotel import jobs

    jobs.start(app)
