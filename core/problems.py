"""Failures a caller can understand: ``Problem`` (status, title, detail, extra members).

Services raise these; they know nothing of HTTP frameworks, so this module imports no
Starlette (an import-linter contract holds it). ``core.web.problems`` turns a Problem
into ``application/problem+json`` (RFC 9457) for the API or an error page for people.
"""

from __future__ import annotations

from typing import Any

from core.i18n import N_
from core.i18n import gettext as _

TITLES = {
    400: N_("Malformed request"),
    401: N_("Not authenticated"),
    403: N_("Not permitted"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    413: N_("Request too large"),
    415: N_("Unsupported media type"),
    422: N_("Invalid field"),
    429: N_("Too many requests"),
    500: N_("Internal error"),
    503: N_("Service unavailable"),
}


class Problem(Exception):
    """A failure the caller can understand: status, title, detail and extra members.

    ``errors`` lists ``{"field", "message"}`` for validation problems; ``extra`` adds
    members such as ``allowed`` (legal transitions) or ``current`` (a record's state).
    """

    def __init__(
        self,
        status: int,
        detail: str = "",
        *,
        title: str | None = None,
        type_: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail or title or TITLES.get(status, ""))
        self.status = status
        self.title = title or _(TITLES.get(status, "Error"))
        self.detail = detail or self.title
        self.type = type_ or "about:blank"
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail}
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


def invalid(field: str, message: str) -> Problem:
    """A 422 naming one field."""
    return Problem(422, _("%(field)s: %(message)s", field=field, message=message),
                   errors=[{"field": field, "message": message}])
