"""HTML pages of the lost_and_found plugin."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.i18n import gettext as _
from core.web.templating import render
from core.web.access import can, current_site, site_query
from core.web.routing import page_route
from lost_and_found import services
from lost_and_found.models import Entry


async def index(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    entries = await site_query(request, Entry).order_by("-id").limit(100)
    return render(request, "lost_and_found/index.html", {
        "site": current_site(request), "entries": entries, "error": error,
        "may_write": can(request, "lost_and_found.entry.write"),
    }, status_code=status_code)


async def add(request: Request) -> Response:
    title = str((await request.form()).get("title", "")).strip()
    if not title or len(title) > 200:
        return await index(request, _("Give a title of 1 to 200 characters."), status_code=422)
    site = current_site(request)
    await services.create_entry(site, title, request.state.user, request.state.client_address)
    return RedirectResponse(f"/sites/{site.code}/lost_and_found/", status_code=303)


def routes():
    return [
        page_route("/sites/{site}/lost_and_found/", index, permission="lost_and_found.entry.read"),
        page_route("/sites/{site}/lost_and_found/", add, permission="lost_and_found.entry.write", methods=["POST"]),
    ]
