"""Which plugins make an app: core's own features first, then the installed plugins.

As Datasette's ``DEFAULT_PLUGINS`` (``datasette/plugins.py``), each feature of core
registers itself through its own small plugin module, the same hooks and conventions a
third-party plugin uses. They are imported here, normally, so the import graph shows
them; this module sits above core's features, and the kernel's ``core.plugin_host``,
below them, knows none of them. Together they are the one plugin named ``core``: one
Tortoise app (label ``core``, migrations in ``core/migrations``), one line in
``frontdesk plugins``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Iterable

from core import builtin_plugin
from core.audit import plugin as audit_plugin
from core.entities import plugin as entities_plugin
from core.identity import plugin as identity_plugin
from core.imports import plugin as imports_plugin
from core.kpis import plugin as kpis_plugin
from core.messages import plugin as messages_plugin
from core.personal_data import plugin as personal_data_plugin
from core.plugin_host import LoadedPlugin, PluginHost, assemble_host
from core.receipts import plugin as receipts_plugin
from core.retention import plugin as retention_plugin
from core.tasks import plugin as tasks_plugin

#: In this order: models, routes, menu items and permissions are collected in it.
DEFAULT_PLUGINS: tuple[ModuleType, ...] = (builtin_plugin, entities_plugin, identity_plugin, audit_plugin, tasks_plugin,
                                           receipts_plugin, messages_plugin,
                                           kpis_plugin, imports_plugin, retention_plugin, personal_data_plugin)


def core_plugin() -> LoadedPlugin:
    return LoadedPlugin(meta=builtin_plugin.meta, module=builtin_plugin, builtin=True, hook_modules=DEFAULT_PLUGINS)


def load_plugins(
    disabled: Iterable[str] = (),
    extra_modules: Iterable[ModuleType] = (),
    only: Iterable[str] | None = None,
) -> PluginHost:
    """Core, then the installed plugins (found through entry points), checked and
    registered for one app; see ``core.plugin_host.assemble_host``."""
    return assemble_host(core_plugin(), disabled, extra_modules, only)
