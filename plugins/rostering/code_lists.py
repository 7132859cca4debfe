"""The codes rostering classifies by, managed per site (``core.entities.code_lists``)."""

from core.entities.code_lists import Code, CodeList
from core.i18n import N_

LEAVE_TYPES = CodeList("rostering.leave_type", N_("Leave types"), (
    Code("annual", N_("Annual leave")),
    Code("sick", N_("Sick leave")),
    Code("personal", N_("Personal leave")),
    Code("compensatory", N_("Compensatory time off")),
    Code("marriage", N_("Marriage leave")),
    Code("bereavement", N_("Bereavement leave")),
    Code("maternity", N_("Maternity leave")),
    Code("paternity", N_("Paternity leave")),
    Code("official", N_("Official leave")),
))

CERTIFICATE_KINDS = CodeList("rostering.certificate_kind", N_("Certificate kinds"), (
    Code("health", N_("Health certificate")),
    Code("food_safety", N_("Food safety certificate")),
    Code("fire_safety", N_("Fire safety training")),
    Code("first_aid", N_("First aid certificate")),
    Code("security_guard", N_("Security guard licence")),
))

LISTS = [LEAVE_TYPES, CERTIFICATE_KINDS]
