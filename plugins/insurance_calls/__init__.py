"""Insurance phone desk: call logging, caller history, callbacks, complaints, KPIs."""

from core import PluginMeta, hookimpl

meta = PluginMeta(name="insurance_calls", version="0.1.0", core_requires=">=0.1,<1",
                  description=__doc__.strip().rstrip("."))


@hookimpl
async def on_task_event(task, event, kernel):
    if task.type == "insurance_calls.complaint" and event.kind == "reopened":
        from plugins.insurance_calls import services

        await services.count_reopening(task)


@hookimpl
def register_site_settings():
    from plugins.insurance_calls.site_settings import GROUP

    return [GROUP]


@hookimpl
def register_message_templates():
    from plugins.insurance_calls.message_templates import templates

    return templates()


@hookimpl
def register_money_checks():
    async def premiums(site) -> list[str]:
        from core.i18n import gettext as _
        from plugins.insurance_calls.models import Application

        return [_("insurance applications")] if await Application.filter(site=site).exists() else []

    return [premiums]


@hookimpl
def register_kpi_sources():
    from plugins.insurance_calls.kpis import SOURCE

    return [SOURCE]


@hookimpl
def register_personal_data():
    from plugins.insurance_calls.personal_data import SOURCE

    return [SOURCE]
