"""The entries the insurance phone desk adds to the main navigation (read by the host as ``MENU``)."""

from core.i18n import lazy_gettext as _l
from core.menu import MenuItem

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
