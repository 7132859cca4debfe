"""Tasks, the board and shift handovers: one of core's default plugins (``core.plugins``).

Found by convention: ``core.tasks.models``, ``core.tasks.api.routes()`` and
``core.tasks.pages.routes()``. The hooks below add the board and handover pages, the
menu and the permissions. Task types are the other plugins' (``register_task_types``).
"""

from core import hookimpl
from core.i18n import lazy_gettext as _l
from core.menu import MenuItem
from core.permissions import EVERYONE, Permission
from core.tasks import board_pages


@hookimpl
def register_routes():
    return board_pages.routes()


@hookimpl
def register_site_settings():
    from core.tasks.settings import GROUP

    return [GROUP]


@hookimpl
def register_menu_items():
    return [
        # {site} is the site being looked at (else the user's first site).
        MenuItem(label=_l("My work"), url="/sites/{site}/my-work", permission="core.task.read", order=12),
        MenuItem(label=_l("Board"), url="/sites/{site}/board", permission="core.task.assign", order=14),
        MenuItem(label=_l("Handovers"), url="/sites/{site}/handovers", permission="core.handover.read", order=16),
    ]


@hookimpl
def register_permissions():
    return [
        Permission("core.task.read", _l("See tasks"), EVERYONE),
        Permission("core.task.create", _l("Create tasks"), EVERYONE),
        Permission("core.task.work", _l("Work on tasks: change their state, comment"), EVERYONE),
        Permission("core.task.assign", _l("Assign and reassign tasks, work on anyone's task"),
                   ("admin", "manager", "supervisor")),
        Permission("core.task.stats", _l("See task statistics"), ("admin", "manager", "supervisor", "back_office")),
        Permission("core.handover.read", _l("Read shift handovers"), EVERYONE),
        Permission("core.handover.write", _l("Write shift handovers"), EVERYONE),
    ]
