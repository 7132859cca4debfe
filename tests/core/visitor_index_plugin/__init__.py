"""A plugin that exists only for the tests: its index names the relation field ``site``
instead of the column ``site_id`` (the trap of issue 23), which start-up refuses."""

from core import PluginMeta, hookimpl

meta = PluginMeta(name="visitor_index", version="0.1.0", core_requires=">=0.1,<1", description="Visitor log")


@hookimpl
def register_models():
    return ["tests.core.visitor_index_plugin.models"]
