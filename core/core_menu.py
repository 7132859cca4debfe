"""Core's entries in the main navigation (``register_menu_items``)."""

from core.i18n import lazy_gettext as _l
from core.menu import MenuItem
from core.permissions import AUTHENTICATED

MENU = [
    MenuItem(label=_l("Sites"), url="/sites", permission=AUTHENTICATED, order=10),
    # {site} is the site being looked at (else the user's first site).
    MenuItem(label=_l("My work"), url="/sites/{site}/my-work", permission="core.task.read", order=12),
    MenuItem(label=_l("Board"), url="/sites/{site}/board", permission="core.task.assign", order=14),
    MenuItem(label=_l("Handovers"), url="/sites/{site}/handovers", permission="core.handover.read", order=16),
    MenuItem(label=_l("Units"), url="/sites/{site}/units", permission="core.unit.read", order=20),
    MenuItem(label=_l("Parties"), url="/sites/{site}/parties", permission="core.party.read", order=30),
    MenuItem(label=_l("Users"), url="/admin/users", permission="core.user.manage", order=900),
    MenuItem(label=_l("Roles"), url="/admin/roles", permission="core.role.manage", order=910),
    MenuItem(label=_l("Audit log"), url="/admin/audit", permission="core.audit.read", order=920),
]
