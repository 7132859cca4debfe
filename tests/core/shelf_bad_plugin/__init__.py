"""A plugin that exists only for the tests: its second migration adds its column with default= only (fails on tables with rows)."""

from core import PluginMeta, hookimpl

meta = PluginMeta(name="shelf_bad", version="0.1.0", core_requires=">=0.1,<1", description="Shelves")


@hookimpl
def register_models():
    return ["tests.core.shelf_bad_plugin.models"]
