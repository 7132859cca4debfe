"""Helpers shared by the resident services: site settings, people, serialising (money is core.money)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from core.entities.models import Site
from core.identity.models import Membership, User

DEFAULTS: dict[str, Any] = {
    # Minutes within which the resident must get a first reply, per case kind.
    "reply_minutes": {"complaint": 24 * 60, "repair": 4 * 60, "inquiry": 4 * 60, "suggestion": 48 * 60},
    # Cases on the same unit and category within this many hours are offered for merging.
    "duplicate_window_hours": 72,
    # A complaint reopened more than this many times goes to the manager.
    "max_reopens": 2,
    # KPI targets (fractions), as in the service standard: 99%, 98%, 100%.
    "targets": {"on_time_reply_rate": "0.99", "standard_handling_rate": "0.98", "satisfaction_rate": "1.00"},
    "renovation_deposit": "10000",
}

def setting(site: Site, key: str) -> Any:
    """A resident setting of the site (``site.settings["resident"][key]``) or its default."""
    value = ((site.settings or {}).get("resident") or {}).get(key)
    default = DEFAULTS[key]
    if isinstance(default, dict) and isinstance(value, dict):
        return {**default, **value}
    return default if value is None else value


async def site_users_with_role(site_id: int, role: str) -> list[User]:
    ids = await Membership.filter(site_id=site_id, role__name=role, user__is_active=True).values_list("user_id", flat=True)
    return list(await User.filter(id__in=list(set(ids))).order_by("id"))


async def first_with_role(site_id: int, role: str) -> User | None:
    users = await site_users_with_role(site_id, role)
    return users[0] if users else None


def uploads_dir(database_url: str) -> Path:
    """Where procedure documents are kept: beside the SQLite file, or var/uploads; never
    under a static folder, so they are served only through a permission-checked route."""
    override = os.environ.get("FRONTDESK_RESIDENT_UPLOADS")
    if override:
        return Path(override)
    if database_url.startswith("sqlite://"):
        return Path(database_url[len("sqlite://"):]).resolve().parent / "resident-uploads"
    return Path("var") / "resident-uploads"
