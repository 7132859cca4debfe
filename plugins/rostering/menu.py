"""The entries rostering adds to the main navigation and its desk (read by the host as ``MENU`` and ``DESKS``)."""

from core.i18n import lazy_gettext as _l
from core.menu import Desk, MenuItem

# Every kind of site has staff on shifts: on everywhere unless an administrator turns it off.
DESKS = [Desk("rostering", _l("Rostering"), order=80)]

MENU = [
    MenuItem(label=_l("Roster"), url="/sites/{site}/rostering/", permission="rostering.roster.read", order=80),
    MenuItem(label=_l("My shifts and leave"), url="/sites/{site}/rostering/me", permission="rostering.request.make",
             order=81),
    MenuItem(label=_l("Requests to decide"), url="/sites/{site}/rostering/requests",
             permission="rostering.request.decide", order=82),
    MenuItem(label=_l("Attendance"), url="/sites/{site}/rostering/attendance", permission="rostering.attendance.read",
             order=83),
    MenuItem(label=_l("Certificates"), url="/sites/{site}/rostering/certificates",
             permission="rostering.certificate.read", order=84),
]
