"""Imports and exports over the API: one route each for every declared importer.

``POST /api/v1/sites/{site}/imports/{importer}`` takes the file as the multipart field
``file`` or as the raw body (any Content-Type: the bytes decide CSV or XLSX), with
``dry_run`` and ``encoding`` as query or form fields. A dry run answers the report (200),
its errors included; an import answers the report (200, ``applied`` true, ``created``) or
422 problem+json listing every error (``errors[{field, row, column, message}]``,
``report``), nothing written. (One success status for both, so that the OpenAPI document
describes both answers with the one report schema.)
``GET /api/v1/sites/{site}/exports/{importer}.csv`` (or ``.xlsx``) gives the same columns.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from core.i18n import gettext as _
from core.imports import services
from core.problems import Problem
from core.permissions import AUTHENTICATED
from core.web.access import actor_of, current_site
from core.web.api import CSV, XLSX, api_route

BASE = "/api/v1/sites/{site}"


class ImportQuery(BaseModel):
    dry_run: bool = Field(False, description="Check every row and write nothing.")
    encoding: str | None = Field(None, max_length=20, description="utf-8, big5 or gb18030 (default: detected).")


class RowErrorOut(BaseModel):
    row: int
    column: str
    message: str


class ReportOut(BaseModel):
    importer: str
    dry_run: bool
    format: str
    encoding: str
    rows: int
    created: int
    applied: bool
    errors: list[RowErrorOut]
    columns: dict[str, str]
    unknown_columns: list[str]


async def _file_of(request: Request) -> tuple[bytes, str, dict[str, str]]:
    """``(bytes, file name, form fields)`` of a multipart upload, or the raw body."""
    raw = request.state.raw_body
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return raw, "", {}
    sent = False

    async def replay():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    form = await Request(request.scope, replay).form(max_part_size=len(raw) + 1)
    upload = form.get("file")
    if upload is None or not hasattr(upload, "read"):
        raise Problem(422, _("Send the file as the multipart field \"file\"."),
                      errors=[{"field": "file", "message": _("This field is required.")}])
    fields = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    return await upload.read(), upload.filename or "", fields


async def import_file(request: Request, query: ImportQuery) -> dict:
    """Dry-run or import a CSV or XLSX file: the multipart field ``file``, or the raw body."""
    data, filename, fields = await _file_of(request)
    dry_run = query.dry_run or fields.get("dry_run", "").lower() in ("1", "true", "yes", "on")
    encoding = query.encoding or fields.get("encoding") or None
    report = await services.run_import(
        request.app.state.host, request.path_params["importer"], current_site(request), data, actor=actor_of(request),
        dry_run=dry_run, encoding=encoding, app=request.app, settings=request.app.state.settings, filename=filename)
    return report.as_dict()


async def export_file(request: Request) -> Response:
    """The site's records in the importer's columns, as CSV or XLSX."""
    file_format = request.path_params["format"]
    if file_format not in ("csv", "xlsx"):
        raise Problem(404, _("Exports are .csv or .xlsx."))
    data, name = await services.export_file(request.app.state.host, request.path_params["importer"],
                                            current_site(request), file_format, actor=actor_of(request),
                                            app=request.app)
    media_type = XLSX if file_format == "xlsx" else f"{CSV}; charset=utf-8"
    return Response(data, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def routes():
    # The permission of each importer is checked by the service (it differs per importer);
    # the route lets in members of the site only.
    return [
        api_route(f"{BASE}/imports/{{importer}}", import_file, method="POST", permission=AUTHENTICATED,
                  query=ImportQuery, response=ReportOut, tags=["imports"], max_body_bytes=25_000_000,
                  responses={413: "The file is larger than the limit",
                             422: "The file or some rows were refused: nothing written"}),
        api_route(f"{BASE}/exports/{{importer}}.{{format}}", export_file, permission=AUTHENTICATED,
                  response=str, media_type=CSV, downloads=(XLSX,), tags=["imports"],
                  responses={404: "No such importer, or an extension other than .csv or .xlsx"}),
    ]
