"""Core pages: the start page, the API reference and the language switch."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core import i18n
from core.permissions import PUBLIC
from core.web.middleware import LANGUAGE_COOKIE
from core.web.routing import page_route, safe_next
from core.web.templating import render


async def home(request: Request) -> Response:
    return render(request, "core/home.html")


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
