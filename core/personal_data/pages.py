"""The personal-data pages: a party's (``/sites/{site}/parties/{id}/personal-data``) and a
user's (``/admin/users/{id}/personal-data``). The page shows what is held and what erase
would keep, and why; the export downloads the ZIP; erase asks to confirm first and shows
what it did. Each calls ``core.personal_data.services``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.i18n import gettext as _
from core.personal_data import services
from core.personal_data.api import zip_response
from core.problems import Problem
from core.web.access import actor_of, current_site
from core.web.forms import FormErrors, form_strings
from core.web.routing import page_route
from core.web.templating import render

PARTY = "/sites/{site}/parties/{id:int}/personal-data"
USER = "/admin/users/{id:int}/personal-data"


async def _subject(request: Request):
    if "site" in request.path_params:
        return await services.party_subject(current_site(request), request.path_params["id"])
    return await services.user_subject(user_id=request.path_params["id"])


def _base(request: Request, subject) -> str:
    if subject.kind == "party":
        return f"/sites/{current_site(request).code}/parties/{subject.id}"
    return f"/admin/users/{subject.id}"


def _may_erase(request: Request, subject) -> bool:
    actor = actor_of(request)
    if subject.kind == "party":
        return actor.can_at(subject.site_id, services.ERASE)
    return actor.unbounded or bool(actor.sites_with(services.ERASE))


async def request_page(request: Request, errors: FormErrors | None = None, status_code: int = 200) -> Response:
    subject = await _subject(request)
    plan = await services.preview(request.app.state.host, actor_of(request), subject, services.EXPORT)
    base = _base(request, subject)
    return render(request, "core/personal_data/request.html", {
        "subject": subject, "plan": plan.out(), "back": base, "action": f"{base}/personal-data",
        "may_erase": _may_erase(request, subject), "errors": errors or FormErrors(),
    }, status_code=status_code)


async def export_download(request: Request) -> Response:
    subject = await _subject(request)
    return zip_response(await services.export(request.app.state.host, actor_of(request), subject), subject)


async def erase_confirmed(request: Request) -> Response:
    values = await form_strings(request, ["confirm"])
    if values["confirm"] != "yes":
        errors = FormErrors(fields={"confirm": _("Tick the box to confirm: erasure cannot be undone.")})
        return await request_page(request, errors, 422)
    subject = await _subject(request)
    try:
        result = await services.erase(request.app.state.host, actor_of(request), subject)
    except Problem as problem:
        if problem.status != 409:
            raise
        return await request_page(request, FormErrors(general=[problem.detail]), 409)
    return render(request, "core/personal_data/erased.html", {
        "result": result.out(), "back": _base(request, subject)})


def routes():
    return [
        route
        for base in (PARTY, USER)
        for route in (
            page_route(base, request_page, permission=services.EXPORT),
            page_route(f"{base}/export", export_download, permission=services.EXPORT, methods=["POST"]),
            page_route(f"{base}/erase", erase_confirmed, permission=services.ERASE, methods=["POST"]),
        )
    ]
