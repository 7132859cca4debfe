"""A plugin that exists only for the tests: it proves the plugin contract.

It adds a model with its migration, a page, an API route, a menu item and a template
override, with no change to core. The test suite registers it for one test at a time.
"""

from core import PluginMeta, hookimpl
from core.i18n import lazy_gettext as _l
from core.menu import MenuItem
from core.permissions import PUBLIC

meta = PluginMeta(name="parking", version="1.2.0", core_requires=">=0.1,<1", description="Parking permits")


@hookimpl
def register_models():
    return ["tests.core.parking_plugin.models"]


@hookimpl
def register_routes():
    from tests.core.parking_plugin import views

    return views.page_routes()


@hookimpl
def register_api_routes():
    from tests.core.parking_plugin import views

    return views.api_routes()


@hookimpl
def register_menu_items():
    return [MenuItem(label=_l("Parking"), url="/parking/", permission=PUBLIC, order=50)]
