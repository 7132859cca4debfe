"""The personal-data API: a party's (``/api/v1/sites/{site}/parties/{id}/personal-data``)
and a user's (``/api/v1/users/{id}/personal-data``) preview, export (a ZIP) and erase."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.i18n import gettext as _
from core.personal_data import services
from core.personal_data.schemas import EraseIn, ErasedOut, PreviewOut
from core.problems import invalid
from core.web.access import actor_of, current_site
from core.web.api import api_route

ZIP = "application/zip"


async def _subject(request: Request):
    if "site" in request.path_params:
        return await services.party_subject(current_site(request), request.path_params["id"])
    return await services.user_subject(user_id=request.path_params["id"])


def zip_response(content: bytes, subject) -> Response:
    name = f"personal-data-{subject.kind}-{subject.id}.zip"
    return Response(content, media_type=ZIP, headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def preview(request: Request) -> PreviewOut:
    """What an erase would pseudonymise, and what it keeps and why."""
    subject = await _subject(request)
    return (await services.preview(request.app.state.host, actor_of(request), subject, services.EXPORT)).out()


async def export(request: Request) -> Response:
    """Everything held about the person: a ZIP of JSON and CSV with a README and manifest."""
    subject = await _subject(request)
    return zip_response(await services.export(request.app.state.host, actor_of(request), subject), subject)


async def erase(request: Request, body: EraseIn) -> ErasedOut:
    """Pseudonymise the person everywhere (cannot be undone); money and legal records are kept."""
    if not body.confirm:
        raise invalid("confirm", _("Erasure cannot be undone: send confirm true."))
    subject = await _subject(request)
    return (await services.erase(request.app.state.host, actor_of(request), subject)).out()


def routes():
    tags = ["personal data"]
    routes = []
    for base in ("/api/v1/sites/{site}/parties/{id:int}/personal-data", "/api/v1/users/{id:int}/personal-data"):
        routes += [
            api_route(base, preview, permission=services.EXPORT, response=PreviewOut, tags=tags,
                      name=f"{base}:preview"),
            api_route(f"{base}/export", export, method="POST", permission=services.EXPORT, media_type=ZIP, response=bytes,
                      tags=tags, name=f"{base}:export"),
            api_route(f"{base}/erase", erase, method="POST", permission=services.ERASE, body=EraseIn,
                      response=ErasedOut, tags=tags, name=f"{base}:erase"),
        ]
    return routes
