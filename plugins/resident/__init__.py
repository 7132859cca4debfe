"""Resident service: cases with a closed loop and revisits, campaigns, procedures, property fees."""

from core import PluginMeta, hookimpl

meta = PluginMeta(
    name="resident",
    version="0.1.0",
    core_requires=">=0.1,<1",
    description="Resident service: cases with a closed loop and revisits, campaigns, procedures, property fees",
)


@hookimpl
def register_models():
    return ["plugins.resident.models"]
