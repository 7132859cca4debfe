"""Pure ASGI middleware that every request passes through, outermost first.

Pure ASGI (not ``BaseHTTPMiddleware``) so that streaming responses (server-sent events)
and context variables flow through untouched.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise.context import _current_context

from core import i18n

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


class LanguageMiddleware:
    """Pick the language once per request: the signed-in user's choice, else the language
    cookie, else Accept-Language, else the default. Runs after authentication."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        user = scope.get("state", {}).get("user")
        choice = (user.locale if user is not None else "") or _cookie(scope, LANGUAGE_COOKIE)
        language = i18n.negotiate_language(choice, _header(scope, b"accept-language"), state.settings.default_language)
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
                if secure:
                    headers.setdefault("strict-transport-security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)
