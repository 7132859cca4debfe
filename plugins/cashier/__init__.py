"""Cashier: shifts, floats, append-only ledger, blind close, deposits."""

from core import PluginMeta, hookimpl

meta = PluginMeta(
    name="cashier",
    version="0.1.0",
    core_requires=">=0.1,<1",
    description="Cashier: shifts, floats, append-only ledger, blind close, deposits",
)


@hookimpl
def register_models():
    return ["plugins.cashier.models"]
