"""The kinds of work the hotel adds to the task kernel (read by the host as ``TASK_TYPES``)."""

from core.i18n import lazy_gettext as _l
from core.i18n import register_labels
from core.tasks.types import DEFAULT_WORKFLOW, GenericUse, TaskType, Workflow

# The hotel's own task event in words on the task page (services.INSPECTION_FAILED).
register_labels("task.event", {"hotel.inspection_failed": _l("Inspection failed")})

floor = ("housekeeper",)
# Check-out, the night audit, a clean done and a damage report make the room's tasks;
# a pick-up or a guest's request is asked for by hand, on the generic task routes.
by_hand = GenericUse(create=True)
# A cleaning task waits while its room's guest has the do-not-disturb sign up or refused
# service: an unstarted one straight from open (the sign is nobody's first response, and
# an attendant who has not started it has not taken it), and back to open when the sign
# comes down (plugins.hotel.services._hold, _restart).
CLEANING_WORKFLOW = Workflow(transitions={**DEFAULT_WORKFLOW.transitions,
                                          "open": ("in_progress", "waiting", "cancelled"),
                                          "waiting": ("in_progress", "open", "cancelled")})
cleaning = {"workflow": CLEANING_WORKFLOW}
rooms = {"owner_endpoint": "POST /api/v1/sites/{site}/hotel/rooms/{id}/check-out (or /damage)"}
TASK_TYPES = [
    TaskType(name="hotel.departure_clean", label=_l("Departure clean"), default_sla_minutes=90,
             assign_roles=floor, **rooms, **cleaning),
    TaskType(name="hotel.stay_over", label=_l("Stay-over service"), default_sla_minutes=8 * 60,
             assign_roles=floor, **rooms, **cleaning),
    TaskType(name="hotel.pickup", label=_l("Pick-up clean"), default_sla_minutes=60, assign_roles=floor,
             generic=by_hand, **cleaning),
    TaskType(name="hotel.inspection", label=_l("Room inspection"), default_sla_minutes=60,
             assign_roles=("supervisor",), **rooms),
    TaskType(name="hotel.maintenance", label=_l("Room maintenance"), default_sla_minutes=24 * 60,
             assign_roles=("supervisor",), **rooms),
    TaskType(name="hotel.guest_request", label=_l("Guest request"), default_sla_minutes=30,
             assign_roles=floor, generic=by_hand),
]
