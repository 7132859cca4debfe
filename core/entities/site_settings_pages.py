"""The site settings page: a form per settings group, fields made from its schema.

``/sites/{site}/settings`` shows every group the plugins declare
(``register_site_settings``); each form posts to ``/sites/{site}/settings/{group}`` and
goes through the same service as the API (``core.site_settings.change``): a bad value
re-shows the form with its message beside the field, a stale version shows the values
as they are now.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core import desks, site_settings
from core.entities.models import Site
from core.i18n import gettext as _
from core.problems import Problem
from core.web.access import actor_of, current_site, forget_site
from core.web.forms import FormErrors, changed_meanwhile, form_action, form_int
from core.web.routing import page_route
from core.web.templating import render

PERMISSION = "core.site.manage"


def _render(request: Request, site: Site, group_key: str = "", typed: dict[str, str] | None = None,
            errors: FormErrors | None = None, status_code: int = 200) -> Response:
    forms = []
    for group in site_settings.groups(request.app.state.host):
        texts = site_settings.form_texts(site, group)
        if group.key == group_key and typed is not None:
            texts.update({name: value for name, value in typed.items() if name != "version"})
        fields = site_settings.form_fields(group)
        if group.key == desks.GROUP_KEY:
            desks.explain(site, request.app.state.host, fields)
        forms.append({"key": group.key, "label": _(str(group.label)), "fields": fields,
                      "texts": texts, "errors": errors if group.key == group_key and errors else FormErrors()})
    return render(request, "core/entities/site_settings.html", {
        "site": site, "setting_forms": forms, "version": site.version, "saved": request.query_params.get("saved", ""),
    }, status_code=status_code)


async def settings_page(request: Request) -> Response:
    site, _described = await site_settings.read(current_site(request), request.app.state.host,
                                                actor=actor_of(request))
    return _render(request, site)


async def settings_update(request: Request) -> Response:
    host = request.app.state.host
    site, _described = await site_settings.read(current_site(request), host, actor=actor_of(request))
    group = {group.key: group for group in site_settings.groups(host)}.get(request.path_params["group"])
    if group is None:
        raise Problem(404, _("No settings group %(group)s.", group=request.path_params["group"]))
    names = [field["name"] for field in site_settings.leaf_fields(site_settings.form_fields(group))]

    def prepare(values: dict[str, str]) -> dict:
        version = form_int(values, "version", required=True, hidden=True)
        texts = {name: values[name] for name in names}
        return {"version": version, "values": site_settings.from_texts(site, host, texts)}

    def beside_field(problem: Problem) -> Problem:
        # "core.holidays.0" is said beside the field "core.holidays".
        for item in problem.errors or []:
            item["field"] = max((name for name in names if item["field"] == name or item["field"].startswith(name + ".")),
                                key=len, default=item["field"])
        return problem

    async def act(data: dict) -> Site:
        try:
            saved = await site_settings.change(site, data["values"], data["version"], host, actor=actor_of(request))
        except Problem as problem:
            raise beside_field(problem) from None
        forget_site(request, saved.code)
        return saved

    async def page(errors: FormErrors, values: dict[str, str], status: int) -> Response:
        fresh = await Site.get(id=site.id)
        if changed_meanwhile(status, values, fresh):
            message = _("Someone else changed this site's settings since you opened them. The form now shows the "
                        "current values; enter your change again.")
            return _render(request, fresh, group.key, None, FormErrors(general=[message]), status)
        return _render(request, fresh, group.key, values, errors, status)

    return await form_action(request, fields=[*names, "version"], prepare=prepare, act=act, page=page,
                             success_url=f"/sites/{site.code}/settings?saved={group.key}#settings-{group.key}")


def routes():
    return [
        page_route("/sites/{site}/settings", settings_page, permission=PERMISSION),
        page_route("/sites/{site}/settings/{group}", settings_update, permission=PERMISSION, methods=["POST"]),
    ]
