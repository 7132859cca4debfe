"""The resident desk's site settings (``site.settings["resident"]``) and their defaults."""

from __future__ import annotations

from typing import Any

from core.entities.models import Site

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
    # An unreached resident is called this many times, this many hours apart, then escalated.
    "revisit_retry": {"attempts": 3, "interval_hours": 24},
}


def setting(site: Site, key: str) -> Any:
    """A resident setting of the site (``site.settings["resident"][key]``) or its default:
    the keys declared to core (``plugins.resident.site_settings``) through
    ``core.site_settings``, as JSON-ready values."""
    from core.site_settings import effective
    from plugins.resident.site_settings import GROUP

    if key in GROUP.model.model_fields:
        return effective(site, GROUP).model_dump(mode="json")[key]
    value = ((site.settings or {}).get("resident") or {}).get(key)
    default = DEFAULTS[key]
    if isinstance(default, dict) and isinstance(value, dict):
        return {**default, **value}
    return default if value is None else value
