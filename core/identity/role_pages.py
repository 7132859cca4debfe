"""The roles × permissions grid: which role grants what, and new roles."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response

from core.i18n import gettext as _
from core.identity import services
from core.identity.models import Role, RolePermission
from core.web.templating import render
from core.web.access import actor_of
from core.web.forms import FormErrors, form_action
from core.problems import Problem, invalid
from core.web.routing import page_route

NAME_LENGTH = Role._meta.fields_map["name"].max_length


async def roles_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                     status_code: int = 200, failed_role: int | None = None) -> Response:
    """The grid and the new role form; ``failed_role``'s column was refused, else the new role was."""
    declared = services.declared_permissions(request.app.state.host)
    roles = await Role.all().order_by("name")
    granted: dict[int, set[str]] = {role.id: set() for role in roles}
    for row in await RolePermission.all().values("role_id", "permission"):
        granted.setdefault(row["role_id"], set()).add(row["permission"])
    return render(request, "core/admin/roles.html", {
        "roles": roles, "granted": granted, "permissions": [declared[name] for name in sorted(declared)],
        "errors": errors or FormErrors(), "failed_role": failed_role, "values": values or {},
        "saved": request.query_params.get("saved", ""),
    }, status_code=status_code)


def _saved(role: Role) -> str:
    return f"/admin/roles?saved={role.name}#role-{role.id}"


async def role_save(request: Request) -> Response:
    role = await Role.get_or_none(id=request.path_params["id"])
    if role is None:
        raise Problem(404, _("No role with id %(id)s.", id=request.path_params["id"]))

    async def act(_data: dict) -> None:
        wanted = [str(name) for name in (await request.form()).getlist("permissions")]
        declared = set(services.declared_permissions(request.app.state.host))
        await services.set_role_permissions(role, wanted, declared, actor=actor_of(request))

    return await form_action(request, fields=(), act=act, page=partial(roles_page, request, failed_role=role.id),
                             success_url=_saved(role))


async def role_create(request: Request) -> Response:
    def fits(values: dict) -> dict:
        # The service's name rule (services.ROLE_NAME) also stops at the column's 40
        # characters, but answers with the whole rule; a name that is only too long gets
        # the plainer length message here.
        if len(values["name"]) > NAME_LENGTH:
            raise invalid("name", _("Enter at most %(count)s characters.", count=NAME_LENGTH))
        return values

    return await form_action(request, fields=("name",), prepare=fits, page=partial(roles_page, request),
                             act=lambda data: services.create_role(data["name"], actor=actor_of(request)),
                             success_url=_saved)


def routes():
    return [
        page_route("/admin/roles", roles_page, permission="core.role.manage"),
        page_route("/admin/roles", role_create, permission="core.role.manage", methods=["POST"]),
        page_route("/admin/roles/{id:int}", role_save, permission="core.role.manage", methods=["POST"]),
    ]
