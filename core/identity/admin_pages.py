"""Administration pages: users and their memberships. Roles (``role_pages``), sites
(``core.entities.site_admin_pages``) and the audit log (``core.audit.pages``) have their
own modules, each registered by its feature's plugin module.

Every change goes through ``core.identity.services``, which audits it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from tortoise.expressions import Q
from starlette.requests import Request
from starlette.responses import Response

from core.entities.models import Site
from core.i18n import LANGUAGE_NAMES
from core.i18n import code_label
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.identity import services
from core.identity.api import user_detail
from core.identity.models import Role, User
from core.identity.schemas import UserChange, UserIn
from core.web.templating import render
from core.web.access import actor_of
from core.web.forms import FormErrors, changed_meanwhile, form_action, form_passwords, offset_page, page_links, page_number
from core.problems import Problem, invalid
from core.web.routing import page_route

PAGE_SIZE = 50
PROFILE_FIELDS = ["display_name", "email", "department", "extension", "title", "locale"]
NEW_USER_FIELDS = ["username", *PROFILE_FIELDS, "site", "role"]
SECTIONS = ("profile", "password", "active", "memberships")
STATES = {"active": True, "disabled": False}


def locales() -> list[tuple[str, object]]:
    return [("", _l("Follow the browser")), *LANGUAGE_NAMES.items()]


async def user_list(request: Request) -> Response:
    text = request.query_params.get("q", "")[:64].strip()
    state = request.query_params.get("state", "")
    state = state if state in STATES else ""
    actor = actor_of(request)
    users = services.visible_users(actor)
    if text:
        users = users.filter(Q(username__icontains=text) | Q(display_name__icontains=text))
    if state:
        users = users.filter(is_active=STATES[state])
    page = page_number(request)
    rows, more = await offset_page(users.order_by("username"), page, PAGE_SIZE)
    memberships = {user_id: [f"{item['site']}: {code_label(item['role'], 'core.role')}" for item in items]
                   for user_id, items in (await services.memberships_visible(actor, rows)).items()}
    return render(request, "core/admin/users.html", {
        "users": rows, "memberships": memberships, "q": text, "state": state, "page": page,
        "links": page_links(request.url.path, {"q": text, "state": state}, page, more),
    })


async def _site_choices(request: Request) -> list[tuple[str, str]]:
    """The sites the caller may place people at: those where they manage users."""
    sites = Site.all()
    if (administered := services.administered_sites(actor_of(request))) is not None:
        sites = sites.filter(id__in=sorted(administered))
    return [(site.code, f"{site.code}: {site.name}") for site in await sites.order_by("code")]


async def _role_choices() -> list[tuple[str, str]]:
    return [(role.name, code_label(role.name, "core.role")) for role in await Role.all().order_by("name")]


async def user_new_form(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                        status_code: int = 200) -> Response:
    return render(request, "core/admin/user_new.html", {
        "values": values or {}, "errors": errors or FormErrors(), "locales": locales(),
        "sites": await _site_choices(request), "roles": await _role_choices()}, status_code=status_code)


async def user_create(request: Request) -> Response:
    async def with_password(values: dict) -> dict:
        return {**values, "password": (await form_passwords(request, ["password"]))[0]}

    async def act(body: UserIn) -> User:
        data = body.model_dump()
        return await services.create_user(data.pop("username"), data.pop("password"), **data, actor=actor_of(request))

    return await form_action(request, fields=NEW_USER_FIELDS, schema=UserIn, prepare=with_password, act=act,
                             page=partial(user_new_form, request), beside=[*NEW_USER_FIELDS, "password"],
                             success_url=lambda user: f"/admin/users/{user.id}?saved=1")


async def _user(request: Request) -> User:
    return await services.user_for(actor_of(request), request.path_params["id"])


async def _render_user(request: Request, user: User, *, section: str = "", errors: FormErrors | None = None,
                       profile: dict | None = None, status_code: int = 200) -> Response:
    """The user's page; a failed form (``section``) shows its messages and typed values."""
    detail = await user_detail(user, actor_of(request))
    all_errors = {name: FormErrors() for name in SECTIONS}
    if section:
        all_errors[section] = errors or FormErrors()
    return render(request, "core/admin/user.html", {
        "detail": detail, "errors": all_errors, "locales": locales(),
        "profile": profile or {**{name: detail[name] for name in PROFILE_FIELDS}, "version": str(user.version)},
        "sites": await _site_choices(request), "roles": await _role_choices(),
        "is_self": user.id == request.state.user.id, "saved": request.query_params.get("saved") == "1",
    }, status_code=status_code)


async def user_page(request: Request) -> Response:
    return await _render_user(request, await _user(request))


async def _user_action(request: Request, section: str, fields: Sequence[str], act, anchor: str = "",
                       **options) -> Response:
    """One of the user page's forms: ``act(user, data)`` calls the service; a refusal
    re-shows the user's page with the messages in that form's ``section``."""
    user = await _user(request)

    async def page(errors: FormErrors, values: dict, status: int) -> Response:
        return await _render_user(request, user, section=section, errors=errors, status_code=status)

    return await form_action(request, fields=fields, act=lambda data: act(user, data), page=page,
                             success_url=f"/admin/users/{user.id}?saved=1{anchor}", **options)


async def user_update(request: Request) -> Response:
    user = await _user(request)

    def read_version(values: dict) -> dict:
        if not values["version"].isdigit():  # a form without the version read cannot be checked: stale
            raise Problem(409)
        return values

    async def page(errors: FormErrors, values: dict, status: int) -> Response:
        if changed_meanwhile(status, values, user):
            stale = _("Someone else changed this user since you opened the page. The form now shows the current "
                      "values; enter your change again.")
            return await _render_user(request, user, section="profile", errors=FormErrors(general=[stale]),
                                      status_code=status)
        return await _render_user(request, user, section="profile", errors=errors,
                                  profile={**values, "version": str(user.version)}, status_code=status)

    return await form_action(
        request, fields=[*PROFILE_FIELDS, "version"], schema=UserChange, prepare=read_version, keep_blank=True,
        page=page, success_url=f"/admin/users/{user.id}?saved=1",
        act=lambda body: services.update_user(user, body.model_dump(exclude={"version"}, exclude_unset=True),
                                              version=body.version, actor=actor_of(request)))


async def user_password(request: Request) -> Response:
    async def act(user: User, _data: dict) -> None:
        password, repeat = await form_passwords(request, ["password", "repeat"])
        if password != repeat:
            raise invalid("repeat", _("The two passwords differ."))
        await services.set_password(user, password, actor=actor_of(request))

    return await _user_action(request, "password", (), act, "#password", beside=("password", "repeat"))


async def user_active(request: Request) -> Response:
    async def act(user: User, data: dict) -> None:
        await services.set_active(user, data["active"] == "1", actor=actor_of(request))

    return await _user_action(request, "active", ("active",), act, "#account", beside=())


async def _membership_change(request: Request, change) -> Response:
    async def act(user: User, data: dict) -> None:
        site, role = await services.membership_parts(data["site"], data["role"])
        await change(user, site, role, actor=actor_of(request))

    return await _user_action(request, "memberships", ("site", "role"), act, "#memberships")


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
