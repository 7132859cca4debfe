"""The platform itself as one of core's default plugins (``core.plugins``): its ``meta`` is
the ``core`` plugin's, and its package (``core``) holds core's templates, static files,
translations and migrations.

Found by convention: ``core.api.routes()`` (health, readiness, the OpenAPI document,
metrics) and ``core.pages.routes()`` (start page, API reference, language switch).
"""

from core import __version__, hookimpl
from core.i18n import lazy_gettext as _l
from core.permissions import Permission
from core.plugin_host import PluginMeta

meta = PluginMeta(name="core", version=__version__, description="Sites, users, tasks and the platform itself")


@hookimpl
def register_permissions():
    return [Permission("core.metrics.read", _l("Read the server's metrics (/metrics)"), ("admin",))]


@hookimpl
def register_models():
    # The kernel's per-site log of live events (core.events writes it).
    # ... and the files of core.storage's database backend.
    return ["core.event_log", "core.storage"]
