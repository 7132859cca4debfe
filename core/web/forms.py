"""HTML forms on server-rendered pages: strings in, schema-checked values out, and one
message per field to re-show the form with.

Pages validate with the same pydantic schemas as the API, but people read the messages,
so Pydantic's English ones are replaced by translated ones for the usual error types.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.i18n import gettext as _
from core.validation import message_for
from core.problems import Problem, invalid

#: A form field longer than this is cut before validation (the schemas set the real limits).
MAX_FIELD_CHARS = 10_000
#: A password field longer than this is cut (the password rules refuse far shorter ones).
MAX_PASSWORD_CHARS = 1024
#: Digits a whole number typed in a form may have: enough for any id, count or version,
#: and every such number fits a BigIntField (and is far below what ``int()`` refuses).
MAX_INT_DIGITS = 18


@dataclass
class FormErrors:
    """Messages by field name, plus messages that belong to no field."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


async def form_strings(request: Request, names: list[str]) -> dict[str, str]:
    """The named form fields as stripped strings ("" when absent)."""
    form = await request.form()
    return {name: str(form.get(name, ""))[:MAX_FIELD_CHARS].strip() for name in names}


async def form_passwords(request: Request, names: Sequence[str]) -> list[str]:
    """The named password fields as typed: not stripped, since spaces may belong to a
    password, and never part of the values a form is re-shown with."""
    form = await request.form()
    return [str(form.get(name, ""))[:MAX_PASSWORD_CHARS] for name in names]


def form_int(source: Mapping[str, Any] | str | None, field: str, *, required: bool = False,
             signed: bool = False, message: str | None = None, hidden: bool = False,
             lenient: bool = False) -> int | None:
    """The whole number in form field ``field``: ``source`` is the form's values, or the
    field's text itself.

    Only ASCII digits count (``"²".isdigit()`` is True, but ``int("²")`` fails), with a
    leading "-" when ``signed``, at most ``MAX_INT_DIGITS`` of them. A blank field is None,
    or when ``required`` a 422; anything else a 422 naming ``field`` (``message``, else
    "Enter a whole number."), which ``form_action`` re-shows the form with. A ``hidden``
    field (a version the page filled in) was not typed, so its message says to reload the
    page. ``lenient`` (a query string's filter) makes a bad value None, as if not given.
    """
    text = str((source.get(field) if isinstance(source, Mapping) else source) or "").strip()
    digits = text[1:] if signed and text.startswith("-") else text
    if digits and len(digits) <= MAX_INT_DIGITS and digits.isascii() and digits.isdigit():
        return int(text)
    if lenient or (not text and not required):
        return None
    if hidden:
        message = message or _("The form is incomplete or outdated. Reload the page and try again.")
    raise invalid(field, message or (_("This field is required.") if not text else _("Enter a whole number.")))


def _message(item: dict[str, Any], name: str) -> str:
    """``core.validation``'s message, with an example where the field is an e-mail address."""
    if item["type"] == "string_pattern_mismatch" and name == "email":
        return _("Enter an e-mail address such as name@example.com.")
    return message_for(item)


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


def problem_errors(problem: Problem, known_fields: Sequence[str] = (),
                   aliases: dict[str, str] | None = None) -> FormErrors:
    """A service's Problem as messages: next to the fields it names, else on top.
    ``aliases`` maps a field name the service uses (``fields.vehicle``, ``password``) to
    the form's (``vehicle``, ``new``)."""
    errors = FormErrors()
    elsewhere = []
    for item in problem.errors or []:
        name = (aliases or {}).get(item.get("field", ""), item.get("field"))
        if name in known_fields:
            # Every rule a value breaks (a password's length and likeness to the username),
            # not only the first, so one correction can fix them all.
            errors.fields[name] = " ".join(filter(None, (errors.fields.get(name), item["message"])))
        else:
            elsewhere.append(item["message"])
    if problem.status == 409 or not problem.errors:
        errors.general.append(problem.detail)  # "Unit A-0101 exists already" reads better than "taken" alone
    # A message about a field the page does not show goes on top (without the field's
    # internal name, which the detail of ``invalid`` starts with) rather than vanish.
    errors.general.extend(message for message in elsewhere
                          if message not in errors.general and not (errors.general and message in problem.detail))
    return errors


# --- One page form's POST ------------------------------------------------------------------

#: Re-renders the form's page: ``page(errors, values, status_code)``.
PageRenderer = Callable[[FormErrors, dict[str, str], int], Awaitable[Response]]


def changed_meanwhile(status: int, values: dict[str, str], record: Any) -> bool:
    """Whether an edit form was refused because someone saved ``record`` after the form
    was read: a 409 and an older ``version`` than the record's (services re-read the
    record before refusing a stale write). Its page then shows the record as it is now."""
    return status == 409 and values.get("version", "") != str(record.version)


def _without_empty_optionals(schema: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """An HTML form sends "" for a field left blank; for an optional field that means
    "not given" (the schema's default), not an empty value its pattern must match."""
    fields = schema.model_fields
    return {name: value for name, value in data.items()
            if value != "" or name not in fields or fields[name].is_required()}


async def form_action(request: Request, *, fields: Sequence[str], act: Callable[[Any], Awaitable[Any]],
                      page: PageRenderer, success_url: str | Callable[[Any], str],
                      schema: type[BaseModel] | None = None,
                      prepare: Callable[[dict[str, str]], Any] | None = None,
                      hidden: tuple[str, ...] = ("version",), beside: Sequence[str] | None = None,
                      aliases: dict[str, str] | None = None, keep_blank: bool = False) -> Response:
    """Run one page form's POST the same way on every page.

    Reads ``fields`` (stripped, cut), turns them into the service's input with
    ``prepare`` (sync or async, may raise a Problem) and checks that with ``schema``, then
    calls ``act`` (one service call) with the schema's model, or the prepared dict when
    there is no schema. Success redirects (303, so a reload does not post again) to
    ``success_url``, or to ``success_url(result)``. A bad form is re-shown by ``page`` with
    422, a Problem from ``prepare`` or the service with its own status (403, 409, 422...),
    both with the messages beside the fields named in ``beside`` (default: every field but
    the ``hidden`` ones), the others on top, and the submitted values kept. ``aliases``
    maps a field name the service uses (``fields.vehicle``) to the form's (``vehicle``).
    A blank optional field counts as not given, unless ``keep_blank``: an edit form shows
    every field with its value, so there a field left blank means "empty it".
    """
    values = await form_strings(request, list(fields))
    known = [name for name in fields if name not in hidden] if beside is None else list(beside)
    try:
        data: Any = prepare(dict(values)) if prepare is not None else dict(values)
        if inspect.isawaitable(data):
            data = await data
        if schema is not None:
            data, errors = validate(schema, data if keep_blank else _without_empty_optionals(schema, data), hidden)
            if data is None:
                # A message for a field the page does not show beside it goes on top.
                for name in [name for name in errors.fields if name not in known]:
                    errors.general.append(errors.fields.pop(name))
                return await page(errors, values, 422)
        result = await act(data)
    except Problem as problem:
        return await page(problem_errors(problem, known, aliases), values, problem.status)
    return RedirectResponse(success_url(result) if callable(success_url) else success_url, status_code=303)


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
