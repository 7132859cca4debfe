"""The main navigation of a page: core's entries, then one group per desk the site uses,
then administration; only what the reader may use, and exactly one entry current.

The site the navigation is about is the page's site, else the reader's first site
(``request.state.nav_site``, set by ``core.web.routing.prepare_navigation``). A desk's
entries (URLs under ``/sites/{site}/<desk>/``) are shown only where the site uses the desk
(``core.desks``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from core import desks
from core.i18n import gettext as _
from core.menu import ADMIN_ORDER, MenuItem
from core.permissions import AUTHENTICATED, PUBLIC
from core.web.access import can


def _site_of(request: Request) -> Any:
    state = request.state
    return getattr(state, "site", None) or getattr(state, "nav_site", None)


def _may(request: Request, item: MenuItem, site: Any) -> bool:
    """An entry of a site is shown when the reader holds its permission *at that site*
    (also on pages outside any site, where ``can`` would ask about every site at once)."""
    if "{site}" not in item.url or site is None or item.permission in (PUBLIC, AUTHENTICATED):
        return can(request, item.permission)
    return item.permission in request.state.permissions_by_site.get(site.id, ())


def _matches(path: str, url: str) -> bool:
    """The page is the entry's, or below it. An entry outside any site (``/sites``, the list
    of sites) does not stand for the pages of one site."""
    target = url.split("?", 1)[0]
    if path == target:
        return True
    if target.startswith("/sites/") is False and path.startswith("/sites/"):
        return False
    prefix = target if target.endswith("/") else target + "/"
    return path.startswith(prefix)


def navigation(request: Request) -> list[dict[str, Any]]:
    """``[{"key", "label", "items": [{"label", "url", "current"}]}]``, groups without
    entries left out; at most one entry is current: the longest URL the page is at or below."""
    site = _site_of(request)
    site_code = getattr(site, "code", None) or getattr(request.state, "default_site_code", None)
    host = request.app.state.host
    in_use = {desk.key for desk in desks.enabled(site, host)} if site is not None else set()
    general: list[dict[str, Any]] = []
    by_desk: dict[str, list[dict[str, Any]]] = {}
    admin: list[dict[str, Any]] = []
    for item in request.app.state.menu_items:
        url = item.url_for_site(site_code)
        if not url or not _may(request, item, site):
            continue
        entry = {"label": item.label, "url": url, "current": False}
        desk = desks.desk_of_path(item.url, host)
        if desk is not None:
            if desk.key in in_use:
                by_desk.setdefault(desk.key, []).append(entry)
        elif item.order >= ADMIN_ORDER:
            admin.append(entry)
        else:
            general.append(entry)
    groups = [{"key": "general", "label": _("General"), "items": general}]
    groups += [{"key": desk.key, "label": desk.label, "items": by_desk[desk.key]}
               for desk in desks.declared(host) if desk.key in by_desk]
    groups.append({"key": "admin", "label": _("Administration"), "items": admin})
    groups = [group for group in groups if group["items"]]
    path = request.url.path
    matching = [entry for group in groups for entry in group["items"] if _matches(path, entry["url"])]
    if matching:
        max(matching, key=lambda entry: len(entry["url"]))["current"] = True
    return groups
