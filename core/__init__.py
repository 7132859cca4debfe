"""Frontdesk core: the kernel that loads the domain plugins.

Plugin authors import from here only::

    from core import hookimpl, PluginMeta
"""

from core.plugin_host import PluginMeta, hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl", "PluginMeta"]
