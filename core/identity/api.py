"""JSON routes: API tokens, the caller, users and memberships (admin)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.actors import Actor
from core.audit import services as audit
from core.entities.models import Site
from core.i18n import gettext as _
from core.identity import services, sessions
from core.identity.models import User
from core.identity.schemas import (AuditOut, AuditPage, AuditQuery, Credentials, MeChange, MeOut, MembershipIn,
                                   PasswordIn, TokenOut, UserChange, UserDetail, UserIn, UserOut, UserPage, UserQuery)
from core.permissions import AUTHENTICATED, PUBLIC
from core.web.access import actor_of
from core.web.api import api_route
from core.web.pagination import paginate
from core.problems import Problem


def user_out(user: User) -> dict:
    return UserOut.model_validate(user, from_attributes=True).model_dump()


async def user_detail(user: User, actor: Actor, memberships: dict[int, list[dict[str, str]]] | None = None) -> dict:
    """The user as ``actor`` may see them: memberships only at sites the actor administers
    (``memberships``: those of a whole page, read at once with ``services.memberships_visible``)."""
    if memberships is None:
        memberships = await services.memberships_visible(actor, [user])
    return {
        **user_out(user), "email": user.email, "department": user.department, "extension": user.extension,
        "title": user.title, "skills": user.skills,
        "is_active": user.is_active, "is_superadmin": user.is_superadmin, "version": user.version,
        "memberships": memberships.get(user.id, []),
    }


async def create_token(request: Request, body: Credentials) -> TokenOut:
    """Exchange a username and password for a bearer token."""
    settings = request.app.state.settings
    user = await sessions.check_credentials(
        settings, body.username, body.password, request.state.client_address, secret_key=request.app.state.secret_key,
        device_cookie=request.cookies.get(sessions.DEVICE_COOKIE, ""))  # a browser app signed in before
    secret, token = await sessions.issue_token(settings, user)
    # After the token is stored: a plugin's failure (logged) never undoes the sign-in.
    await request.app.state.host.notify("on_signed_in", user=user, client_address=request.state.client_address)
    return TokenOut(token=secret, expires_at=token.expires_at, user=UserOut(**user_out(user)))


async def delete_token(request: Request) -> Response:
    """Revoke the presented bearer token; it stops working at once."""
    token = request.state.token
    if token is None:
        raise Problem(400, _("Present the token to revoke in the Authorization header."))
    await sessions.revoke_token(token, request.state.client_address)
    return Response(status_code=204)


async def me(request: Request) -> MeOut:
    """The caller, with their sites, roles and permissions there."""
    return await _me(request, request.state.user)


async def update_me(request: Request, body: MeChange) -> MeOut:
    """Change one's own extension and job title (what the staff directory shows);
    ``version`` as read makes a concurrent change a 409."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True, exclude={"version"})
    user = await services.update_own_profile(actor_of(request), changes, version=body.version)
    return await _me(request, user)


async def _me(request: Request, user: User) -> MeOut:
    roles = await services.roles_by_site(user)
    sites = await Site.filter(id__in=list(roles)).order_by("code")
    return MeOut(
        id=user.id, username=user.username, display_name=user.display_name, locale=user.locale,
        extension=user.extension, title=user.title, version=user.version,
        sites=[{"code": site.code, "name": site.name, "roles": roles[site.id],
                "permissions": sorted(request.state.permissions_by_site.get(site.id, set()))} for site in sites],
    )


async def list_users(request: Request, query: UserQuery) -> UserPage:
    """Users sharing a site where the caller manages users (all, for a super-administrator)."""
    actor = actor_of(request)
    users = services.visible_users(actor)
    if query.q:
        users = users.filter(username__icontains=query.q.strip().lower())
    page = await paginate(users, query, lambda user: user)
    memberships = await services.memberships_visible(actor, page["items"])  # one query for the page
    page["items"] = [await user_detail(user, actor, memberships) for user in page["items"]]
    return page


async def create_user(request: Request, body: UserIn) -> UserDetail:
    """Create a user; ``site`` and ``role`` give the first membership: both or neither
    (422 naming the missing or unknown one), and required unless the caller is a
    super-administrator."""
    data = body.model_dump()
    username, password = data.pop("username"), data.pop("password")
    actor = actor_of(request)
    user = await services.create_user(username, password, **data, actor=actor)
    return await user_detail(user, actor)


async def _user(request: Request) -> User:
    return await services.user_for(actor_of(request), request.path_params["id"])


async def get_user(request: Request) -> UserDetail:
    return await user_detail(await _user(request), actor_of(request))


async def update_user(request: Request, body: UserChange) -> UserDetail:
    user = await _user(request)
    # In a PATCH, null means "leave as it is", like leaving the field out.
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    active = changes.pop("is_active", None)
    superadmin = changes.pop("is_superadmin", None)
    version = changes.pop("version", None)
    actor = actor_of(request)
    # One service call: every refusal is checked before anything is written (all or nothing).
    await services.change_user(user, changes, version=version, active=active, superadmin=superadmin, actor=actor)
    return await user_detail(user, actor)


async def set_user_password(request: Request, body: PasswordIn) -> Response:
    await services.set_password(await _user(request), body.password, actor=actor_of(request))
    return Response(status_code=204)


async def grant(request: Request, body: MembershipIn) -> UserDetail:
    """Grant a role at a site the caller administers, no higher than the caller's own there."""
    user = await _user(request)
    site, role = await services.membership_parts(body.site, body.role)
    await services.grant_membership(user, site, role, actor=actor_of(request))
    return await user_detail(user, actor_of(request))


async def revoke(request: Request, body: MembershipIn) -> UserDetail:
    user = await _user(request)
    site, role = await services.membership_parts(body.site, body.role)
    await services.revoke_membership(user, site, role, actor=actor_of(request))
    return await user_detail(user, actor_of(request))


async def list_audit(request: Request, query: AuditQuery) -> AuditPage:
    """The audit log, newest first, with filters: entries of the sites where the caller reads
    the audit log (all, for a super-administrator)."""
    entries = audit.visible_entries(actor_of(request))
    if query.action:
        entries = entries.filter(action__startswith=query.action)
    if query.actor:
        entries = entries.filter(actor_name=query.actor)
    if query.site:
        site = await Site.get_or_none(code=query.site)
        entries = entries.filter(site_id=site.id if site else -1)
    if query.since:
        entries = entries.filter(at__gte=query.since)
    if query.until:
        entries = entries.filter(at__lt=query.until)
    return await paginate(entries, query, lambda e: AuditOut.model_validate(e, from_attributes=True), descending=True)


def routes():
    tags = ["identity"]
    user_path = "/api/v1/users/{id:int}"
    return [
        api_route("/api/v1/auth/token", create_token, method="POST", permission=PUBLIC, body=Credentials,
                  response=TokenOut, status_code=201, tags=tags,
                  responses={401: "Wrong credentials", 429: "Too many failed sign-ins"}),
        api_route("/api/v1/auth/token", delete_token, method="DELETE", permission=AUTHENTICATED, status_code=204,
                  tags=tags, responses={400: "No bearer token presented"}),
        api_route("/api/v1/me", me, permission=AUTHENTICATED, response=MeOut, tags=tags),
        api_route("/api/v1/me", update_me, method="PATCH", permission=AUTHENTICATED, body=MeChange, response=MeOut,
                  tags=tags, responses={409: "Stale version"}),
        api_route("/api/v1/users", list_users, permission="core.user.manage", query=UserQuery, response=UserPage, tags=tags),
        api_route("/api/v1/users", create_user, method="POST", permission="core.user.manage", body=UserIn,
                  response=UserDetail, status_code=201, tags=tags, responses={409: "Username taken"}),
        api_route(user_path, get_user, permission="core.user.manage", response=UserDetail, tags=tags),
        api_route(user_path, update_user, method="PATCH", permission="core.user.manage", body=UserChange,
                  response=UserDetail, tags=tags, responses={409: "You cannot disable yourself"}),
        api_route(f"{user_path}/password", set_user_password, method="POST", permission="core.user.manage",
                  body=PasswordIn, status_code=204, tags=tags),
        api_route(f"{user_path}/memberships", grant, method="POST", permission="core.user.manage",
                  body=MembershipIn, response=UserDetail, tags=tags),
        api_route(f"{user_path}/memberships/revoke", revoke, method="POST", permission="core.user.manage",
                  body=MembershipIn, response=UserDetail, tags=tags),
        api_route("/api/v1/audit", list_audit, permission="core.audit.read", query=AuditQuery,
                  response=AuditPage, tags=["audit"]),
    ]
