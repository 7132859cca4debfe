"""Pydantic's validation errors in words a desk user reads, translated: one place for the
page forms (``core.web.forms``) and the site settings (``core.site_settings``)."""

from __future__ import annotations

from typing import Any

from core.i18n import gettext as _


def message_for(item: dict[str, Any]) -> str:
    """The message for one of ``ValidationError.errors()``' items (pydantic's own text for
    a kind not named here)."""
    kind, context = item["type"], item.get("ctx") or {}
    if kind == "missing" or (kind in ("string_too_short", "too_short") and context.get("min_length") == 1):
        return _("This field is required.")
    if kind in ("bool_parsing", "bool_type"):
        return _("Choose yes or no.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("float_parsing", "float_type", "decimal_parsing", "decimal_type"):
        return _("Enter a number.")
    if kind in ("greater_than_equal", "greater_than"):
        return _("Enter at least %(limit)s.", limit=context.get("ge", context.get("gt")))
    if kind in ("less_than_equal", "less_than"):
        return _("Enter at most %(limit)s.", limit=context.get("le", context.get("lt")))
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_type"):
        return _("Enter a date such as 2026-12-25.")
    if kind == "literal_error":
        return _("Choose one of the offered values.")
    if kind == "string_pattern_mismatch":
        return _("This value has the wrong form.")
    if kind in ("list_type", "tuple_type"):
        return _("Enter a list.")
    if kind == "too_long":
        return _("Enter at most %(count)s entries.", count=context.get("max_length"))
    if kind == "string_too_long":
        return _("Enter at most %(count)s characters.", count=context.get("max_length"))
    if kind == "string_too_short":
        return _("Enter at least %(count)s characters.", count=context.get("min_length"))
    if kind == "value_error":
        return str(context.get("error") or item["msg"])
    return str(item["msg"])
