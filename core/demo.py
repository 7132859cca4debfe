"""Demo data: sites, users and each plugin's records (``register_demo_data``)."""

from __future__ import annotations

DEMO_PASSWORD = "frontdesk-demo"


async def load_demo(host, only_if_empty: bool = False) -> list[str]:
    return []
