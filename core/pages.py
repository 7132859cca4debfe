"""Core pages: the start page, the API reference and the language switch."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core import desks, i18n
from core.permissions import PUBLIC
from core.web.middleware import LANGUAGE_COOKIE
from core.web.routing import page_route, safe_next
from core.web.templating import render


async def home(request: Request) -> Response:
    """Each person lands on their own work: the home their desk declares for what they
    may do at their site (``core.desks.home_url``), else their own tasks; the start page
    for visitors and for people with neither."""
    target = await home_of(request)
    if target is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "core/home.html")


async def home_of(request: Request) -> str | None:
    """Where ``/`` sends the signed-in reader (the site: their first, as the menu's)."""
    site = getattr(request.state, "nav_site", None)
    if getattr(request.state, "user", None) is None or site is None:
        return None
    held = request.state.permissions_by_site.get(site.id, ())
    found = desks.home_url(site, held, request.app.state.host)
    if found is None and "core.task.read" in held:
        found = f"/sites/{site.code}/my-work"
    return found


async def api_docs(request: Request) -> Response:
    return render(request, "core/api_docs.html")


async def choose_language(request: Request) -> Response:
    form = await request.form()
    language = str(form.get("language", ""))
    response = RedirectResponse(safe_next(str(form.get("next", "/"))), status_code=303)
    if language in i18n.LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https")
    return response


def routes():
    return [
        page_route("/", home, permission=PUBLIC),
        page_route("/api/docs", api_docs, permission=PUBLIC),
        page_route("/language", choose_language, permission=PUBLIC, methods=["POST"]),
    ]
