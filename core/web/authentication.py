"""Who is calling: a bearer token, the session cookie, or nobody.

Resolved once per request by a pure ASGI middleware into ``request.state``:
``user``, ``auth_method`` ("token", "session" or None), ``session``/``token``,
``auth_error`` (why presented credentials were refused), ``csrf_token`` and
``permissions_by_site`` (a ``core.identity.principals.Grants``). The sign-in and the
permissions come from the app's ``PrincipalCache``: no query while nothing changed.
Access decisions are taken later, per route, in ``core.web.access``.
"""

from __future__ import annotations

import ipaddress
import secrets

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.identity.principals import NO_GRANTS
from core.identity.sessions import csrf_token_for, load_session, load_token

SESSION_COOKIE = "frontdesk_session"
ANONYMOUS_CSRF_COOKIE = "frontdesk_csrf"


def client_address(connection: HTTPConnection) -> str:
    """The caller's address. ``X-Forwarded-For`` counts only when the direct peer is a
    configured trusted proxy; then the right-most address that is not a trusted proxy
    wins (the left-most entries are whatever the client wrote)."""
    peer = connection.client.host if connection.client else ""
    trusted = connection.app.state.trusted_proxy_networks
    if not peer_is_trusted_proxy(connection.scope):
        return peer
    forwarded = connection.headers.get("x-forwarded-for", "")
    for candidate in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if not _in_networks(candidate, trusted):
            return candidate[:64]
    return peer


def peer_is_trusted_proxy(scope: Scope) -> bool:
    """Whether the direct peer is a configured trusted proxy: the one decision behind
    believing ``X-Forwarded-For`` here and ``X-Forwarded-Proto`` in
    ``core.web.middleware.ProxySchemeMiddleware``."""
    trusted = scope["app"].state.trusted_proxy_networks
    client = scope.get("client")
    return bool(trusted and client and _in_networks(client[0], trusted))


def _in_networks(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def parse_trusted_proxies(values: list[str]):
    return [ipaddress.ip_network(value, strict=False) for value in values]


def csrf_serializer(app) -> URLSafeSerializer:
    return URLSafeSerializer(app.state.secret_key, salt="frontdesk-anonymous-csrf")


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        app = scope["app"]
        state = scope.setdefault("state", {})
        state.update(user=None, auth_method=None, session=None, token=None, auth_error=None,
                     permissions_by_site=NO_GRANTS, csrf_token="")
        state["client_address"] = client_address(connection)
        new_anonymous_csrf: str | None = None
        principals = app.state.principals

        authorization = connection.headers.get("authorization")
        if authorization is not None:
            scheme, _, secret = authorization.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                state["auth_error"] = "malformed"
            elif (token := await load_token(secret.strip(), principals)) is None:
                state["auth_error"] = "token"
            else:
                state.update(user=token.user, auth_method="token", token=token)
        elif cookie := connection.cookies.get(SESSION_COOKIE):
            session = await load_session(app.state.settings, cookie, principals)
            if session is None:
                state["auth_error"] = "session"
            else:
                state.update(user=session.user, auth_method="session", session=session,
                             csrf_token=csrf_token_for(app.state.secret_key, cookie))

        if state["user"] is not None:
            state["permissions_by_site"] = await principals.grants(state["user"].id)
        elif state["auth_method"] is None:
            # Forms shown before sign-in (the sign-in form itself) need a CSRF token too:
            # a random one, in a cookie signed with the secret key.
            serializer = csrf_serializer(app)
            try:
                state["csrf_token"] = serializer.loads(connection.cookies.get(ANONYMOUS_CSRF_COOKIE, ""))
            except BadSignature:
                new_anonymous_csrf = secrets.token_urlsafe(32)
                state["csrf_token"] = new_anonymous_csrf

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and new_anonymous_csrf:
                headers = MutableHeaders(scope=message)
                secure = "; Secure" if scope.get("scheme") == "https" else ""
                value = csrf_serializer(app).dumps(new_anonymous_csrf)
                headers.append("set-cookie", f"{ANONYMOUS_CSRF_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax{secure}")
            await send(message)

        await self.app(scope, receive, send_with_cookie)
