"""Access control for every route, by one mechanism: sign-in, CSRF, site, permission.

``api_route`` and ``page_route`` call ``authorize`` before their endpoint runs. For a
path with ``{site}``, the site is resolved here once, against the caller's memberships;
a site the caller does not belong to is a 404, exactly like one that does not exist.
Endpoints then reach site data only through ``site_query``/``get_in_site``, which filter
by the resolved site, so no route has to remember to.
"""

from __future__ import annotations

import hmac
from typing import Any, TypeVar

from starlette.requests import Request
from tortoise import fields
from tortoise.models import Model
from tortoise.queryset import QuerySet

from core.actors import Actor
from core.audit import services as audit
from core.entities.models import Site
from core.i18n import N_
from core.identity.principals import NO_GRANTS, Grants
from core.i18n import gettext as _
from core.permissions import AUTHENTICATED, PUBLIC
from core.problems import Problem

M = TypeVar("M", bound=Model)

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MAX_ID = 2**63 - 1  # BigIntField keys
MAX_INT_ID = 2**31 - 1  # IntField keys (PostgreSQL refuses larger values outright)

AUTH_ERRORS = {
    "malformed": N_("The Authorization header must be 'Bearer <token>'."),
    "token": N_("The token is unknown, expired or revoked."),
    "session": N_("Your session has ended. Sign in again."),
}


class SignInRequired(Problem):
    """401 that pages answer with a redirect to the sign-in page."""


async def check_csrf(request: Request, from_form: bool) -> None:
    expected = getattr(request.state, "csrf_token", "") or ""
    presented = request.headers.get("x-csrf-token", "")
    if not presented and from_form:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            presented = str((await request.form()).get("csrf_token", ""))
    # An empty expected token must never match: compare_digest("", "") is True.
    if not expected or not presented or not hmac.compare_digest(expected.encode(), presented.encode()):
        await audit.record("access.csrf_refused", actor=request.state.user,
                           client_address=request.state.client_address,
                           note=f"{request.method} {request.url.path}"[:500])
        raise Problem(403, _("The form or request is missing its security token. Reload the page and try again."))


async def authorize(request: Request, permission: str, *, is_page: bool = False) -> None:
    state = request.state
    user = getattr(state, "user", None)
    if request.method in UNSAFE_METHODS and (state.auth_method == "session" or is_page):
        await check_csrf(request, from_form=is_page)
    if permission == PUBLIC and "site" not in request.path_params:
        return
    if user is None:
        detail = _(AUTH_ERRORS.get(state.auth_error or "", "Sign in first."))
        raise SignInRequired(401, detail, headers={"WWW-Authenticate": "Bearer"})
    site_code = request.path_params.get("site")
    if site_code is not None:
        site = await resolve_site(request, str(site_code))
        granted = state.permissions_by_site.get(site.id, set())
        state.permissions = granted
    else:
        # A route at no one site is let in when the permission is held at *some* site
        # (or by a super-administrator); that says nothing about any record. Services
        # scope each record by ``actor.sites_with(...)``, so no decision sees the union.
        granted = any_site(state.permissions_by_site)
        state.permissions = frozenset()
        if getattr(user, "is_superadmin", False):
            return
    if permission in (PUBLIC, AUTHENTICATED) or permission in granted:
        return
    await audit.record("access.denied", actor=user, site_id=getattr(getattr(state, "site", None), "id", None),
                       client_address=state.client_address, note=f"{request.method} {request.url.path} needs {permission}"[:500])
    raise Problem(403, _("You do not have the permission this needs (%(permission)s).", permission=permission))


async def _site_by_code(request: Request, code: str) -> Site | None:
    """Sites are read on nearly every request and change rarely: each process keeps them,
    and every change reaches it (``core.entities.site_cache``)."""
    return await request.app.state.site_cache.get(code)


def forget_site(request: Request, code: str) -> None:
    """Drop a site from this app's cache at once (the change's own notice follows)."""
    request.app.state.site_cache.forget(code)


async def resolve_site(request: Request, code: str) -> Site:
    """The site named in the path, if the caller is a member; else 404."""
    member_of = request.state.permissions_by_site
    site = await _site_by_code(request, code) if member_of else None
    if site is None or site.id not in member_of:
        raise Problem(404, _("No site %(code)s.", code=code))
    request.state.site = site
    return site


def can(request: Request, permission: str) -> bool:
    """Whether the current request may use ``permission`` (to show links and buttons).

    At a site (``/sites/{site}/...``) it asks about that site, elsewhere about any site.
    """
    if permission == PUBLIC:
        return True
    state = request.state
    if getattr(state, "user", None) is None:
        return False
    if permission == AUTHENTICATED:
        return True
    site = getattr(state, "site", None)
    if site is not None:
        return permission in state.permissions_by_site.get(site.id, set())
    if getattr(state.user, "is_superadmin", False) and permission in global_permissions(request.app):
        return True
    return permission in any_site(state.permissions_by_site)


def any_site(by_site) -> frozenset[str]:
    """What the caller holds at some site: computed once per user by ``Grants``."""
    found = getattr(by_site, "any_site", None)
    return found if found is not None else frozenset().union(*by_site.values()) if by_site else frozenset()


def global_permissions(app) -> frozenset[str]:
    """The permissions routes at no one site need: what a super-administrator holds without
    a membership (desk work at a site still needs one there)."""
    found = getattr(app.state, "global_permissions", None)
    if found is None:
        found = frozenset(getattr(route, "permission", "") for route in app.routes
                          if "{site}" not in getattr(route, "path", "{site}"))
        app.state.global_permissions = found
    return found


def actor_of(request: Request) -> Actor:
    """The signed-in user as services see them: at the request's site (if any), with the
    permissions granted there and at each of their sites, from the client's address."""
    state = request.state
    by_site = getattr(state, "permissions_by_site", None) or NO_GRANTS
    if not isinstance(by_site, Grants):
        by_site = Grants({site_id: frozenset(granted) for site_id, granted in by_site.items()})
    permissions = getattr(state, "permissions", None) or frozenset()
    return Actor(user=getattr(state, "user", None), site=getattr(state, "site", None),
                 permissions=permissions if isinstance(permissions, frozenset) else frozenset(permissions),
                 client_address=getattr(state, "client_address", "") or "", permissions_by_site=by_site)


def current_site(request: Request) -> Site:
    site = getattr(request.state, "site", None)
    if site is None:
        raise RuntimeError("current_site() on a route without {site} in its path")
    return site


def site_query(request: Request, model: type[M]) -> QuerySet[M]:
    """``model``'s rows at the request's site: the only way site data should be read."""
    return model.filter(site_id=current_site(request).id)


async def get_in_site(request: Request, model: type[M], object_id: Any, what: str = "") -> M:
    """One row of the request's site by id; another site's id is a 404 like a missing one."""
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        raise Problem(404, _("Not found")) from None
    largest = MAX_ID if isinstance(model._meta.pk, fields.BigIntField) else MAX_INT_ID
    if not 0 < object_id <= largest:  # beyond the key's range no row can exist; don't ask the database
        raise Problem(404, _("No %(what)s with id %(id)s here.", what=what or model.__name__.lower(), id=object_id))
    instance = await site_query(request, model).get_or_none(id=object_id)
    if instance is None:
        raise Problem(404, _("No %(what)s with id %(id)s here.", what=what or model.__name__.lower(), id=object_id))
    return instance
