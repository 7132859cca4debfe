"""The KPI engine's page, API, settings and permission: one of core's default plugins
(``core.plugins``). The KPIs themselves come from the desks (``register_kpi_sources``)."""

from core import hookimpl
from core.i18n import lazy_gettext as _l
from core.menu import MenuItem
from core.permissions import Permission


@hookimpl
def register_routes():
    from core.kpis import web

    return web.page_routes()


@hookimpl
def register_api_routes():
    from core.kpis import web

    return web.api_routes()


@hookimpl
def register_site_settings():
    from core.kpis.settings import GROUP

    return [GROUP]


@hookimpl
def register_menu_items():
    return [MenuItem(label=_l("KPIs"), url="/sites/{site}/kpis", permission="core.kpi.read", order=60)]


@hookimpl
def register_permissions():
    # Each source still needs its own permission (resident.kpi.read, ...): this one opens
    # the page that gathers those the user has.
    return [Permission("core.kpi.read", _l("See the site's KPIs (of the desks one may see)"),
                       ("admin", "manager", "supervisor", "back_office"))]
