"""The kinds of work the cashier desk adds to the task kernel (read by the host as
``TASK_TYPES``): what it flags to supervisors (``review_tasks.py`` makes and closes them)."""

from core.i18n import lazy_gettext as _l
from core.tasks.types import GenericUse, TaskType, Workflow

REVIEW_TASK = "cashier.difference_review"
APPROVAL_TASK = "cashier.refund_approval"
WORKFLOW = Workflow(transitions={"open": ("in_progress", "closed", "cancelled"),
                                 "in_progress": ("closed", "cancelled")})

# The shift's review and the refund's decision close these tasks; closed or cancelled on
# the generic task routes they would leave the difference unreviewed, the refund undecided.
OWNED = GenericUse(create=False, cancel=False, close=False)
TASK_TYPES = [
    TaskType(name=REVIEW_TASK, label=_l("Review a cash difference"), default_sla_minutes=24 * 60,
             workflow=WORKFLOW, assign_roles=("supervisor",), generic=OWNED,
             owner_endpoint="POST /api/v1/sites/{site}/cashier/shifts/{id}/review"),
    TaskType(name=APPROVAL_TASK, label=_l("Approve a refund"), default_sla_minutes=30,
             workflow=WORKFLOW, assign_roles=("supervisor",), generic=OWNED,
             owner_endpoint="POST /api/v1/sites/{site}/cashier/transactions/{id}/decision"),
]
