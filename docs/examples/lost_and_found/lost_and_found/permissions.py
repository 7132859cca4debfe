"""What Lost and found lets people do, with the built-in roles granted each by default (read by
the host as ``PERMISSIONS``)."""

from core.i18n import lazy_gettext as _l
from core.permissions import Permission

DESK = ("admin", "manager", "supervisor", "agent")

PERMISSIONS = [
    Permission("lost_and_found.entry.read", _l("See Lost and found entries"), DESK),
    Permission("lost_and_found.entry.write", _l("Write Lost and found entries"), DESK),
]
