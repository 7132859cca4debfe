"""Retention: one of core's default plugins (``core.plugins``).

Found by convention: ``core.retention.models`` and ``core.retention.pages.routes()``. The
job runs on the server's timer (``retention_every_hours``) and from ``frontdesk retention
run`` (``core.cli_retention``); ``frontdesk integrity`` verifies the audit archives through the check below.
"""

from core import hookimpl
from core.i18n import lazy_gettext as _l
from core.menu import MenuItem
from core.permissions import Permission

#: The policy, its runs and the archived months cover every site: by default only a
#: super-administrator (who holds every permission of the routes at no one site) sees them.
READ = "core.retention.read"


@hookimpl
def register_menu_items():
    return [MenuItem(label=_l("Retention"), url="/admin/retention", permission=READ, order=925)]


@hookimpl
def register_permissions():
    return [Permission(READ, _l("See the retention policy, its runs and the archived audit months of every site"), ())]


@hookimpl
def on_app_started(app):
    from core.retention import jobs

    jobs.schedule(app)


@hookimpl
def register_integrity_checks():
    from core.retention import archives

    return [archives.audit_archives]
