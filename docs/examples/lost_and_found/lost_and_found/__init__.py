"""Lost and found: a Frontdesk plugin.

Found by convention, without a hook: ``models.py`` (this plugin's Tortoise app),
``api.routes()`` (JSON routes), ``pages.routes()`` (HTML pages), ``menu.MENU``,
``permissions.PERMISSIONS`` and ``task_types.TASK_TYPES``; ``templates/``, ``static/``,
``locale/`` and ``migrations/`` beside this file. Hooks here add what decides something
(a guard, a reaction to a task event: see core/hookspecs.py).
"""

from core import PluginMeta

meta = PluginMeta(name="lost_and_found", version="0.1.0", core_requires=">=0.1.0,<1", description="Lost and found")
