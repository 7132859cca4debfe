"""Administration pages: users and their memberships. Roles (``role_pages``), sites
(``core.entities.site_admin_pages``) and the audit log (``core.audit.pages``) have their
own modules, each registered by its feature's plugin module.

Every change goes through ``core.identity.services``, which audits it.
"""

from __future__ import annotations

from tortoise.expressions import Q
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.entities.models import Site
from core.i18n import LANGUAGE_NAMES
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.identity import services
from core.identity.api import user_detail
from core.identity.models import Membership, Role, User
from core.identity.schemas import UserChange, UserIn
from core.web.templating import render
from core.web.access import actor_of
from core.web.forms import FormErrors, form_strings, offset_page, page_links, page_number, problem_errors, validate
from core.problems import Problem
from core.web.routing import page_route

PAGE_SIZE = 50
PROFILE_FIELDS = ["display_name", "email", "department", "locale"]
NEW_USER_FIELDS = ["username", *PROFILE_FIELDS]
SECTIONS = ("profile", "password", "active", "memberships")
STATES = {"active": True, "disabled": False}


def locales() -> list[tuple[str, object]]:
    return [("", _l("Follow the browser")), *LANGUAGE_NAMES.items()]


async def user_list(request: Request) -> Response:
    text = request.query_params.get("q", "")[:64].strip()
    state = request.query_params.get("state", "")
    state = state if state in STATES else ""
    users = User.all()
    if text:
        users = users.filter(Q(username__icontains=text) | Q(display_name__icontains=text))
    if state:
        users = users.filter(is_active=STATES[state])
    page = page_number(request)
    rows, more = await offset_page(users.order_by("username"), page, PAGE_SIZE)
    memberships: dict[int, list[str]] = {}
    for row in await Membership.filter(user_id__in=[user.id for user in rows]).order_by("site__code", "role__name") \
            .values("user_id", "site__code", "role__name"):
        memberships.setdefault(row["user_id"], []).append(f"{row['site__code']}: {row['role__name']}")
    return render(request, "core/admin/users.html", {
        "users": rows, "memberships": memberships, "q": text, "state": state, "page": page,
        "links": page_links(request.url.path, {"q": text, "state": state}, page, more),
    })


def _render_new(request: Request, values: dict, errors: FormErrors | None = None, status_code: int = 200) -> Response:
    return render(request, "core/admin/user_new.html", {"values": values, "errors": errors or FormErrors(),
                                                        "locales": locales()}, status_code=status_code)


async def user_new_form(request: Request) -> Response:
    return _render_new(request, {})


async def user_create(request: Request) -> Response:
    values = await form_strings(request, NEW_USER_FIELDS)
    password = str((await request.form()).get("password", ""))[:1024]  # not stripped: spaces may belong to it
    body, errors = validate(UserIn, {**values, "password": password})
    status = 422
    if body is not None:
        data = body.model_dump()
        username, password = data.pop("username"), data.pop("password")
        try:
            user = await services.create_user(username, password, **data, actor=actor_of(request))
            return RedirectResponse(f"/admin/users/{user.id}?saved=1", status_code=303)
        except Problem as problem:
            if problem.status not in (409, 422):
                raise
            errors, status = problem_errors(problem, [*NEW_USER_FIELDS, "password"]), problem.status
    return _render_new(request, values, errors, status)


async def _user(request: Request) -> User:
    user = await User.get_or_none(id=request.path_params["id"])
    if user is None:
        raise Problem(404, _("No user with id %(id)s.", id=request.path_params["id"]))
    return user


async def _render_user(request: Request, user: User, *, section: str = "", errors: FormErrors | None = None,
                       profile: dict | None = None, status_code: int = 200) -> Response:
    """The user's page; a failed form (``section``) shows its messages and typed values."""
    detail = await user_detail(user)
    all_errors = {name: FormErrors() for name in SECTIONS}
    if section:
        all_errors[section] = errors or FormErrors()
    return render(request, "core/admin/user.html", {
        "detail": detail, "errors": all_errors, "locales": locales(),
        "profile": profile or {**{name: detail[name] for name in PROFILE_FIELDS}, "version": str(user.version)},
        "sites": [(site.code, f"{site.code}: {site.name}") for site in await Site.all().order_by("code")],
        "roles": [(role.name, role.name) for role in await Role.all().order_by("name")],
        "is_self": user.id == request.state.user.id, "saved": request.query_params.get("saved") == "1",
    }, status_code=status_code)


def _done(user: User, anchor: str = "") -> Response:
    return RedirectResponse(f"/admin/users/{user.id}?saved=1{anchor}", status_code=303)


async def user_page(request: Request) -> Response:
    return await _render_user(request, await _user(request))


async def user_update(request: Request) -> Response:
    user = await _user(request)
    values = await form_strings(request, [*PROFILE_FIELDS, "version"])
    read_version = values.pop("version")
    stale = FormErrors(general=[_("Someone else changed this user since you opened the page. The form now shows "
                                  "the current values; enter your change again.")])
    if not read_version.isdigit():
        return await _render_user(request, user, section="profile", errors=stale, status_code=409)
    body, errors = validate(UserChange, values)
    status = 422
    if body is not None:
        try:
            await services.update_user(user, body.model_dump(exclude_unset=True), version=int(read_version),
                                       actor=actor_of(request))
            return _done(user)
        except Problem as problem:
            if problem.status == 409:
                return await _render_user(request, user, section="profile", errors=stale, status_code=409)
            if problem.status != 422:
                raise
            errors, status = problem_errors(problem, PROFILE_FIELDS), problem.status
    return await _render_user(request, user, section="profile", errors=errors,
                              profile={**values, "version": str(user.version)}, status_code=status)


async def user_password(request: Request) -> Response:
    user = await _user(request)
    form = await request.form()
    password, repeat = (str(form.get(name, ""))[:1024] for name in ("password", "repeat"))
    if password != repeat:
        errors = FormErrors(fields={"repeat": _("The two passwords differ.")})
        return await _render_user(request, user, section="password", errors=errors, status_code=422)
    try:
        await services.set_password(user, password, actor=actor_of(request))
    except Problem as problem:
        if problem.status != 422:
            raise
        errors = FormErrors(fields={"password": " ".join(e["message"] for e in problem.errors or [])
                                    or problem.detail})
        return await _render_user(request, user, section="password", errors=errors, status_code=422)
    return _done(user, "#password")


async def user_active(request: Request) -> Response:
    user = await _user(request)
    active = (await form_strings(request, ["active"]))["active"] == "1"
    try:
        await services.set_active(user, active, actor=actor_of(request))
    except Problem as problem:
        if problem.status != 409:
            raise
        return await _render_user(request, user, section="active", errors=FormErrors(general=[problem.detail]),
                                  status_code=409)
    return _done(user, "#account")


async def _membership_change(request: Request, change) -> Response:
    user = await _user(request)
    values = await form_strings(request, ["site", "role"])
    site = await Site.get_or_none(code=values["site"]) if values["site"] else None
    role = await Role.get_or_none(name=values["role"]) if values["role"] else None
    errors = FormErrors()
    if site is None:
        errors.fields["site"] = _("Choose a site.")
    if role is None:
        errors.fields["role"] = _("Choose a role.")
    if errors:
        return await _render_user(request, user, section="memberships", errors=errors, status_code=422)
    await change(user, site, role, actor=actor_of(request))
    return _done(user, "#memberships")


async def membership_grant(request: Request) -> Response:
    return await _membership_change(request, services.grant_membership)


async def membership_revoke(request: Request) -> Response:
    return await _membership_change(request, services.revoke_membership)


def routes():
    user = "/admin/users/{id:int}"
    manage = "core.user.manage"
    return [
        page_route("/admin/users", user_list, permission=manage),
        page_route("/admin/users/new", user_new_form, permission=manage),
        page_route("/admin/users/new", user_create, permission=manage, methods=["POST"]),
        page_route(user, user_page, permission=manage),
        page_route(user, user_update, permission=manage, methods=["POST"]),
        page_route(f"{user}/password", user_password, permission=manage, methods=["POST"]),
        page_route(f"{user}/active", user_active, permission=manage, methods=["POST"]),
        page_route(f"{user}/memberships", membership_grant, permission=manage, methods=["POST"]),
        page_route(f"{user}/memberships/revoke", membership_revoke, permission=manage, methods=["POST"]),
    ]
