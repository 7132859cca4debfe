"""Core pages: the start page, the API reference and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core import i18n
from core.permissions import PUBLIC
from core.web.middleware import LANGUAGE_COOKIE
from core.web.routing import page_route


def render(request: Request, template: str, context: dict | None = None, status_code: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, template, context or {}, status_code=status_code)


async def home(request: Request) -> Response:
    return render(request, "core/home.html")


async def api_docs(request: Request) -> Response:
    return render(request, "core/api_docs.html")


def safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would let a link send users anywhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


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
