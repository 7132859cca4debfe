"""The kinds of work rostering adds to the task kernel (read by the host as ``TASK_TYPES``)."""

from core.i18n import lazy_gettext as _l
from core.tasks.types import GenericUse, TaskType, Workflow

CERTIFICATE_EXPIRY = "rostering.certificate_expiry"
WORKFLOW = Workflow(transitions={"open": ("in_progress", "closed", "cancelled"),
                                 "in_progress": ("closed", "cancelled")})

# Renewing the certificate (a new expiry) closes its reminder; the generic routes may still
# close it (the supervisor decided the person leaves the duties), but not create one.
TASK_TYPES = [
    TaskType(name=CERTIFICATE_EXPIRY, label=_l("Renew a certificate before it expires"),
             default_sla_minutes=30 * 24 * 60, workflow=WORKFLOW, assign_roles=("supervisor",),
             generic=GenericUse(create=False),
             owner_endpoint="PATCH /api/v1/sites/{site}/rostering/certificates/{id}"),
]
