"""Request input that no handler should ever see, refused once for every route.

``api_route`` and ``page_route`` call these before (and around) their endpoints, so that
no input, however hostile, reaches a service or the database in a form that would end in
a 500: a control character (PostgreSQL refuses NUL in text outright), a path naming
something no row can be, or a number beyond what a column holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from core.i18n import gettext as _
from core.problems import Problem, invalid

#: No key is larger (BigIntField); ``get_in_site`` knows the narrower IntField keys.
LARGEST_ID = 2**63 - 1

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


#: C0 control characters other than tab, line feed and carriage return, and DEL: no form
#: or person types them, PostgreSQL refuses NUL in text outright, and the rest hide in
#: names and notes. Refused in every JSON body and query string, on every backend.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_character_errors(value: Any, location: str = "") -> list[dict[str, str]]:
    """``[{"field", "message"}]`` for each string (key or value) holding a control character."""
    if isinstance(value, str):
        if CONTROL_CHARACTERS.search(value):
            return [{"field": location or "body", "message": _("must not contain control characters")}]
        return []
    errors = []
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{location}.{key}" if location else str(key)
            if isinstance(key, str) and CONTROL_CHARACTERS.search(key):
                errors.append({"field": path, "message": _("must not contain control characters")})
            errors += control_character_errors(item, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            errors += control_character_errors(item, f"{location}.{index}" if location else str(index))
    return errors


def refuse_unnameable_path(request: Request) -> None:
    """404 for a path parameter that names nothing: no site, unit or room is called with
    a control character, and no id is beyond every key. Checked before access, which
    looks the site up and writes the path into the audit log."""
    for value in request.path_params.values():
        if isinstance(value, int) and not -LARGEST_ID <= value <= LARGEST_ID:
            raise Problem(404, _("Not found"))
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            raise Problem(404, _("Not found"))


def _control_character_problem(field: str) -> Problem:
    return invalid(field, _("must not contain control characters"))


async def refuse_control_characters(request: Request) -> None:
    """422 naming the first query parameter or form field (or uploaded file's name) that
    holds a control character, for every page, whatever its handler reads. Tab, line
    feed and carriage return stay allowed (``CONTROL_CHARACTERS``): text areas send them."""
    for name, value in request.query_params.multi_items():
        if CONTROL_CHARACTERS.search(name) or CONTROL_CHARACTERS.search(value):
            raise _control_character_problem(name)
    content_type = request.headers.get("content-type", "")
    if request.method != "POST" or not content_type.startswith(FORM_CONTENT_TYPES):
        return
    for name, value in (await request.form()).multi_items():
        text = (value.filename or "") if isinstance(value, UploadFile) else value
        if CONTROL_CHARACTERS.search(name) or CONTROL_CHARACTERS.search(text):
            raise _control_character_problem(name)


@contextmanager
def quiet_out_of_range(request: Request) -> Iterator[None]:
    """A number the database cannot hold, raised from the endpoint, as a Problem (404 for
    an id in the path, else 422). Left to the app's handler of last resort, Starlette
    would re-raise it to the server after answering: a traceback in the log and the
    client's keep-alive connection dropped."""
    from core.web.problems import out_of_range_problem

    try:
        yield
    except Problem:
        raise
    except Exception as error:
        problem = out_of_range_problem(request, error)
        if problem is None:
            raise
        raise problem from None
