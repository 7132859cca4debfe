"""What the resident desk lets people do: each permission with the built-in roles granted it by default
(read by the host as ``PERMISSIONS``, in place of a ``register_permissions`` hook)."""

from core.i18n import lazy_gettext as _l
from core.permissions import Permission

DESK = ("admin", "manager", "supervisor", "agent")
LEADS = ("admin", "manager", "supervisor")

PERMISSIONS = [
    Permission("resident.household.read", _l("See households and unit timelines"), DESK + ("back_office",)),
    Permission("resident.household.edit", _l("Create and import households"), DESK + ("back_office",)),
    Permission("resident.case.read", _l("See resident cases"), DESK + ("back_office",)),
    Permission("resident.case.create", _l("Take resident cases"), DESK + ("back_office",)),
    Permission("resident.case.work", _l("Reply to, revisit and merge resident cases"), DESK),
    Permission("resident.campaign.manage", _l("Run revisit campaigns and read their reports"), LEADS),
    Permission("resident.revisit.record", _l("Work a revisit call list"), DESK),
    Permission("resident.procedure.read", _l("See move-in and renovation procedures"), DESK + ("back_office",)),
    Permission("resident.procedure.edit", _l("Keep move-in and renovation procedures"), DESK + ("back_office",)),
    Permission("resident.procedure.approve", _l("Approve procedures and refund deposits"), LEADS),
    Permission("resident.fee.read", _l("See property fee bills and arrears"), LEADS + ("back_office", "cashier")),
    Permission("resident.fee.manage", _l("Set fee schedules and run billing"), ("admin", "manager", "back_office")),
    Permission("resident.fee.collect", _l("Record property fee payments"), LEADS + ("back_office", "cashier")),
    Permission("resident.kpi.read", _l("See complaint KPIs"), LEADS),
    Permission("resident.complaint.cancel", _l("Cancel a complaint (it still counts in the KPIs)"), LEADS),
    Permission("resident.announcement.read", _l("Read announcements"), DESK + ("back_office", "cashier")),
    Permission("resident.announcement.edit", _l("Publish announcements"), LEADS),
]
