"""Insurance phone desk: call logging, caller history, callbacks, complaints, KPIs."""

from core import PluginMeta

meta = PluginMeta(name="insurance_calls", version="0.1.0", core_requires=">=0.1,<1",
                  description=__doc__.strip().rstrip("."))
