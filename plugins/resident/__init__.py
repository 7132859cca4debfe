"""Resident service: cases with a closed loop and revisits, campaigns, procedures, property fees."""

from core import PluginMeta, hookimpl
from core.i18n import lazy_gettext as _l

meta = PluginMeta(
    name="resident",
    version="0.1.0",
    core_requires=">=0.1,<1",
    description="Resident service: cases with a closed loop and revisits, campaigns, procedures, property fees",
)

DESK = ("admin", "manager", "supervisor", "agent")
LEADS = ("admin", "manager", "supervisor")


@hookimpl
def register_menu_items():
    from core.menu import MenuItem

    return [
        MenuItem(label=_l("Service desk"), url="/sites/{site}/resident/", permission="resident.case.read", order=20),
        MenuItem(label=_l("Call list"), url="/sites/{site}/resident/calls", permission="resident.revisit.record",
                 order=21),
        MenuItem(label=_l("Property fees"), url="/sites/{site}/resident/fees", permission="resident.fee.read", order=22),
        MenuItem(label=_l("Resident reports"), url="/sites/{site}/resident/kpis", permission="resident.kpi.read",
                 order=23),
    ]


@hookimpl
def register_permissions():
    from core.permissions import Permission

    return [
        Permission("resident.household.read", _l("See households and unit timelines"), DESK + ("back_office",)),
        Permission("resident.household.edit", _l("Create and import households"), DESK + ("back_office",)),
        Permission("resident.case.read", _l("See resident cases"), DESK + ("back_office",)),
        Permission("resident.case.create", _l("Take resident cases"), DESK + ("back_office",)),
        Permission("resident.case.work", _l("Reply to, revisit and merge resident cases"), DESK),
        Permission("resident.campaign.manage", _l("Run revisit campaigns and read their reports"), LEADS),
        Permission("resident.revisit.record", _l("Work a revisit call list"), DESK),
        Permission("resident.procedure.read", _l("See move-in and renovation procedures"), DESK + ("back_office",)),
        Permission("resident.procedure.edit", _l("Keep move-in and renovation procedures"), DESK + ("back_office",)),
        Permission("resident.procedure.approve", _l("Approve procedures and refund deposits"), LEADS),
        Permission("resident.fee.read", _l("See property fee bills and arrears"), LEADS + ("back_office", "cashier")),
        Permission("resident.fee.manage", _l("Set fee schedules and run billing"), ("admin", "manager", "back_office")),
        Permission("resident.fee.collect", _l("Record property fee payments"), LEADS + ("back_office", "cashier")),
        Permission("resident.kpi.read", _l("See complaint KPIs"), LEADS),
        Permission("resident.complaint.cancel", _l("Cancel a complaint (it still counts in the KPIs)"), LEADS),
        Permission("resident.announcement.read", _l("Read announcements"), DESK + ("back_office", "cashier")),
        Permission("resident.announcement.edit", _l("Publish announcements"), LEADS),
    ]


@hookimpl
def register_task_types():
    from core.tasks.types import TaskType

    # Every resident task is a case's: created with it, never on its own.
    cases = {"owner_endpoint": "POST /api/v1/sites/{site}/resident/cases"}
    return [
        TaskType(name="resident.repair", label=_l("Repair"), default_sla_minutes=48 * 60, **cases),
        TaskType(name="resident.complaint", label=_l("Complaint"), default_sla_minutes=72 * 60,
                 assign_skill="complaints", cancel_permission="resident.complaint.cancel", **cases),
        TaskType(name="resident.inquiry", label=_l("Inquiry"), default_sla_minutes=24 * 60, **cases),
        TaskType(name="resident.suggestion", label=_l("Suggestion"), default_sla_minutes=7 * 24 * 60, **cases),
    ]


@hookimpl
async def task_transition_guard(task, to_status):
    from plugins.resident import services

    return await services.transition_guard(task, to_status)


@hookimpl
async def task_subject_panel(task, subject, request):
    if subject.plugin != "resident":
        return None
    from plugins.resident import pages

    return await pages.task_panel(request, task, subject)


@hookimpl
async def on_task_event(task, event, kernel):
    if task.type.startswith("resident.") and event.kind == "reopened":
        from plugins.resident import services

        await services.on_reopened(kernel, task, event.actor_id)


@hookimpl
def register_demo_data():
    from plugins.resident.demo import load

    return load
