"""The entries the insurance phone desk adds to the main navigation and its desk (read by the host as ``MENU`` and ``DESKS``)."""

from core.i18n import lazy_gettext as _l
from core.menu import Desk, DeskHome, MenuItem

# A call centre's phone desk. Supervisors start on the KPIs, call agents on the call form.
DESKS = [
    Desk("insurance_calls", _l("Phone desk"), site_kinds=("call_centre",), order=40, homes=(
        DeskHome("insurance_calls.kpi.read", "/sites/{site}/insurance_calls/dashboard"),
        DeskHome("insurance_calls.call.log", "/sites/{site}/insurance_calls/"),
        DeskHome("insurance_calls.call.read", "/sites/{site}/insurance_calls/calls"),
    )),
]

MENU = [
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
