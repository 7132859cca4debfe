"""Pages of rosters and shift patterns under ``/sites/{site}/rostering``: the rosters list,
the grid (people x days), shift patterns and the staff member's own page (``/me``).
Each form calls the same service as the API (``shifts``, ``rosters``)."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import Response

from core.entities import code_lists
from core.clock import local_time, local_today, utcnow
from core.i18n import gettext as _
from core.problems import Problem, invalid
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.forms import FormErrors, form_action, form_int
from core.web.routing import page_route
from core.web.templating import render
from plugins.rostering import duty_views, rosters, shifts
from plugins.rostering.code_lists import CERTIFICATE_KINDS, LEAVE_TYPES
from plugins.rostering.models import Duty, Roster, ShiftPattern
from plugins.rostering.roster_api import EDIT, READ, roster_in_site

SHIFT_FIELDS = ["department", "code", "name", "start", "end", "break_minutes", "min_staff",
                "required_certificates", "active", "position", "version"]


def _base(request: Request) -> str:
    return f"/sites/{current_site(request).code}/rostering"


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise invalid(field, _("Enter a date as YYYY-MM-DD.")) from None


# --- rosters list ---------------------------------------------------------------------------


async def roster_list(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                      status: int = 200) -> Response:
    site = current_site(request)
    found = site_query(request, Roster)
    if not can(request, EDIT):
        found = found.filter(status="published")
    today = local_today(site)
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7)
    departments = sorted(set(await site_query(request, ShiftPattern).values_list("department", flat=True)))
    return render(request, "rostering/rosters.html", {
        "site": site, "rosters": await found.order_by("-starts_on", "department").limit(200),
        "may_edit": can(request, EDIT), "departments": departments, "errors": errors or FormErrors(),
        "values": values or {"starts_on": monday.isoformat(), "ends_on": (monday + dt.timedelta(days=6)).isoformat()},
    }, status_code=status)


async def new_roster(request: Request) -> Response:
    site = current_site(request)

    async def page(errors: FormErrors, values: dict, status: int) -> Response:
        return await roster_list(request, errors, values, status)

    async def act(form: dict) -> Roster:
        data = {"department": form["department"], "starts_on": _date(form["starts_on"], "starts_on"),
                "ends_on": _date(form["ends_on"], "ends_on")}
        return await rosters.create(site, actor_of(request), data)

    return await form_action(request, fields=["department", "starts_on", "ends_on"], act=act, page=page,
                             success_url=lambda roster: f"{_base(request)}/rosters/{roster.id}")


# --- the grid -------------------------------------------------------------------------------


async def grid_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                    status: int = 200, roster: Roster | None = None) -> Response:
    site = current_site(request)
    roster = roster or await roster_in_site(request)
    await roster.refresh_from_db()
    data = await duty_views.grid(site, roster)
    return render(request, "rostering/grid.html", {
        "site": site, "roster": roster, "grid": data, "may_edit": can(request, EDIT),
        "errors": errors or FormErrors(), "values": values or {}, "copied": request.query_params.get("copied"),
        "skipped": request.query_params.get("skipped"),
    }, status_code=status)


async def grid_action(request: Request) -> Response:
    """The grid's forms: set a cell, clear it, copy last week, publish."""
    site = current_site(request)
    roster = await roster_in_site(request)
    action = request.path_params["action"]
    if action not in ("set", "clear", "copy", "publish"):
        raise Problem(404, _("Not found"))
    actor = actor_of(request)
    url = f"{_base(request)}/rosters/{roster.id}"

    async def page(errors: FormErrors, values: dict, status: int) -> Response:
        return await grid_page(request, errors, values, status, roster)

    async def act(form: dict):
        if action == "publish":
            return await rosters.publish(site, actor, roster, form_int(form, "version", required=True, hidden=True))
        if action == "copy":
            copied, skipped = await rosters.copy_previous(site, actor, roster)
            return f"{url}?copied={copied}&skipped={len(skipped)}"
        user_id = form_int(form, "user_id", required=True)
        day = _date(form["day"], "day")
        if action == "set":
            return await rosters.add_duty(site, actor, roster, {
                "user_id": user_id, "day": day, "shift_id": form_int(form, "shift_id", required=True)})
        ids = await Duty.filter(roster_id=roster.id, user_id=user_id, day=day).values_list("id", flat=True)
        for duty_id in ids:
            await rosters.remove_duty(site, actor, roster, duty_id)
        return None

    return await form_action(request, fields=["user_id", "day", "shift_id", "version"], act=act, page=page,
                             success_url=lambda result: result if isinstance(result, str) else url)


# --- shift patterns -------------------------------------------------------------------------


async def shift_list(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                     status: int = 200, editing: int | None = None) -> Response:
    site = current_site(request)
    return render(request, "rostering/shifts.html", {
        "site": site, "shifts": [shifts.shift_out(shift) for shift in await shifts.of_site(site)],
        "may_edit": can(request, EDIT), "errors": errors or FormErrors(), "values": values or {"active": "1"},
        "editing": editing, "certificate_labels": await code_lists.labels(site, CERTIFICATE_KINDS),
    }, status_code=status)


def _shift_data(form: dict, *, partial: bool) -> dict:
    data = {name: form[name] for name in ("department", "code", "name", "start", "end") if form.get(name)}
    for name in ("break_minutes", "min_staff", "position"):
        number = form_int(form, name)
        if number is not None:
            data[name] = number
    data["required_certificates"] = [code.strip() for code in form.get("required_certificates", "").split(",")
                                     if code.strip()]
    data["active"] = form.get("active") == "1"
    if not partial:
        for name in ("department", "code", "name", "start", "end"):
            data.setdefault(name, "")
    return data


async def new_shift(request: Request) -> Response:
    site = current_site(request)

    async def page(errors: FormErrors, values: dict, status: int) -> Response:
        return await shift_list(request, errors, values, status)

    async def act(form: dict) -> ShiftPattern:
        return await shifts.create(site, actor_of(request), _shift_data(form, partial=False))

    return await form_action(request, fields=SHIFT_FIELDS, act=act, page=page,
                             success_url=f"{_base(request)}/shifts")


async def edit_shift(request: Request) -> Response:
    site = current_site(request)
    shift = await get_in_site(request, ShiftPattern, request.path_params["id"], "shift")

    async def page(errors: FormErrors, values: dict, status: int) -> Response:
        return await shift_list(request, errors, values, status, editing=shift.id)

    async def act(form: dict) -> ShiftPattern:
        version = form_int(form, "version", required=True, hidden=True)
        return await shifts.update(shift, site, actor_of(request), _shift_data(form, partial=True), version)

    return await form_action(request, fields=SHIFT_FIELDS, act=act, page=page,
                             success_url=f"{_base(request)}/shifts")


# --- the staff member's own page ------------------------------------------------------------


async def me_page(request: Request) -> Response:
    from plugins.rostering.models import Certificate, LeaveRequest, SwapRequest

    site = current_site(request)
    user = request.state.user
    now = utcnow()
    duties = await duty_views.my_duties(site, user.id, now)
    for duty in duties:
        duty["from"], duty["to"] = local_time(site, duty["starts_at"]), local_time(site, duty["ends_at"])
    open_in = await duty_views.open_clock_in(site, user.id)
    return render(request, "rostering/me.html", {
        "site": site, "duties": duties, "open_in": open_in,
        "clocked_in_at": local_time(site, open_in["clock_in_at"]) if open_in else "",
        "swaps": await SwapRequest.filter(site_id=site.id, requester_id=user.id).order_by("-id").limit(20)
        .select_related("colleague"),
        "asked": await SwapRequest.filter(site_id=site.id, colleague_id=user.id, status="requested")
        .order_by("id").limit(20).select_related("requester"),
        "leaves": await LeaveRequest.filter(site_id=site.id, user_id=user.id).order_by("-starts_on").limit(20),
        "certificates": await Certificate.filter(site_id=site.id, user_id=user.id).order_by("expires_on"),
        # Leave types and certificate kinds are the site's code lists: their words, not codes.
        "leave_labels": await code_lists.labels(site, LEAVE_TYPES),
        "certificate_labels": await code_lists.labels(site, CERTIFICATE_KINDS),
        "today": local_today(site), "may_clock": can(request, "rostering.attendance.clock"),
        "may_request": can(request, "rostering.request.make"), "status_labels": {
            "requested": _("Requested"), "accepted": _("Accepted by the colleague"), "approved": _("Approved"),
            "declined": _("Declined"), "rejected": _("Rejected"), "cancelled": _("Cancelled")},
    })


def routes() -> list:
    base = "/sites/{site}/rostering"
    return [
        page_route(f"{base}/", roster_list, permission=READ),
        page_route(f"{base}/rosters/new", new_roster, permission=EDIT, methods=["POST"]),
        page_route(base + "/rosters/{id:int}", grid_page, permission=READ),
        page_route(base + "/rosters/{id:int}/{action:str}", grid_action, permission=EDIT, methods=["POST"]),
        page_route(f"{base}/shifts", shift_list, permission=READ),
        page_route(f"{base}/shifts/new", new_shift, permission=EDIT, methods=["POST"]),
        page_route(base + "/shifts/{id:int}", edit_shift, permission=EDIT, methods=["POST"]),
        page_route(f"{base}/me", me_page, permission="rostering.request.make"),
    ]
