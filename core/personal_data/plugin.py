"""Personal-data requests: one of core's default plugins (``core.plugins``).

Declares core's own sources through the same ``register_personal_data`` hook the plugins
use, the two permissions, and the surfaces: the API (``core.personal_data.api``), the pages
(``core.personal_data.pages``) and ``frontdesk privacy`` (``core.cli_privacy``).
"""

from core import hookimpl
from core.i18n import lazy_gettext as _l
from core.permissions import Permission


@hookimpl
def register_personal_data():
    from core.personal_data.core_sources import SOURCES

    return SOURCES


@hookimpl
def register_permissions():
    return [
        Permission("core.personal_data.export", _l("Export everything held about a person (personal-data requests)"),
                   ("admin",)),
        Permission("core.personal_data.erase", _l("Erase a person's data (pseudonymise them everywhere)"), ("admin",)),
    ]


@hookimpl
def register_api_routes():
    from core.personal_data import api

    return api.routes()


@hookimpl
def register_routes():
    from core.personal_data import pages

    return pages.routes()
