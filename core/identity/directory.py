"""The staff directory of a site (熟記內線電話): every active member's name, department,
job title, extension and roles there, for colleagues to look an extension up.

``GET /api/v1/sites/{site}/directory`` and the page ``/sites/{site}/directory`` read the
same service (``core.identity.services.directory_page``). Only members of the site reach
either (another site's directory is a 404, as every site route); they need
``core.directory.read``, which every built-in role holds by default. Nothing beyond what
a colleague needs is shown: no username, no e-mail.
"""

from __future__ import annotations

import base64
import binascii
import json
from itertools import groupby

from starlette.requests import Request
from starlette.responses import Response

from core.i18n import gettext as _
from core.identity import services
from core.identity.schemas import DirectoryPage, DirectoryQuery
from core.problems import invalid
from core.web.access import current_site
from core.web.api import api_route
from core.web.forms import page_links, page_number
from core.web.routing import page_route
from core.web.templating import render

PERMISSION = "core.directory.read"
PAGE_SIZE = 100
MAX_QUERY_CHARS = 100


def encode_cursor(entry: dict) -> str:
    """The keyset of the last person of a page: (department, name, id), as the list is sorted."""
    text = json.dumps(["dir", entry["department"], entry["display_name"], entry["id"]], ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str, int]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        kind, department, name, last_id = value
        if kind != "dir" or not isinstance(department, str) or not isinstance(name, str) \
                or type(last_id) is not int or not 0 < last_id < 2**31:
            raise ValueError
        return department, name, last_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise invalid("cursor", _("This cursor was not issued by this list.")) from None


async def list_directory(request: Request, query: DirectoryQuery) -> DirectoryPage:
    """The site's active members sorted by department, then name; ``q`` searches names,
    extensions and departments."""
    after = decode_cursor(query.cursor) if query.cursor else None
    entries, more = await services.directory_page(current_site(request).id, query.q or "", limit=query.limit,
                                                  after=after)
    return {"items": entries, "next_cursor": encode_cursor(entries[-1]) if more and entries else None}


async def directory_page(request: Request) -> Response:
    """The directory grouped by department, with a search box; pages of ``PAGE_SIZE``."""
    site = current_site(request)
    text = request.query_params.get("q", "")[:MAX_QUERY_CHARS].strip()
    page = page_number(request)
    entries, more = await services.directory_page(site.id, text, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    groups = [(department, list(people)) for department, people in groupby(entries, key=lambda e: e["department"])]
    return render(request, "core/directory.html", {
        "site": site, "groups": groups, "q": text, "page": page,
        "links": page_links(request.url.path, {"q": text}, page, more),
    })


def api_routes():
    return [api_route("/api/v1/sites/{site}/directory", list_directory, permission=PERMISSION, query=DirectoryQuery,
                      response=DirectoryPage, tags=["identity"])]


def page_routes():
    return [page_route("/sites/{site}/directory", directory_page, permission=PERMISSION)]
