"""Bulk imports and exports: one of core's default plugins (``core.plugins``).

Declares core's own importers (units, parties, users with their roles) through the same
``register_importers`` hook the plugins use, and the surfaces every importer shares: the
API and the "Import data" page (``frontdesk import`` / ``export`` are in ``core.cli_imports``).
"""

from core import hookimpl
from core.i18n import lazy_gettext as _l
from core.menu import MenuItem


@hookimpl
def register_importers():
    from core.imports.entities import PARTIES, UNITS
    from core.imports.users import USERS

    return [UNITS, PARTIES, USERS]


@hookimpl
def register_api_routes():
    from core.imports import api

    return api.routes()


@hookimpl
def register_routes():
    from core.imports import pages

    return pages.routes()


@hookimpl
def register_menu_items():
    # Each kind of record needs its own permission (the page lists those one holds); the
    # entry shows to those who may load units, the first thing a new site needs.
    return [MenuItem(label=_l("Import data"), url="/sites/{site}/imports", permission="core.unit.edit", order=935)]
