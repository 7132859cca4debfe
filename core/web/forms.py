"""HTML forms on server-rendered pages: strings in, schema-checked values out, and one
message per field to re-show the form with.

Pages validate with the same pydantic schemas as the API, but people read the messages,
so Pydantic's English ones are replaced by translated ones for the usual error types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from core.i18n import gettext as _
from core.problems import Problem

#: A form field longer than this is cut before validation (the schemas set the real limits).
MAX_FIELD_CHARS = 10_000


@dataclass
class FormErrors:
    """Messages by field name, plus messages that belong to no field."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


def who(request: Request) -> dict:
    """The keyword arguments with which services audit a change: who, from where."""
    return {"actor": request.state.user, "client_address": request.state.client_address}


async def form_strings(request: Request, names: list[str]) -> dict[str, str]:
    """The named form fields as stripped strings ("" when absent)."""
    form = await request.form()
    return {name: str(form.get(name, ""))[:MAX_FIELD_CHARS].strip() for name in names}


def _message(item: dict[str, Any], name: str) -> str:
    kind, context = item["type"], item.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and context.get("min_length") == 1):
        return _("This field is required.")
    if kind == "string_too_short":
        return _("Enter at least %(count)s characters.", count=context.get("min_length"))
    if kind == "string_too_long":
        return _("Enter at most %(count)s characters.", count=context.get("max_length"))
    if kind == "too_long":
        return _("Enter at most %(count)s entries.", count=context.get("max_length"))
    if kind == "literal_error":
        return _("Choose one of the offered values.")
    if kind == "string_pattern_mismatch" and name == "email":
        return _("Enter an e-mail address such as name@example.com.")
    if kind == "string_pattern_mismatch":
        return _("This value has the wrong form.")
    if kind in ("int_parsing", "int_type"):
        return _("Enter a whole number.")
    return str(item["msg"])


def validate(schema: type[BaseModel], data: dict[str, Any],
             hidden: tuple[str, ...] = ("version",)) -> tuple[Any, FormErrors]:
    """``schema`` built from ``data``, or None and the messages by field.

    A bad ``hidden`` field was not typed by the user, so it gets one message on top.
    """
    try:
        return schema.model_validate(data), FormErrors()
    except ValidationError as error:
        errors = FormErrors()
        for item in error.errors(include_url=False):
            name = str(item["loc"][0]) if item["loc"] else ""
            if name in hidden or name not in data:
                message = _("The form is incomplete or outdated. Reload the page and try again.")
                if message not in errors.general:
                    errors.general.append(message)
            elif name not in errors.fields:
                errors.fields[name] = _message(item, name)
        return None, errors


def problem_errors(problem: Problem, known_fields: list[str] | tuple[str, ...] = ()) -> FormErrors:
    """A service's Problem as messages: next to the fields it names, else on top."""
    errors = FormErrors()
    for item in problem.errors or []:
        if item.get("field") in known_fields:
            errors.fields.setdefault(item["field"], item["message"])
    if not errors.fields:
        errors.general.append(problem.detail)
    elif problem.status == 409:
        errors.general.append(problem.detail)  # "Unit A-0101 exists already" reads better than "taken" alone
    return errors


# --- Simple offset pagination for pages (the API uses cursors) ------------------------------


def page_number(request: Request) -> int:
    try:
        return max(1, min(int(request.query_params.get("page", "1")), 100_000))
    except ValueError:
        return 1


async def offset_page(queryset, page: int, size: int) -> tuple[list, bool]:
    """Rows of page ``page`` (from 1) and whether another page follows."""
    rows = await queryset.offset((page - 1) * size).limit(size + 1)
    return rows[:size], len(rows) > size


def page_links(path: str, filters: dict[str, str], page: int, more: bool) -> dict[str, str | None]:
    """URLs of the previous and next page, keeping the filters."""
    kept = {key: value for key, value in filters.items() if value}

    def link(number: int) -> str:
        query = urlencode({**kept, "page": number} if number > 1 else kept)
        return f"{path}?{query}" if query else path

    return {"previous": link(page - 1) if page > 1 else None, "next": link(page + 1) if more else None}
