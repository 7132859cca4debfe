"""The kinds of work the resident desk adds to the task kernel (read by the host as ``TASK_TYPES``)."""

from core.i18n import lazy_gettext as _l
from core.tasks.types import TaskType

# Every resident task is a case's: created with it, never on its own.
# The case page carries the task's work (reply, revisit, assignment, its SLA): lists open it.
cases = {"owner_endpoint": "POST /api/v1/sites/{site}/resident/cases",
         "page": "/sites/{site}/resident/cases/{subject_id}"}
TASK_TYPES = [
    TaskType(name="resident.repair", label=_l("Repair"), default_sla_minutes=48 * 60, **cases),
    TaskType(name="resident.complaint", label=_l("Complaint"), default_sla_minutes=72 * 60,
             assign_skill="complaints", cancel_permission="resident.complaint.cancel", **cases),
    TaskType(name="resident.inquiry", label=_l("Inquiry"), default_sla_minutes=24 * 60, **cases),
    TaskType(name="resident.suggestion", label=_l("Suggestion"), default_sla_minutes=7 * 24 * 60, **cases),
    # A revisit's own tasks: made when it is recorded (plugins.resident.services.record_attempt).
    TaskType(name="resident.revisit_escalation", label=_l("Unreached revisit"), default_sla_minutes=24 * 60,
             assign_roles=("supervisor",), owner_endpoint="POST /api/v1/sites/{site}/resident/revisits/{id}"),
    TaskType(name="resident.follow_up", label=_l("Follow-up after a revisit"), default_sla_minutes=24 * 60,
             assign_skill="complaints", owner_endpoint="POST /api/v1/sites/{site}/resident/revisits/{id}"),
]
