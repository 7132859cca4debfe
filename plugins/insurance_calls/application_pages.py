"""Pages of phone applications: list, new draft, one application with its check, submission
and policy entry."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.i18n import N_
from core.i18n import gettext as _
from core.web.templating import render
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.forms import FormErrors, form_action, form_int
from core.problems import Problem
from core.web.routing import page_route
from plugins.insurance_calls import applications
from plugins.insurance_calls.services import PERSONAL
from plugins.insurance_calls.models import Application

NEW_FIELDS = ["applicant_name", "id_number", "phone", "plate", "vin", "vehicle", "premium"]
COVER_LABELS = {
    "compulsory": N_("Compulsory traffic insurance"), "third_party": N_("Third-party liability"),
    "vehicle_damage": N_("Vehicle damage"), "driver_passenger": N_("Driver and passenger"), "theft": N_("Theft"),
    "glass": N_("Glass breakage"),
}


def _covers() -> list[tuple[str, str]]:
    return [(name, _(label)) for name, label in COVER_LABELS.items()]


async def application_list(request: Request) -> Response:
    site = current_site(request)
    status = request.query_params.get("status", "")
    apps = site_query(request, Application)
    if status in ("draft", "submitted", "issued"):
        apps = apps.filter(status=status)
    personal = can(request, PERSONAL)
    rows = [applications.application_out(app, site, personal) for app in await apps.order_by("-id").limit(200)]
    return render(request, "insurance_calls/applications.html", {"site": site, "rows": rows, "status": status})


async def new_application(request: Request) -> Response:
    site = current_site(request)

    def page(errors: FormErrors, form: dict, status: int):
        return render(request, "insurance_calls/application_new.html", {
            "site": site, "form": form, "errors": errors, "covers": _covers()}, status_code=status)

    if request.method != "POST":
        return page(FormErrors(), {"cover": ["compulsory"]}, 200)
    raw = await request.form()
    cover = [str(value) for value in raw.getlist("cover")][:10]

    async def again(errors: FormErrors, values: dict, status: int) -> Response:
        return page(errors, {**values, "cover": cover}, status)

    async def act(form: dict) -> Application:
        return await applications.create(site, actor_of(request), {**form, "cover": cover})

    return await form_action(request, fields=NEW_FIELDS, act=act, page=again,
                             success_url=lambda app: f"/sites/{site.code}/insurance_calls/applications/{app.id}")


async def _detail(request: Request, app: Application, errors: FormErrors | None = None, status: int = 200) -> Response:
    site = current_site(request)
    user = request.state.user
    return render(request, "insurance_calls/application.html", {
        "site": site, "app": applications.application_out(app, site, can(request, PERSONAL)),
        "errors": errors or FormErrors(),
        "cover_labels": dict(_covers()),
        "may_check": can(request, "insurance_calls.application.check") and app.status == "draft"
        and app.created_by_id != user.id and app.checked_by_id is None,
        "may_submit": can(request, "insurance_calls.application.edit") and app.status == "draft"
        and app.checked_by_id is not None,
        "may_issue": can(request, "insurance_calls.application.issue") and app.status == "submitted",
        "own_draft": app.created_by_id == user.id and app.status == "draft" and app.checked_by_id is None,
    }, status_code=status)


async def application_page(request: Request) -> Response:
    return await _detail(request, await get_in_site(request, Application, request.path_params["id"], "application"))


async def application_action(request: Request) -> Response:
    site = current_site(request)
    app = await get_in_site(request, Application, request.path_params["id"], "application")
    action = request.path_params["action"]
    permission = {"check": "insurance_calls.application.check", "submit": "insurance_calls.application.edit",
                  "issue": "insurance_calls.application.issue"}.get(action)
    if permission is None:
        raise Problem(404, _("Not found"))
    if not can(request, permission):
        raise Problem(403, _("You do not have the permission this needs (%(permission)s).", permission=permission))

    async def act(form: dict) -> None:
        version = form_int(form, "version", required=True, hidden=True)
        if action == "check":
            await applications.check(app, site, form, version, actor_of(request))
        elif action == "submit":
            await applications.submit(app, site, version, actor_of(request))
        else:
            await applications.issue(app, site, form["policy_no"], version, actor_of(request))

    async def again(errors: FormErrors, values: dict, status: int) -> Response:
        await app.refresh_from_db()  # shown as it is now; the check's re-entry is blind, so not kept
        return await _detail(request, app, errors, status=status)

    return await form_action(request, fields=["version", "vin", "id_number", "premium", "policy_no"], act=act,
                             page=again, success_url=f"/sites/{site.code}/insurance_calls/applications/{app.id}")


def routes(base: str) -> list:
    return [
        page_route(f"{base}/applications", application_list, permission="insurance_calls.application.read"),
        page_route(f"{base}/applications/new", new_application, permission="insurance_calls.application.edit",
                   methods=["GET", "POST"]),
        page_route(base + "/applications/{id:int}", application_page, permission="insurance_calls.application.read"),
        page_route(base + "/applications/{id:int}/{action:str}", application_action,
                   permission="insurance_calls.application.read", methods=["POST"]),
    ]
