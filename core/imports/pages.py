"""The "Import data" page of a site: choose what, upload, read the dry run, import.

The uploaded file is kept between the check and the import in the document store
(``core.storage``: the database or an S3 bucket), so the "Import" button works whichever
host behind the load balancer receives it; the form carries only the file's random name,
under the site's and the user's own prefix, so nobody imports another's upload. The
import removes it; so does the person's next upload at the site. Both steps call the one service (``core.imports.services``).
"""

from __future__ import annotations

import re
import uuid

from starlette.requests import Request
from starlette.responses import Response

from core.i18n import gettext as _
from core.imports import services
from core.imports.api import export_file  # one download for the page and the API
from core.imports.readers import ENCODING_NAMES
from core.permissions import AUTHENTICATED
from core.problems import Problem
from core.storage import MissingFile, read, storage_for
from core.web.access import actor_of, current_site
from core.web.forms import FormErrors
from core.web.routing import page_route
from core.web.templating import render

BASE = "/sites/{site}/imports"
TOKEN = re.compile(r"^[0-9a-f]{32}$")
#: Shown in the error table at most; the count says how many more there are.
SHOWN_ERRORS = 500


def _storage(request: Request):
    return storage_for(request.app.state.settings)


def _key(request: Request, token: str) -> str:
    return f"imports/{current_site(request).id}/{request.state.user.id}/{token}"


def _choices(request: Request) -> list:
    return services.visible(request.app.state.host, actor_of(request), current_site(request))


async def imports_page(request: Request, *, report: dict | None = None, errors: FormErrors | None = None,
                       values: dict | None = None, token: str = "", status_code: int = 200) -> Response:
    site = current_site(request)
    actor = actor_of(request)
    choices = _choices(request)
    if not choices:
        raise Problem(403, _("You may not import or export anything at this site."))
    importable = [(i.key, str(i.label)) for i in choices if actor.can_at(site.id, i.permission)]
    exportable = [i for i in choices if actor.can_at(site.id, services.export_permission(i))]
    shown = dict(report or {})
    if report:
        shown["more_errors"] = max(0, len(report["errors"]) - SHOWN_ERRORS)
        shown["errors"] = report["errors"][:SHOWN_ERRORS]
        shown["error_rows"] = len({error["row"] for error in report["errors"]})
    chosen = (values or {}).get("importer") or request.query_params.get("importer") or (
        importable[0][0] if importable else "")
    importer = next((i for i in choices if i.key == chosen), None)
    return render(request, "core/imports/imports.html", {
        "site": site, "importable": importable, "exportable": exportable, "report": shown or None,
        "errors": errors or FormErrors(), "values": {"importer": chosen, **(values or {})}, "token": token,
        "importer": importer, "encodings": sorted(set(ENCODING_NAMES.values())),
        "columns": [(_(c.label), [c.key, *c.aliases], c.required, _(c.help) if c.help else "")
                    for c in (importer.columns if importer else ())],
    }, status_code=status_code)


async def imports_get(request: Request) -> Response:
    return await imports_page(request)


async def imports_post(request: Request) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in ("importer", "encoding", "token", "step")}
    site, actor, storage = current_site(request), actor_of(request), _storage(request)
    upload = form.get("file")
    data = await upload.read() if upload is not None and hasattr(upload, "read") else b""
    filename = getattr(upload, "filename", "") or ""
    token = values["token"] if TOKEN.match(values["token"]) else ""
    if data:
        # One kept upload per person and site: a new file replaces the one checked before,
        # so files checked and never imported do not pile up in the store.
        for old in await storage.keys(_key(request, "")):
            await storage.delete(old)
        token = uuid.uuid4().hex
        await storage.put(_key(request, token), data, "application/octet-stream")
    elif token:
        try:
            data = await read(storage, _key(request, token))
        except MissingFile:
            token = ""
    if not data:
        return await imports_page(request, values=values, status_code=422, errors=FormErrors(
            fields={"file": _("Choose the CSV or XLSX file to import.")}))
    dry_run = values["step"] != "import"
    try:
        report = await services.run_import(
            request.app.state.host, values["importer"], site, data, actor=actor, dry_run=dry_run,
            encoding=values["encoding"] or None, app=request.app, settings=request.app.state.settings,
            filename=filename)
    except Problem as problem:
        report = problem.extra.get("report")
        messages = [problem.detail]
        if problem.status == 422 and not (report and report.get("errors")):
            # The file itself was refused (format, encoding, columns, size): keep no upload of it.
            messages += [e["message"] for e in problem.errors or [] if e.get("message") != problem.detail]
            if token:
                await storage.delete(_key(request, token))
                token = ""
        return await imports_page(request, report=report, values=values, token=token,
                                  status_code=problem.status, errors=FormErrors(general=messages))
    if report.applied:
        await storage.delete(_key(request, token))
        token = ""
    return await imports_page(request, report=report.as_dict(), values=values, token=token)


def routes():
    # Each importer's permission is checked by the service; the page lists the ones held.
    return [
        page_route(BASE, imports_get, permission=AUTHENTICATED),
        page_route(BASE, imports_post, permission=AUTHENTICATED, methods=["POST"]),
        page_route(f"{BASE}/export/{{importer}}.{{format}}", export_file, permission=AUTHENTICATED),
    ]
