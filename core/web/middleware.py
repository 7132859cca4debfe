"""Pure ASGI middleware that every request passes through, outermost first.

Pure ASGI (not ``BaseHTTPMiddleware``) so that streaming responses (server-sent events)
and context variables flow through untouched.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.datastructures import URL, MutableHeaders
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise.context import _current_context

from core import i18n, logs
from core.i18n import gettext as _
from core.problems import Problem
from core.web.authentication import peer_is_trusted_proxy
from core.web.problems import problem_response

LANGUAGE_COOKIE = "frontdesk_lang"


class DatabaseContextMiddleware:
    """Bind this app's Tortoise context to the request.

    Tortoise 1.x resolves connections through a context variable. Uvicorn runs requests
    in tasks that do not inherit the lifespan's context, and the tests run several apps
    (each with its own database) in one process, so each request names its app's
    context explicitly instead of relying on a process-wide global.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        context = getattr(scope["app"].state, "db_context", None) if scope["type"] != "lifespan" else None
        if context is None:
            await self.app(scope, receive, send)
            return
        token = _current_context.set(context)
        try:
            await self.app(scope, receive, send)
        finally:
            _current_context.reset(token)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            cookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except Exception:
                return None
            if name in cookie:
                return cookie[name].value
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _site_code(scope: Scope) -> str:
    """The site code of a ``/sites/{code}/...`` or ``/api/v1/sites/{code}/...`` path, else ""."""
    parts = scope.get("path", "").split("/")
    return "".join(parts[2:3]) if parts[1:2] == ["sites"] else "".join(parts[4:5]) if parts[1:4] == ["api", "v1", "sites"] else ""


async def _site_language(scope: Scope, default: str) -> str:
    """The default language of the site a request is at (``/sites/{code}/...`` or
    ``/api/v1/sites/{code}/...``) when the signed-in caller is a member there, else
    ``default``. Read through the sites cache of ``core.web.access``."""
    from core.entities.services import SITE_CODE

    code = _site_code(scope)
    member_of = scope.get("state", {}).get("permissions_by_site") or {}
    if not member_of or not SITE_CODE.match(code):  # no lookup for what cannot be a site's code
        return default
    cache = getattr(scope["app"].state, "site_cache", None)
    if cache is None:
        return default
    site = await cache.get(code)
    return site.default_language if site is not None and site.id in member_of else default


class LanguageMiddleware:
    """Pick the language once per request: the signed-in user's choice, else the language
    cookie, else Accept-Language, else the default: the default language of the site the
    request is at (for its members), else the server's. Runs after authentication."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        user = scope.get("state", {}).get("user")
        # Every log line inside this request names who and where (core.logs).
        logs.set_user(getattr(user, "username", "") if user is not None else "")
        from core.entities.services import SITE_CODE

        code = _site_code(scope)
        logs.set_site(code if SITE_CODE.fullmatch(code) else "")  # never a raw path (a newline, a forged line)
        choice = (user.locale if user is not None else "") or _cookie(scope, LANGUAGE_COOKIE)
        accept = _header(scope, b"accept-language")
        default = state.settings.default_language
        if choice not in i18n.LANGUAGES and not any(map(i18n.language_from_tag, i18n.parse_accept_language(accept or ""))):
            default = await _site_language(scope, default)
        language = i18n.negotiate_language(choice, accept, default)
        i18n.activate(state.catalogs, language)

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("content-language", i18n.current_language().replace("_", "-"))
            await send(message)

        await self.app(scope, receive, send_with_language)


# No inline script anywhere: every script is a file under /static. Styles allow inline
# attributes because the API reference (Swagger UI) sets them from its own code.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def _forwarded_proto(scope: Scope) -> str | None:
    """The scheme the trusted proxy says the client used: ``X-Forwarded-Proto`` (the header
    the documented nginx configuration sets, overwriting what the client sent), else the
    ``proto=`` of the last ``Forwarded`` element (the one the nearest proxy appended)."""
    value = _header(scope, b"x-forwarded-proto")
    if value is not None:
        return value.rsplit(",", 1)[-1].strip().lower() or None
    forwarded = _header(scope, b"forwarded")
    if forwarded is None:
        return None
    for pair in forwarded.rsplit(",", 1)[-1].split(";"):
        name, _sep, raw = pair.partition("=")
        if name.strip().lower() == "proto":
            return raw.strip().strip('"').lower() or None
    return None


class ProxySchemeMiddleware:
    """Believe the scheme a trusted proxy reports, so that everything after sees the
    request as the browser made it: session, CSRF and language cookies get ``Secure``,
    HSTS is sent and ``url_for`` builds https links. From any other peer the headers are
    ignored (a client could otherwise claim https over plain http)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            if peer_is_trusted_proxy(scope) and (proto := _forwarded_proto(scope)) in ("http", "https"):
                secure = proto == "https"
                if scope["type"] == "websocket":
                    scope["scheme"] = "wss" if secure else "ws"
                else:
                    scope["scheme"] = proto
        await self.app(scope, receive, send)


# Probes come from the orchestrator or load balancer on the inside, usually over plain http.
PLAIN_HTTP_PATHS = ("/healthz", "/readyz")


class RequireHttpsMiddleware:
    """With ``require_https``, a request that did not arrive over https (directly or as a
    trusted proxy reports) gets no page or data: a GET or HEAD is redirected to the same
    address on https, anything else is refused with 403, since a body sent over plain http
    has already been exposed. Runs after the language is chosen, for the message."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope.get("scheme") == "https"
                or not scope["app"].state.settings.require_https or scope["path"] in PLAIN_HTTP_PATHS):
            await self.app(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD"):
            response = RedirectResponse(str(URL(scope=scope).replace(scheme="https")), status_code=308)
        else:
            response = problem_response(Problem(403, _("This server accepts only https.")))
        await response(scope, receive, send)


class SecurityHeadersMiddleware:
    """Headers every response carries; pages and API answers are never cached by default
    because they hold personal data or money (static files may be)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith("/static/")
        secure = scope.get("scheme") == "https"
        hsts_seconds = scope["app"].state.settings.hsts_max_age_seconds

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("content-security-policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("x-content-type-options", "nosniff")
                headers.setdefault("referrer-policy", "same-origin")
                headers.setdefault("x-frame-options", "DENY")
                headers.setdefault("cross-origin-opener-policy", "same-origin")
                if not is_static:
                    headers.setdefault("cache-control", "no-store")
                if secure and hsts_seconds:
                    headers.setdefault("strict-transport-security", f"max-age={hsts_seconds}")
            await send(message)

        await self.app(scope, receive, send_with_headers)
