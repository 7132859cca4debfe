"""Attendance's JSON routes under ``/api/v1/sites/{site}/rostering/attendance``: clock in
and out, the records, a supervisor's correction and the monthly sheet (JSON, CSV, XLSX).

Everyone who clocks in reads their own records and sheet; the records and sheets of
others need ``rostering.attendance.read`` (asking for another's is a 403)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.clock import local_day_bounds
from core.exports import tables_csv, xlsx_bytes
from core.i18n import gettext as _
from core.problems import Problem
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.api import CSV, XLSX, api_route
from core.web.pagination import filter_by, paginate
from plugins.rostering import attendance, attendance_sheet
from plugins.rostering.attendance_schemas import (AttendanceOut, AttendancePage, AttendanceQuery,
                                                  CorrectionIn, SheetOut, SheetQuery)
from plugins.rostering.models import Attendance

BASE = "/api/v1/sites/{site}/rostering/attendance"
CLOCK = "rostering.attendance.clock"
READ = "rostering.attendance.read"
CORRECT = "rostering.roster.edit"


def whose(request: Request, user_id: int | None) -> int | None:
    """The person a read is about: anyone for those who read attendance (None: everyone),
    else the caller only (another's is a 403)."""
    me = request.state.user.id
    if can(request, READ):
        return user_id
    if user_id is not None and user_id != me:
        raise Problem(403, _("You may see only your own attendance (%(permission)s is needed for anyone else's).",
                             permission=READ))
    return me


async def clock_in(request: Request) -> AttendanceOut:
    """Clock in at this site now: linked to your published duty starting within the
    window or under way (late flagged); 409 while one is open."""
    record = await attendance.clock_in(current_site(request), request.state.user, actor_of(request),
                                       bus=request.app.state.tasks.bus)
    return attendance.attendance_out(record)


async def clock_out(request: Request) -> AttendanceOut:
    """Clock out of your open attendance here (early flagged); 409 when none is open."""
    record = await attendance.clock_out(current_site(request), request.state.user, actor_of(request),
                                        bus=request.app.state.tasks.bus)
    return attendance.attendance_out(record)


async def list_attendance(request: Request, query: AttendanceQuery) -> AttendancePage:
    """Attendance records, newest first (``user_id``, ``duty_id``, ``open``, ``from``/``to``
    site-local days); your own only without ``rostering.attendance.read``."""
    site = current_site(request)
    rows = filter_by(site_query(request, Attendance), query, duty_id="duty_id")
    if (person := whose(request, query.user_id)) is not None:
        rows = rows.filter(user_id=person)
    if query.open is not None:
        rows = rows.filter(clock_out_at__isnull=query.open)
    if query.from_ is not None:
        rows = rows.filter(clock_in_at__gte=local_day_bounds(site, query.from_)[0])
    if query.to is not None:
        rows = rows.filter(clock_in_at__lt=local_day_bounds(site, query.to)[1])
    return await paginate(rows, query, attendance.attendance_out, descending=True)


async def get_attendance(request: Request) -> AttendanceOut:
    record = await get_in_site(request, Attendance, request.path_params["id"], _("attendance"))
    if record.user_id != request.state.user.id and not can(request, READ):
        raise Problem(404, _("No %(what)s with id %(id)s here.", what=_("attendance"), id=record.id))
    return attendance.attendance_out(record)


async def correct_attendance(request: Request, body: CorrectionIn) -> AttendanceOut:
    """A supervisor sets the clock-in and/or clock-out of a record, with a reason (versioned,
    audited); a clock-out at or before the clock-in is 422 naming ``clock_out_at``."""
    record = await get_in_site(request, Attendance, request.path_params["id"], _("attendance"))
    record = await attendance.correct(current_site(request), record, actor_of(request), reason=body.reason,
                                      version=body.version, clock_in_at=body.clock_in_at,
                                      clock_out_at=body.clock_out_at, bus=request.app.state.tasks.bus)
    return attendance.attendance_out(record)


def download(site, sheet: dict, fmt: str) -> Response:
    tables = attendance_sheet.sheet_tables(sheet)
    name = f"attendance-{site.code}-{sheet['month']}"
    if fmt == "csv":
        return Response(tables_csv(tables), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(xlsx_bytes(tables), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


async def attendance_sheet_view(request: Request, query: SheetQuery) -> SheetOut:
    """The monthly attendance sheet (``month=YYYY-MM``, ``department``, ``user_id``;
    ``format=csv|xlsx`` to download): each person's duties and attendance by day, and totals."""
    site = current_site(request)
    first = attendance_sheet.parse_month(site, query.month)
    sheet = await attendance_sheet.monthly_sheet(site, first, department=query.department,
                                                 user_id=whose(request, query.user_id))
    if query.format == "json":
        return sheet
    return download(site, sheet, query.format)


def routes() -> list:
    tags = ["rostering"]
    return [
        api_route(f"{BASE}/clock-in", clock_in, method="POST", permission=CLOCK, response=AttendanceOut,
                  status_code=201, tags=tags),
        api_route(f"{BASE}/clock-out", clock_out, method="POST", permission=CLOCK, response=AttendanceOut,
                  tags=tags),
        api_route(BASE, list_attendance, permission=CLOCK, query=AttendanceQuery, response=AttendancePage, tags=tags),
        api_route(f"{BASE}/sheet", attendance_sheet_view, permission=CLOCK, query=SheetQuery, response=SheetOut,
                  tags=tags, downloads=(CSV, XLSX)),
        api_route(BASE + "/{id:int}", get_attendance, permission=CLOCK, response=AttendanceOut, tags=tags),
        api_route(BASE + "/{id:int}", correct_attendance, method="PATCH", permission=CORRECT, body=CorrectionIn,
                  response=AttendanceOut, tags=tags),
    ]
