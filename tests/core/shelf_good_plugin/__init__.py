"""A plugin that exists only for the tests: its second migration adds its column with db_default (safe on tables with rows)."""

from core import PluginMeta, hookimpl

meta = PluginMeta(name="shelf_good", version="0.1.0", core_requires=">=0.1,<1", description="Shelves")


@hookimpl
def register_models():
    return ["tests.core.shelf_good_plugin.models"]
