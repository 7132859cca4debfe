"""The roles × permissions grid: which role grants what, and new roles."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.i18n import gettext as _
from core.identity import services
from core.identity.models import Role, RolePermission
from core.web.templating import render
from core.web.access import actor_of
from core.web.forms import FormErrors, form_strings, problem_errors
from core.problems import Problem
from core.web.routing import page_route

NAME_LENGTH = Role._meta.fields_map["name"].max_length


async def _render(request: Request, errors: FormErrors | None = None, failed_role: int | None = None,
                  new_name: str = "", status_code: int = 200) -> Response:
    declared = services.declared_permissions(request.app.state.host)
    roles = await Role.all().order_by("name")
    granted: dict[int, set[str]] = {role.id: set() for role in roles}
    for row in await RolePermission.all().values("role_id", "permission"):
        granted.setdefault(row["role_id"], set()).add(row["permission"])
    return render(request, "core/admin/roles.html", {
        "roles": roles, "granted": granted, "permissions": [declared[name] for name in sorted(declared)],
        "errors": errors or FormErrors(), "failed_role": failed_role, "new_name": new_name,
        "saved": request.query_params.get("saved", ""),
    }, status_code=status_code)


async def roles_page(request: Request) -> Response:
    return await _render(request)


async def role_save(request: Request) -> Response:
    role = await Role.get_or_none(id=request.path_params["id"])
    if role is None:
        raise Problem(404, _("No role with id %(id)s.", id=request.path_params["id"]))
    wanted = [str(name) for name in (await request.form()).getlist("permissions")]
    declared = set(services.declared_permissions(request.app.state.host))
    try:
        await services.set_role_permissions(role, wanted, declared, actor=actor_of(request))
    except Problem as problem:
        if problem.status != 422:
            raise
        return await _render(request, FormErrors(general=[problem.detail]), failed_role=role.id, status_code=422)
    return RedirectResponse(f"/admin/roles?saved={role.name}#role-{role.id}", status_code=303)


async def role_create(request: Request) -> Response:
    name = (await form_strings(request, ["name"]))["name"]
    # The service's name rule allows 64 characters but the column holds 40: checked here
    # so a long name is a message, not a database error.
    if len(name) > NAME_LENGTH:
        errors = FormErrors(fields={"name": _("Enter at most %(count)s characters.", count=NAME_LENGTH)})
        return await _render(request, errors, new_name=name, status_code=422)
    try:
        role = await services.create_role(name, actor=actor_of(request))
    except Problem as problem:
        if problem.status not in (409, 422):
            raise
        errors = problem_errors(problem, ["name"])
        if not errors.fields:  # "exists already" names no field; it belongs next to the name
            errors = FormErrors(fields={"name": problem.detail})
        return await _render(request, errors, new_name=name, status_code=problem.status)
    return RedirectResponse(f"/admin/roles?saved={role.name}#role-{role.id}", status_code=303)


def routes():
    return [
        page_route("/admin/roles", roles_page, permission="core.role.manage"),
        page_route("/admin/roles", role_create, permission="core.role.manage", methods=["POST"]),
        page_route("/admin/roles/{id:int}", role_save, permission="core.role.manage", methods=["POST"]),
    ]
