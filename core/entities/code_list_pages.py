"""The code lists page of a site: ``/sites/{site}/lists`` (every declared list) and
``/sites/{site}/lists/{name}`` (its codes: add one, rename, deactivate or move each).

Each form goes through the same service as the API (``core.entities.code_lists``): a bad
value re-shows the page with its message, a stale version shows the codes as they are now.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.entities import code_lists
from core.i18n import gettext as _
from core.web.access import actor_of, current_site
from core.web.forms import FormErrors, form_action, form_int
from core.web.routing import page_route
from core.web.templating import render

PERMISSION = "core.code_list.manage"


async def lists_page(request: Request) -> Response:
    declared = code_lists.declared(request.app.state.host).values()
    return render(request, "core/entities/code_lists.html", {
        "site": current_site(request),
        "lists": [{"name": c.name, "label": _(str(c.label)), "description": _(str(c.description)) if c.description else ""}
                  for c in declared]})


async def _render(request: Request, code_list: code_lists.CodeList, errors: FormErrors | None = None,
                  values: dict[str, str] | None = None, editing: str = "", status_code: int = 200) -> Response:
    site = current_site(request)
    return render(request, "core/entities/code_list.html", {
        "site": site, "code_list": code_list, "list_label": _(str(code_list.label)),
        "items": [code_lists.item_out(item) for item in await code_lists.items(site, code_list)],
        "errors": errors or FormErrors(), "form": values or {}, "editing": editing,
        "saved": request.query_params.get("saved", ""),
    }, status_code=status_code)


async def list_page(request: Request) -> Response:
    return await _render(request, code_lists.find(request.app.state.host, request.path_params["name"]))


def _back(request: Request, code_list: code_lists.CodeList, code: str) -> str:
    return f"/sites/{current_site(request).code}/lists/{code_list.name}?saved={code}#code-{code}"


async def add_code(request: Request) -> Response:
    code_list = code_lists.find(request.app.state.host, request.path_params["name"])

    def prepare(form: dict) -> dict:
        return {"code": form["code"], "label": form["label"], "position": form_int(form, "position")}

    async def act(data: dict):
        return await code_lists.add(current_site(request), code_list, data, actor=actor_of(request))

    return await form_action(request, fields=["code", "label", "position"], prepare=prepare, act=act,
                             page=lambda errors, values, status: _render(request, code_list, errors, values, "",
                                                                         status),
                             success_url=lambda item: _back(request, code_list, item.code))


async def change_code(request: Request) -> Response:
    code_list = code_lists.find(request.app.state.host, request.path_params["name"])
    code = request.path_params["code"]

    def prepare(form: dict) -> dict:
        return {"version": form_int(form, "version", required=True, hidden=True),
                "changes": {"label": form["label"] or None, "active": form["active"] == "yes",
                            "position": form_int(form, "position")}}

    async def act(data: dict):
        return await code_lists.change(current_site(request), code_list, code, data["changes"], data["version"],
                                       actor=actor_of(request))

    return await form_action(request, fields=["label", "active", "position", "version"], prepare=prepare, act=act,
                             page=lambda errors, values, status: _render(request, code_list, errors, values, code,
                                                                         status),
                             success_url=lambda item: _back(request, code_list, item.code))


def routes():
    return [
        page_route("/sites/{site}/lists", lists_page, permission=PERMISSION),
        page_route("/sites/{site}/lists/{name}", list_page, permission=PERMISSION),
        page_route("/sites/{site}/lists/{name}", add_code, permission=PERMISSION, methods=["POST"]),
        page_route("/sites/{site}/lists/{name}/{code}", change_code, permission=PERMISSION, methods=["POST"]),
    ]
