"""Users, roles, memberships and sign-in: one of core's default plugins (``core.plugins``).

Found by convention: ``core.identity.models``, ``core.identity.api.routes()`` and
``core.identity.pages.routes()`` (sign-in, own password). The hooks below add the
administration pages, the staff directory (``core.identity.directory``), the menu and the
permissions.
"""

from core import hookimpl
from core.i18n import lazy_gettext as _l
from core.identity import admin_pages, directory, role_pages
from core.menu import MenuItem
from core.permissions import EVERYONE, Permission


@hookimpl
def register_routes():
    return [*admin_pages.routes(), *role_pages.routes(), *directory.page_routes()]


@hookimpl
def register_api_routes():
    return directory.api_routes()


@hookimpl
def register_menu_items():
    return [
        # {site} is the site being looked at (else the user's first site).
        MenuItem(label=_l("Staff directory"), url="/sites/{site}/directory", permission=directory.PERMISSION,
                 order=40),
        MenuItem(label=_l("Users"), url="/admin/users", permission="core.user.manage", order=900),
        MenuItem(label=_l("Roles"), url="/admin/roles", permission="core.role.manage", order=910),
    ]


@hookimpl
def register_permissions():
    return [
        Permission("core.user.manage", _l("Manage users and memberships"), ("admin",)),
        Permission("core.role.manage", _l("Manage roles and their permissions"), ("admin",)),
        # Every member looks up their colleagues' extensions (熟記內線電話).
        Permission(directory.PERMISSION, _l("See the staff directory of a site (names, titles, extensions)"),
                   EVERYONE),
    ]
