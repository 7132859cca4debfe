"""The permissions core checks, with the built-in roles that hold them by default."""

from core.i18n import lazy_gettext as _l
from core.permissions import Permission

EVERY_DESK = ("admin", "manager", "supervisor", "agent", "back_office", "front_desk", "cashier", "call_agent")

PERMISSIONS = [
    Permission("core.unit.read", _l("See units"), EVERY_DESK + ("housekeeper",)),
    Permission("core.unit.edit", _l("Create and edit units"), ("admin", "manager", "supervisor", "back_office")),
    Permission("core.party.read", _l("See parties (residents, guests, callers)"), EVERY_DESK),
    Permission("core.party.edit", _l("Create and edit parties"),
               ("admin", "manager", "supervisor", "agent", "back_office", "front_desk", "call_agent")),
    Permission("core.party.personal_data", _l("See phone numbers and e-mail addresses unmasked"),
               ("admin", "manager", "supervisor", "agent", "back_office", "front_desk", "call_agent")),
    Permission("core.site.manage", _l("Create and edit sites"), ("admin",)),
    Permission("core.user.manage", _l("Manage users and memberships"), ("admin",)),
    Permission("core.role.manage", _l("Manage roles and their permissions"), ("admin",)),
    Permission("core.audit.read", _l("Read the audit log"), ("admin", "manager")),
    Permission("core.metrics.read", _l("Read the server's metrics (/metrics)"), ("admin",)),
    Permission("core.task.read", _l("See tasks"), EVERY_DESK + ("housekeeper",)),
    Permission("core.task.create", _l("Create tasks"), EVERY_DESK + ("housekeeper",)),
    Permission("core.task.work", _l("Work on tasks: change their state, comment"), EVERY_DESK + ("housekeeper",)),
    Permission("core.task.assign", _l("Assign and reassign tasks, work on anyone's task"),
               ("admin", "manager", "supervisor")),
    Permission("core.task.stats", _l("See task statistics"), ("admin", "manager", "supervisor", "back_office")),
    Permission("core.handover.read", _l("Read shift handovers"), EVERY_DESK + ("housekeeper",)),
    Permission("core.handover.write", _l("Write shift handovers"), EVERY_DESK + ("housekeeper",)),
]
