"""Insurance phone desk: call logging, caller history, callbacks, complaints, KPIs."""

from core import PluginMeta, hookimpl
from core.i18n import lazy_gettext as _l

meta = PluginMeta(
    name="insurance_calls",
    version="0.1.0",
    core_requires=">=0.1,<1",
    description="Insurance phone desk: call logging, caller history, callbacks, complaints, KPIs",
)

DESK = ("admin", "manager", "supervisor", "call_agent")


@hookimpl
def register_permissions():
    from core.permissions import Permission

    return [
        Permission("insurance_calls.call.read", _l("See logged calls and caller history"), DESK),
        Permission("insurance_calls.call.log", _l("Log phone calls"), ("admin", "supervisor", "call_agent")),
        Permission("insurance_calls.caller.personal_data", _l("See callers' phone and policy numbers unmasked"),
                   ("admin", "supervisor", "call_agent")),
        Permission("insurance_calls.kpi.read", _l("See phone desk KPIs and reports"), ("admin", "manager", "supervisor")),
        Permission("insurance_calls.application.read", _l("See phone applications"), DESK),
        Permission("insurance_calls.application.edit", _l("Enter and submit phone applications"),
                   ("admin", "supervisor", "call_agent")),
        Permission("insurance_calls.application.check", _l("Check phone applications (second person)"),
                   ("admin", "supervisor", "call_agent")),
        Permission("insurance_calls.application.issue", _l("Enter issued policies"), ("admin", "supervisor")),
        Permission("insurance_calls.complaint.cancel", _l("Cancel a complaint (it still counts in the KPIs)"),
                   ("admin", "supervisor")),
    ]


@hookimpl
def register_task_types():
    from core.tasks.types import TaskType

    # Every task of this desk comes from a logged call (and a complaint with its revisit).
    calls = {"owner_endpoint": "POST /api/v1/sites/{site}/insurance/calls"}
    return [
        TaskType(name="insurance_calls.callback", label=_l("Callback"), default_sla_minutes=24 * 60,
                 assign_roles=("call_agent",), **calls),
        TaskType(name="insurance_calls.complaint", label=_l("Insurance complaint"), default_sla_minutes=24 * 60,
                 assign_roles=("supervisor",), requires_follow_up="insurance_calls.revisit",
                 cancel_permission="insurance_calls.complaint.cancel", **calls),
        TaskType(name="insurance_calls.revisit", label=_l("Complaint revisit"), default_sla_minutes=3 * 24 * 60,
                 assign_roles=("call_agent",), **calls),
    ]


@hookimpl
async def task_transition_guard(task, to_status):
    if not task.type.startswith("insurance_calls."):
        return None
    from plugins.insurance_calls.services import transition_guard

    return await transition_guard(task, to_status)


@hookimpl
def register_menu_items():
    from core.menu import MenuItem

    return [
        MenuItem(label=_l("Log a call"), url="/sites/{site}/insurance_calls/", permission="insurance_calls.call.log",
                 order=40),
        MenuItem(label=_l("My callbacks"), url="/sites/{site}/insurance_calls/callbacks",
                 permission="insurance_calls.call.log", order=41),
        MenuItem(label=_l("Calls"), url="/sites/{site}/insurance_calls/calls", permission="insurance_calls.call.read",
                 order=42),
        MenuItem(label=_l("Applications"), url="/sites/{site}/insurance_calls/applications",
                 permission="insurance_calls.application.read", order=43),
        MenuItem(label=_l("Phone desk KPIs"), url="/sites/{site}/insurance_calls/dashboard",
                 permission="insurance_calls.kpi.read", order=44),
    ]


@hookimpl
def register_demo_data():
    from plugins.insurance_calls.demo import load

    return load
