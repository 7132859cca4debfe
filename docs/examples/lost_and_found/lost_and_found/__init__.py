"""Lost and found: a Frontdesk plugin.

Found by convention, without a hook: ``models.py`` (this plugin's Tortoise app),
``api.routes()`` (JSON routes) and ``pages.routes()`` (HTML pages); ``templates/``,
``static/``, ``locale/`` and ``migrations/`` beside this file. The hooks below add the
rest (see core/hookspecs.py).
"""

from core import PluginMeta, hookimpl
from core.i18n import lazy_gettext as _l
from core.menu import MenuItem
from core.permissions import Permission
from core.tasks.types import TaskType

meta = PluginMeta(name="lost_and_found", version="0.1.0", core_requires=">=0.1.0,<1", description="Lost and found")


@hookimpl
def register_menu_items():
    return [MenuItem(label=_l("Lost and found"), url="/sites/{site}/lost_and_found/", permission="lost_and_found.entry.read")]


@hookimpl
def register_permissions():
    return [
        Permission("lost_and_found.entry.read", _l("See Lost and found entries"), ("admin", "manager", "supervisor", "agent")),
        Permission("lost_and_found.entry.write", _l("Write Lost and found entries"), ("admin", "manager", "supervisor", "agent")),
    ]


@hookimpl
def register_task_types():
    return [TaskType(name="lost_and_found.follow_up", label=_l("Lost and found follow-up"), default_sla_minutes=24 * 60)]
