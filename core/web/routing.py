"""HTML page routes that declare the permission they need."""

from __future__ import annotations

import time
from typing import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.web.inputs import quiet_out_of_range, refuse_control_characters, refuse_unnameable_path


DEMO_CHECK_SECONDS = 30


async def demo_warning(app) -> bool:
    """Whether demo accounts still have the published password (re-checked every 30 s)."""
    from core.identity.models import User

    checked_at, value = getattr(app.state, "demo_warning", (0.0, False))
    if time.monotonic() - checked_at > DEMO_CHECK_SECONDS:
        value = await User.filter(has_demo_password=True, is_active=True).exists()
        app.state.demo_warning = (time.monotonic(), value)
    return value


async def first_site_code(request: Request) -> str | None:
    """The code of the user's first site (by code), for menu links outside any site."""
    from core.entities.models import Site

    if not request.state.permissions_by_site:
        return None
    # Joined through the memberships, not ``id IN (every site)``: a manager of 300 sites
    # must not send 300 parameters with every page.
    codes = await (Site.filter(memberships__user_id=request.state.user.id).order_by("code").limit(1)
                   .values_list("code", flat=True))
    return codes[0] if codes else None


async def prepare_navigation(request: Request, route_path: str) -> None:
    """The site the navigation is about (this page's, else the user's first) for the
    layout, and a 404 for a page of a desk that site does not use (``core.desks``)."""
    from core import desks

    site = getattr(request.state, "site", None)
    if site is not None:
        desks.refuse_if_off(site, route_path, request.app.state.host)
    elif getattr(request.state, "default_site_code", None):
        site = await request.app.state.site_cache.get(request.state.default_site_code)
    request.state.nav_site = site


def page_route(
    path: str,
    endpoint: Callable[[Request], Awaitable[Response]],
    *,
    permission: str,
    methods: list[str] | None = None,
    name: str | None = None,
) -> Route:
    """A page route; access (sign-in, site membership, permission) is checked first.

    Pages of a site live under ``/sites/{site}/...`` and are resolved against the user's
    memberships by the same mechanism as the API (``core.web.access``).
    """

    async def handle(request: Request) -> Response:
        from core.web.access import authorize
        refuse_unnameable_path(request)
        await authorize(request, permission, is_page=True)
        # Every query string and form post of every page, whichever way its handler reads
        # them (form_action, form_strings or request.form()): a 422 page naming the field.
        await refuse_control_characters(request)
        request.state.demo_password_in_use = await demo_warning(request.app)
        if getattr(request.state, "site", None) is None and getattr(request.state, "user", None) is not None:
            request.state.default_site_code = await first_site_code(request)
        await prepare_navigation(request, path)
        # What features compute for every page's layout (the bell's unread count): set by
        # their plugins at start-up, so core.web does not import them.
        for prepare in getattr(request.app.state, "page_preparers", ()):
            await prepare(request)
        with quiet_out_of_range(request):
            return await endpoint(request)

    route = Route(path, handle, methods=methods or ["GET"], name=name or f"{endpoint.__module__}.{endpoint.__name__}")
    route.permission = permission  # type: ignore[attr-defined]
    route.page_endpoint = endpoint  # type: ignore[attr-defined]
    return route


def safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would let a link send users anywhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target
