"""Pydantic's validation errors in words a desk user reads, translated: one place for the
page forms (``core.web.forms``) and the site settings (``core.site_settings``)."""

from __future__ import annotations

from typing import Any

from core.i18n import current_language, gettext as _


def api_message(item: dict[str, Any]) -> str:
    """The ``message`` of one problem+json error: pydantic's own English where the caller
    reads English (scripts and their tests know those words), else ``message_for``'s."""
    if current_language() == "en":
        return str(item["msg"])
    return message_for(item)


def message_for(item: dict[str, Any]) -> str:
    """The message for one of ``ValidationError.errors()``' items, by its ``type``, in the
    current language; a kind not named here gets a general sentence in the user's language
    (pydantic's own text is English) unless the language is English."""
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
    if kind == "extra_forbidden":
        return _("This field is not expected here.")
    if kind in ("enum", "literal_error"):
        return _("Choose one of the offered values.")
    if kind in ("string_type", "dict_type", "model_type", "model_attributes_type"):
        return _("This value has the wrong type.")
    if kind in ("decimal_max_digits", "decimal_max_places", "decimal_whole_digits"):
        return _("Enter a number with fewer digits.")
    if kind in ("datetime_parsing", "datetime_type", "datetime_from_date_parsing", "timezone_aware"):
        return _("Enter a date and time such as 2026-12-25T09:30:00Z.")
    if kind in ("time_parsing", "time_type"):
        return _("Enter a time such as 09:30.")
    if kind in ("uuid_parsing", "uuid_type", "url_parsing", "url_type", "json_invalid"):
        return _("This value has the wrong form.")
    if kind == "multiple_of":
        return _("Enter a multiple of %(step)s.", step=context.get("multiple_of"))
    if current_language() != "en":
        return _("This value is not valid.")
    return str(item["msg"])
