"""Errors as ``application/problem+json`` (RFC 9457) for the API, pages for people.

Services raise ``core.problems.Problem`` (or a subclass); the handlers here turn it into
the response the caller expects. Nothing here ever shows a traceback.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from core.i18n import gettext as _
from core.problems import TITLES, Problem

log = logging.getLogger("frontdesk.web")

PROBLEM_MEDIA_TYPE = "application/problem+json"
JSON_PATHS_OUTSIDE_API = ("/healthz", "/readyz", "/metrics")


def problem_response(problem: Problem) -> JSONResponse:
    return JSONResponse(problem.body(), status_code=problem.status, media_type=PROBLEM_MEDIA_TYPE,
                        headers=problem.headers)


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/") or request.url.path in JSON_PATHS_OUTSIDE_API:
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


async def render_error_page(request: Request, status: int, detail: str, headers: dict | None = None,
                            incident: str = "") -> Response:
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "title": _(TITLES.get(status, "Error")), "detail": detail, "incident": incident},
        status_code=status,
        headers=headers,
    )


async def handle_problem(request: Request, problem: Problem) -> Response:
    if wants_json(request):
        return problem_response(problem)
    if problem.status == 401 and request.method == "GET":
        # A page that needs sign-in sends the browser to the sign-in form and back.
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    return await render_error_page(request, problem.status, problem.detail, problem.headers,
                                   incident=str(problem.extra.get("incident", "")))


async def handle_http_exception(request: Request, error: HTTPException) -> Response:
    problem = Problem(error.status_code, _(TITLES.get(error.status_code, "Error")) if error.detail in (None, "") or error.detail == _default_phrase(error.status_code) else str(error.detail),
                      headers=dict(error.headers or {}))
    return await handle_problem(request, problem)


def _default_phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _is_out_of_range(error: Exception) -> bool:
    """A number the database cannot hold (SQLite's OverflowError, PostgreSQL's
    numeric_value_out_of_range), reaching the driver from a request field."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OverflowError) or getattr(error, "sqlstate", None) == "22003":
            return True
        error = error.__cause__ or error.__context__
    return False


def out_of_range_problem(request: Request, error: Exception) -> Problem | None:
    """The answer to a number the database cannot hold, or None for any other error.

    Bad input, not a server fault: a safety net under the schemas' own limits. An id in
    the path too large for its key names nothing: that is a 404, not a bad field. The
    route wrappers (``core.web.inputs.quiet_out_of_range``) raise it as a Problem, which
    Starlette answers quietly; answered only here, in the handler of last resort, the
    error would still be re-raised to the server (a logged traceback, a dropped connection).
    """
    if not _is_out_of_range(error):
        return None
    if any(isinstance(value, int) and value > 2**31 - 1 for value in request.path_params.values()):
        return Problem(404, _("Not found"))
    return Problem(422, _("A number in the request is out of range."))


def _is_statement_timeout(error: Exception) -> bool:
    """PostgreSQL cancelled a statement that ran past ``statement_timeout`` (57014)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if getattr(error, "sqlstate", None) == "57014":
            return True
        error = error.__cause__ or error.__context__
    return False


#: SQLSTATEs of a database that is not there to answer: connection exceptions (class 08),
#: and a server shutting down, crashed or starting (57P01-57P03).
UNREACHABLE_SQLSTATES = ("57P01", "57P02", "57P03")


def _database_unreachable(error: Exception) -> bool:
    """The database could not be reached or dropped the connection (a restart, a failover),
    as opposed to a bug: the request may be tried again."""
    from tortoise.exceptions import DBConnectionError

    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        state = str(getattr(error, "sqlstate", "") or "")
        # 55000 "database is not currently accepting connections": closed for maintenance.
        closed = state == "55000" and "accepting connections" in str(error)
        if isinstance(error, (DBConnectionError, ConnectionError)) or state.startswith("08") or closed \
                or state in UNREACHABLE_SQLSTATES or type(error).__name__ in (
                    "ConnectionDoesNotExistError", "CannotConnectNowError", "InterfaceError",
                    # asyncpg on a pooled connection the server terminated in the middle of
                    # its protocol ("cannot switch to state ..."): seen once in an outage test
                    # under load; the connection is broken, the request may be tried again.
                    "InternalClientError"):
            return True
        error = error.__cause__ or error.__context__
    return False


def incident_id(request: Request) -> str:
    """The request id (``core.web.metrics``) names the incident: the log line, the page
    and the problem carry the same one."""
    return str(request.scope.get("state", {}).get("request_id", "")) or "-"


async def handle_unexpected(request: Request, error: Exception) -> Response:
    if (problem := out_of_range_problem(request, error)) is not None:
        return await handle_problem(request, problem)
    incident = incident_id(request)
    if isinstance(error, ClientDisconnect):
        log.info("client went away before the request was read")
        return Response(status_code=400)  # nobody is left to read it
    if _is_statement_timeout(error):
        log.warning("incident %s: a database statement ran past statement_timeout_ms on %s %s",
                    incident, request.method, request.url.path, extra={"incident": incident})
        problem = Problem(503, _("The database took too long to answer. Try again in a moment."),
                          headers={"Retry-After": "5"}, incident=incident)
        return await handle_problem(request, problem)
    if _database_unreachable(error):
        log.error("incident %s: the database could not be reached on %s %s: %s", incident, request.method,
                  request.url.path, error, extra={"incident": incident})
        problem = Problem(503, _("The database cannot be reached just now. Try again in a moment."),
                          headers={"Retry-After": "5"}, incident=incident)
        return await handle_problem(request, problem)
    # Logged with its traceback for the operator; the user sees a plain message and the
    # incident id to quote.
    log.error("incident %s: unhandled error on %s %s", incident, request.method, request.url.path,
              exc_info=error, extra={"incident": incident})
    problem = Problem(500, _("Something went wrong on our side. The error was logged."), incident=incident)
    return await handle_problem(request, problem)
