"""Resident service: cases with a closed loop and revisits, campaigns, procedures, property fees."""

from core import PluginMeta, hookimpl

meta = PluginMeta(name="resident", version="0.1.0", core_requires=">=0.1,<1",
                  description=__doc__.strip().rstrip("."))


@hookimpl
def register_importers():
    from plugins.resident.importers import IMPORTERS

    return IMPORTERS


@hookimpl
async def on_task_event(task, event, kernel):
    if task.type.startswith("resident.") and event.kind == "reopened":
        from plugins.resident import services

        await services.on_reopened(kernel, task, event.actor_id)


@hookimpl
def on_app_started(app):
    from plugins.resident import jobs

    jobs.start(app)


@hookimpl
def register_site_settings():
    from plugins.resident.site_settings import GROUP

    return [GROUP]


@hookimpl
def register_money_checks():
    async def resident_money(site) -> list[str]:
        from core.i18n import gettext as _
        from plugins.resident.models import Bill, FeeSchedule, Payment, Procedure

        held = []
        if await Bill.filter(site=site).exists() or await Payment.filter(site=site).exists():
            held.append(_("resident bills and payments"))
        if await FeeSchedule.filter(site=site).exists():
            held.append(_("fee schedules"))
        if await Procedure.filter(site=site, deposit_minor__not=0).exists():
            held.append(_("procedure deposits"))
        return held

    return [resident_money]


@hookimpl
def register_code_lists():
    from plugins.resident.complaints import LISTS

    return LISTS


@hookimpl
def register_api_routes():
    from plugins.resident import complaint_api

    return complaint_api.routes()


@hookimpl
def register_routes():
    from plugins.resident import complaint_pages

    return complaint_pages.routes()


@hookimpl
def register_kpi_sources():
    from plugins.resident.kpis import SOURCE

    return [SOURCE]


@hookimpl
def register_receipt_series():
    from core.receipts.services import FEES_SERIES, ReceiptSeries
    from plugins.resident.fees import fee_receipt_void_guard

    # Fee receipts stay readable by everyone holding core.receipt.read (fee collectors too).
    return [ReceiptSeries(FEES_SERIES, void_guard=fee_receipt_void_guard)]


@hookimpl
def register_message_templates():
    from plugins.resident.message_templates import TEMPLATES
    from plugins.resident.notice_templates import templates as notice_templates

    return [*TEMPLATES, *notice_templates()]


@hookimpl
def register_personal_data():
    from plugins.resident.personal_data import SOURCE

    return [SOURCE]
