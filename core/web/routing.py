"""HTML page routes that declare the permission they need."""

from __future__ import annotations

from typing import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


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

        await authorize(request, permission)
        return await endpoint(request)

    route = Route(path, handle, methods=methods or ["GET"], name=name or f"{endpoint.__module__}.{endpoint.__name__}")
    route.permission = permission  # type: ignore[attr-defined]
    route.page_endpoint = endpoint  # type: ignore[attr-defined]
    return route
