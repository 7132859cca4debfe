"""The audit log: one of core's default plugins (``core.plugins``).

Found by convention: ``core.audit.models`` and ``core.audit.pages.routes()``. (The audit
log's JSON route is identity's, beside the users it names.)
"""

from core import hookimpl
from core.i18n import lazy_gettext as _l
from core.menu import MenuItem
from core.permissions import Permission


@hookimpl
def register_menu_items():
    return [MenuItem(label=_l("Audit log"), url="/admin/audit", permission="core.audit.read", order=920)]


@hookimpl
def register_permissions():
    return [Permission("core.audit.read", _l("Read the audit log"), ("admin", "manager"))]
