"""The entries the resident desk adds to the main navigation and its desk (read by the host as ``MENU`` and ``DESKS``)."""

from core.i18n import lazy_gettext as _l
from core.menu import Desk, DeskHome, MenuItem

# An estate's service desk. Supervisors start on the task board (who handles which case),
# agents on the service desk with the new cases and their own.
DESKS = [
    Desk("resident", _l("Resident services"), site_kinds=("residential",), order=20, homes=(
        DeskHome("core.task.assign", "/sites/{site}/board"),
        DeskHome("resident.case.read", "/sites/{site}/resident/"),
    )),
]

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
