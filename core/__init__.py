"""Frontdesk core: the kernel that loads the domain plugins.

Plugin authors import from here only::

    from core import hookimpl, PluginMeta
"""

import pluggy

__version__ = "0.1.0"

#: Decorate a plugin's hook implementations with this marker.
hookimpl = pluggy.HookimplMarker("frontdesk")

from core.plugin_host import PluginMeta  # noqa: E402  (hookimpl must exist first)

__all__ = ["__version__", "hookimpl", "PluginMeta"]
