"""Attendance pages under ``/sites/{site}/rostering``: the monthly sheet (``/attendance``, with
its CSV and XLSX downloads from the API), the clock buttons' posts (``/clock-in``,
``/clock-out``, back to where they came from) and a supervisor's correction of a record
(``/attendance/{id}``). Each form calls the service the API calls
(``plugins.rostering.attendance``)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.clock import local_time
from core.i18n import gettext as _
from core.identity.services import site_people
from core.problems import Problem, invalid
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.forms import FormErrors, form_action, form_int, form_strings
from core.web.routing import page_route, safe_next
from core.web.templating import render
from plugins.rostering import attendance, attendance_sheet
from plugins.rostering.models import Attendance, Roster

BASE = "/sites/{site}/rostering"
CLOCK = "rostering.attendance.clock"
READ = "rostering.attendance.read"
CORRECT = "rostering.roster.edit"
LOCAL_FORMAT = "%Y-%m-%d %H:%M"


async def sheet_page(request: Request) -> Response:
    """Deciders choose the month, department and person; everyone else sees their own sheet."""
    site, me = current_site(request), request.state.user
    deciders = can(request, READ)
    params = request.query_params
    values = {"month": params.get("month", "").strip(), "department": params.get("department", "").strip()[:40],
              "user_id": params.get("user_id", "").strip()}
    user_id = form_int(values, "user_id", lenient=True)
    errors, status = FormErrors(), 200
    if not deciders:
        if user_id not in (None, me.id):
            raise Problem(403, _("You may see only your own attendance (%(permission)s is needed for anyone else's).",
                                 permission=READ))
        user_id = me.id
    try:
        first = attendance_sheet.parse_month(site, values["month"])
    except Problem as problem:
        errors.fields["month"], status = problem.errors[0]["message"], 422
        first = attendance_sheet.parse_month(site, "")
    values["month"] = values["month"] if status == 422 else first.strftime("%Y-%m")
    sheet = await attendance_sheet.monthly_sheet(site, first, department=values["department"], user_id=user_id)
    departments = sorted(set(await site_query(request, Roster).values_list("department", flat=True)))
    people = [(str(user.id), user.display_name or user.username)
              for user in (await site_people(site.id)).values()] if deciders else []
    query = {key: value for key, value in (("month", first.strftime("%Y-%m")), ("department", values["department"]),
                                           ("user_id", str(user_id) if user_id else "")) if value}
    return render(request, "rostering/attendance.html", {
        "site": site, "sheet": sheet, "values": values, "errors": errors, "deciders": deciders,
        "departments": departments, "people": people, "may_correct": can(request, CORRECT),
        "download": f"/api/v1/sites/{site.code}/rostering/attendance/sheet?{urlencode(query)}",
    }, status_code=status)


async def _clock(request: Request, action: str) -> Response:
    """The clock buttons: POST, then back to ``next`` (the person's page by default); a
    refusal (already clocked in, nothing to clock out of) shows the buttons with the reason."""
    site = current_site(request)
    target = safe_next((await form_strings(request, ["next"]))["next"] or f"/sites/{site.code}/rostering/me")
    service = attendance.clock_in if action == "in" else attendance.clock_out
    try:
        await service(site, request.state.user, actor_of(request), bus=request.app.state.tasks.bus)
    except Problem as problem:
        return await clock_page(request, problem.detail, target, problem.status)
    return RedirectResponse(target, status_code=303)


async def clock_page(request: Request, message: str = "", target: str = "", status_code: int = 200) -> Response:
    site = current_site(request)
    current = await Attendance.filter(site_id=site.id, user_id=request.state.user.id, clock_out_at=None).first()
    return render(request, "rostering/attendance_clock.html", {
        "site": site, "message": message, "next": target or f"/sites/{site.code}/rostering/me",
        "current": current, "since": local_time(site, current.clock_in_at) if current else "",
    }, status_code=status_code)


async def clock_in_post(request: Request) -> Response:
    return await _clock(request, "in")


async def clock_out_post(request: Request) -> Response:
    return await _clock(request, "out")


async def clock_get(request: Request) -> Response:
    return await clock_page(request)


def _local_moment(site, text: str, field: str) -> dt.datetime | None:
    """``2026-12-01 07:05`` on the site's clock, as UTC; blank is None; else 422 naming ``field``."""
    if not text:
        return None
    try:
        moment = dt.datetime.strptime(text.replace("T", " "), LOCAL_FORMAT)
    except ValueError:
        raise invalid(field, _("Give the time as YYYY-MM-DD HH:MM on the site's clock.")) from None
    return moment.replace(tzinfo=ZoneInfo(site.timezone)).astimezone(dt.timezone.utc)


async def correct_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                       status_code: int = 200) -> Response:
    site = current_site(request)
    record = await get_in_site(request, Attendance, request.path_params["id"], _("attendance"))
    if values is None or status_code == 409:
        values = {"clock_in_at": local_time(site, record.clock_in_at),
                  "clock_out_at": local_time(site, record.clock_out_at), "reason": (values or {}).get("reason", "")}
    values["version"] = str(record.version)
    person = (await site_people(site.id)).get(record.user_id)
    return render(request, "rostering/attendance_correct.html", {
        "site": site, "record": record, "values": values, "errors": errors or FormErrors(),
        "name": (person.display_name or person.username) if person else str(record.user_id),
        "back": f"/sites/{site.code}/rostering/attendance?"
                + urlencode({"month": local_time(site, record.clock_in_at)[:7], "user_id": record.user_id}),
    }, status_code=status_code)


async def correct_post(request: Request) -> Response:
    """The service of ``PATCH /api/v1/sites/{site}/rostering/attendance/{id}``."""
    site = current_site(request)
    record = await get_in_site(request, Attendance, request.path_params["id"], _("attendance"))

    def prepare(form: dict) -> dict[str, Any]:
        moments = {name: _local_moment(site, form[name], name) for name in ("clock_in_at", "clock_out_at")}
        # A time shown unchanged is not a correction of it (its seconds would be lost).
        for name, before in (("clock_in_at", record.clock_in_at), ("clock_out_at", record.clock_out_at)):
            if form[name] == local_time(site, before):
                moments[name] = None
        return {**moments, "reason": form["reason"], "version": form_int(form, "version", required=True, hidden=True)}

    async def act(data: dict) -> Attendance:
        return await attendance.correct(site, record, actor_of(request), bus=request.app.state.tasks.bus, **data)

    async def again(errors: FormErrors, values: dict, status: int) -> Response:
        await record.refresh_from_db()
        return await correct_page(request, errors, values, status)

    return await form_action(request, fields=["clock_in_at", "clock_out_at", "reason", "version"], prepare=prepare,
                             act=act, page=again,
                             success_url=lambda done: f"/sites/{site.code}/rostering/attendance?" + urlencode(
                                 {"month": local_time(site, done.clock_in_at)[:7], "user_id": done.user_id}))


def routes():
    one = BASE + "/attendance/{id:int}"
    return [
        page_route(f"{BASE}/attendance", sheet_page, permission=CLOCK),
        page_route(f"{BASE}/clock", clock_get, permission=CLOCK),
        page_route(f"{BASE}/clock-in", clock_in_post, permission=CLOCK, methods=["POST"]),
        page_route(f"{BASE}/clock-out", clock_out_post, permission=CLOCK, methods=["POST"]),
        page_route(one, correct_page, permission=CORRECT),
        page_route(one, correct_post, permission=CORRECT, methods=["POST"]),
    ]
