"""Users, roles, memberships and sign-in: one of core's default plugins (``core.plugins``).

Found by convention: ``core.identity.models``, ``core.identity.api.routes()`` and
``core.identity.pages.routes()`` (sign-in, own password). The hooks below add the
administration pages, the menu and the permissions.
"""

from core import hookimpl
from core.i18n import lazy_gettext as _l
from core.identity import admin_pages, role_pages
from core.menu import MenuItem
from core.permissions import Permission


@hookimpl
def register_routes():
    return [*admin_pages.routes(), *role_pages.routes()]


@hookimpl
def register_menu_items():
    return [
        MenuItem(label=_l("Users"), url="/admin/users", permission="core.user.manage", order=900),
        MenuItem(label=_l("Roles"), url="/admin/roles", permission="core.role.manage", order=910),
    ]


@hookimpl
def register_permissions():
    return [
        Permission("core.user.manage", _l("Manage users and memberships"), ("admin",)),
        Permission("core.role.manage", _l("Manage roles and their permissions"), ("admin",)),
    ]
