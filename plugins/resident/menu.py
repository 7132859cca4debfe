"""The entries the resident desk adds to the main navigation (read by the host as ``MENU``)."""

from core.i18n import lazy_gettext as _l
from core.menu import MenuItem

MENU = [
    MenuItem(label=_l("Service desk"), url="/sites/{site}/resident/", permission="resident.case.read", order=20),
    MenuItem(label=_l("Call list"), url="/sites/{site}/resident/calls", permission="resident.revisit.record",
             order=21),
    MenuItem(label=_l("Property fees"), url="/sites/{site}/resident/fees", permission="resident.fee.read", order=22),
    MenuItem(label=_l("Resident reports"), url="/sites/{site}/resident/kpis", permission="resident.kpi.read",
             order=23),
    MenuItem(label=_l("Complaint analysis"), url="/sites/{site}/resident/complaints/analysis",
             permission="resident.kpi.read", order=24),
]
