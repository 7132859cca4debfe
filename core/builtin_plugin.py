"""Core's own contributions, registered through the same plugin manager as any plugin.

Core proves the plugin contract by using it: its models, routes and menu come in through
the hooks below, exactly as a third-party plugin's would.
"""

from core import __version__, hookimpl
from core.plugin_host import PluginMeta

meta = PluginMeta(name="core", version=__version__, description="Sites, users, tasks and the platform itself")


@hookimpl
def register_models():
    return ["core.entities.models", "core.identity.models", "core.audit.models", "core.tasks.models"]


@hookimpl
def register_api_routes():
    from core import api

    return api.routes()


@hookimpl
def register_routes():
    from core import pages
    from core.entities import pages as entity_pages
    from core.identity import admin_pages
    from core.identity import pages as identity_pages

    from core.tasks import board_pages, pages as task_pages

    return [*pages.routes(), *identity_pages.routes(), *entity_pages.routes(), *admin_pages.routes(),
            *task_pages.routes(), *board_pages.routes()]


@hookimpl
def register_menu_items():
    from core.core_menu import MENU

    return MENU


@hookimpl
def register_permissions():
    from core.core_permissions import PERMISSIONS

    return PERMISSIONS
