"""Hotel: live room status board, housekeeping, handover, stock, damage and hygiene."""

from core import PluginMeta, hookimpl

meta = PluginMeta(name="hotel", version="0.1.0", core_requires=">=0.1,<1",
                  description=__doc__.strip().rstrip("."))


@hookimpl
def register_importers():
    from plugins.hotel.importers import IMPORTERS

    return IMPORTERS


@hookimpl
def register_site_settings():
    from plugins.hotel.site_settings import GROUP

    return [GROUP]


@hookimpl
def register_api_routes():
    from plugins.hotel import stocktake_api

    return stocktake_api.routes()


@hookimpl
def register_routes():
    from plugins.hotel import stocktake_pages

    return stocktake_pages.routes()


@hookimpl
async def on_task_event(task, event, kernel):
    if not task.type.startswith("hotel."):
        return
    from plugins.hotel import services

    await services.after_task_event(kernel, task, event)


@hookimpl
async def on_app_started(app):
    from plugins.hotel import board, jobs

    board.attach(app)  # hears room changes from the start, before any board is kept
    jobs.start(app)


@hookimpl
def register_personal_data():
    from plugins.hotel.personal_data import SOURCE

    return [SOURCE]
