"""Values every template can use, computed per request."""

from __future__ import annotations

from starlette.requests import Request

from core import __version__, i18n
from core.web.access import can


def visible_menu(request: Request) -> list:
    site = getattr(request.state, "site", None)
    site_code = getattr(site, "code", None) or getattr(request.state, "default_site_code", None)
    items = []
    for item in request.app.state.menu_items:
        url = item.url_for_site(site_code)
        if url and can(request, item.permission):
            items.append({"label": item.label, "url": url})
    return items


def template_context(request: Request) -> dict:
    return {
        "current_language": i18n.current_language(),
        "menu": visible_menu(request),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "user": getattr(request.state, "user", None),
        "frontdesk_version": __version__,
        "demo_password_in_use": getattr(request.state, "demo_password_in_use", False),
        # The bell: unread in-app notices (None where no page preparer counted them).
        "unread_notices": getattr(request.state, "unread_notices", None),
        "bell_site": getattr(getattr(request.state, "site", None), "code", None)
        or getattr(request.state, "default_site_code", None),
    }
