"""Sites, units and parties: one of core's default plugins (``core.plugins``).

Found by convention: ``core.entities.models``, ``core.entities.api.routes()`` and
``core.entities.pages.routes()``. The hooks below add the rest.
"""

from core import hookimpl
from core.entities import code_list_api, code_list_pages, party_pages, site_admin_pages, site_settings_pages
from core.i18n import lazy_gettext as _l
from core.menu import MenuItem
from core.permissions import AUTHENTICATED, EVERY_DESK, EVERYONE, Permission

# Every desk but the cashier's edits parties (the housekeeper, at no desk, does not either).
_PARTY_EDITORS = tuple(role for role in EVERY_DESK if role != "cashier")


@hookimpl
def register_routes():
    return [*party_pages.routes(), *site_admin_pages.routes(), *site_settings_pages.routes(), *code_list_pages.routes()]


@hookimpl
def register_api_routes():
    return code_list_api.routes()


@hookimpl
def register_site_settings():
    from core.site_settings import CORE_GROUP

    return [CORE_GROUP]


@hookimpl
def register_menu_items():
    return [
        MenuItem(label=_l("Sites"), url="/sites", permission=AUTHENTICATED, order=10),
        # {site} is the site being looked at (else the user's first site).
        MenuItem(label=_l("Units"), url="/sites/{site}/units", permission="core.unit.read", order=20),
        MenuItem(label=_l("Parties"), url="/sites/{site}/parties", permission="core.party.read", order=30),
        MenuItem(label=_l("Site settings"), url="/sites/{site}/settings", permission="core.site.manage", order=930),
        MenuItem(label=_l("Code lists"), url="/sites/{site}/lists", permission="core.code_list.manage", order=931),
    ]


@hookimpl
def register_permissions():
    return [
        Permission("core.unit.read", _l("See units"), EVERYONE),
        Permission("core.unit.edit", _l("Create and edit units"), ("admin", "manager", "supervisor", "back_office")),
        Permission("core.party.read", _l("See parties (residents, guests, callers)"), EVERY_DESK),
        Permission("core.party.edit", _l("Create and edit parties"), _PARTY_EDITORS),
        Permission("core.party.personal_data", _l("See phone numbers and e-mail addresses unmasked"), _PARTY_EDITORS),
        Permission("core.site.manage", _l("Create and edit sites"), ("admin",)),
        Permission("core.code_list.read", _l("See a site's code lists (categories, causes)"), EVERY_DESK),
        Permission("core.code_list.manage", _l("Add, rename and deactivate a site's codes"), ("admin", "manager")),
    ]
