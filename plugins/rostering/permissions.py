"""What rostering lets people do: each permission with the built-in roles granted it by default
(read by the host as ``PERMISSIONS``)."""

from core.i18n import lazy_gettext as _l
from core.permissions import Permission

LEADS = ("admin", "manager", "supervisor")
STAFF = ("admin", "manager", "supervisor", "agent", "back_office", "front_desk", "housekeeper", "cashier",
         "call_agent")

PERMISSIONS = [
    Permission("rostering.roster.read", _l("See the site's published rosters"), STAFF),
    Permission("rostering.roster.edit", _l("Draw, copy and publish rosters and shift patterns"), LEADS),
    Permission("rostering.request.make", _l("Ask for shift swaps and leave, and answer colleagues' swaps"), STAFF),
    Permission("rostering.request.decide", _l("Approve or refuse shift swaps and leave"), LEADS),
    Permission("rostering.attendance.clock", _l("Clock in and out"), STAFF),
    Permission("rostering.attendance.read", _l("See everyone's attendance and export attendance sheets"), LEADS),
    Permission("rostering.certificate.read", _l("See staff certificates and their expiry"), LEADS),
    Permission("rostering.certificate.edit", _l("Record and renew staff certificates"), LEADS),
]
