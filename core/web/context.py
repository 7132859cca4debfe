"""Values every template can use, computed per request."""

from __future__ import annotations

from starlette.requests import Request

from core import __version__, i18n
from core.web.navigation import navigation


def template_context(request: Request) -> dict:
    groups = navigation(request)
    return {
        "current_language": i18n.current_language(),
        # Every entry the reader may use (the start page's cards), and the same in groups.
        "menu": [item for group in groups for item in group["items"]],
        "nav_groups": groups,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "user": getattr(request.state, "user", None),
        "frontdesk_version": __version__,
        "demo_password_in_use": getattr(request.state, "demo_password_in_use", False),
        # The bell: unread in-app notices (None where no page preparer counted them).
        "unread_notices": getattr(request.state, "unread_notices", None),
        "bell_site": getattr(getattr(request.state, "site", None), "code", None)
        or getattr(request.state, "default_site_code", None),
    }
