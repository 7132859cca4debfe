"""The kinds of work the insurance phone desk adds to the task kernel (read by the host as ``TASK_TYPES``)."""

from core.i18n import lazy_gettext as _l
from core.tasks.types import TaskType

# Every task of this desk comes from a logged call (and a complaint with its revisit).
calls = {"owner_endpoint": "POST /api/v1/sites/{site}/insurance/calls"}
TASK_TYPES = [
    TaskType(name="insurance_calls.callback", label=_l("Callback"), default_sla_minutes=24 * 60,
             assign_roles=("call_agent",), **calls),
    TaskType(name="insurance_calls.complaint", label=_l("Insurance complaint"), default_sla_minutes=24 * 60,
             assign_roles=("supervisor",), requires_follow_up="insurance_calls.revisit",
             cancel_permission="insurance_calls.complaint.cancel", **calls),
    TaskType(name="insurance_calls.revisit", label=_l("Complaint revisit"), default_sla_minutes=3 * 24 * 60,
             assign_roles=("call_agent",), **calls),
]
