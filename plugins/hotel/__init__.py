"""Hotel: live room status board, housekeeping, handover, stock, damage and hygiene."""

from core import PluginMeta, hookimpl

meta = PluginMeta(
    name="hotel",
    version="0.1.0",
    core_requires=">=0.1,<1",
    description="Hotel: live room status board, housekeeping, handover, stock, damage and hygiene",
)


@hookimpl
def register_models():
    return ["plugins.hotel.models"]
