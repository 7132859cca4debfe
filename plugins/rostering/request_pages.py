"""Swap and leave pages: the supervisor's queue (``/requests``), the forms that ask for a swap or
for leave, and the POST actions (accept, decline, approve, reject, cancel) that the queue and
the staff member's ``/me`` page post to. Each form calls the service the API calls."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.clock import local_time, utcnow
from core.entities import code_lists
from core.i18n import gettext as _
from core.identity.services import site_people
from core.problems import Problem
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.forms import FormErrors, form_action, form_int, form_strings, problem_errors
from core.web.routing import page_route
from core.web.templating import render
from plugins.rostering import leave as leaves
from plugins.rostering import swaps
from plugins.rostering.code_lists import LEAVE_TYPES
from plugins.rostering.models import Duty, LeaveRequest, SwapRequest
from plugins.rostering.request_schemas import LeaveIn, SwapIn

BASE = "/sites/{site}/rostering"
MAKE = "rostering.request.make"
DECIDE = swaps.DECIDE
SWAP_ACTIONS = ("accept", "decline", "approve", "reject", "cancel")
LEAVE_ACTIONS = ("approve", "reject", "cancel")
#: How far ahead the swap form lists duties (a longer list would not fit a select).
FORM_DAYS = 62


def names(people: dict) -> dict[int, str]:
    return {user_id: user.display_name or user.username for user_id, user in people.items()}


def duty_label(site, duty: dict[str, Any], who: str = "") -> str:
    text = f"{duty['day']} {duty['shift_name']} ({local_time(site, duty['starts_at'])[-5:]}–" \
           f"{local_time(site, duty['ends_at'])[-5:]})"
    return f"{who}: {text}" if who else text


def back_to(request: Request, site, value: str) -> str:
    """The page an action returns to: ``/me`` or ``/requests`` of this site (``next`` is the
    word or the path), nothing else
    (a ``next`` pointing elsewhere is not followed: no open redirect)."""
    base = f"/sites/{site.code}/rostering"
    wants_queue = value in ("requests", f"{base}/requests")
    return f"{base}/requests" if wants_queue and can(request, DECIDE) else f"{base}/me"


# --- the supervisor's queue --------------------------------------------------------------------


async def requests_page(request: Request, errors: FormErrors | None = None, failed: str = "",
                        status_code: int = 200) -> Response:
    site = current_site(request)
    people = names(await site_people(site.id))
    waiting_swaps = await site_query(request, SwapRequest).filter(status__in=list(swaps.OPEN)).order_by("id")
    waiting_leave = await site_query(request, LeaveRequest).filter(status="requested").order_by("starts_on", "id")
    recent_leave = await (site_query(request, LeaveRequest).filter(status__in=["approved", "rejected", "cancelled"])
                          .order_by("-updated_at").limit(20))
    recent_swaps = await (site_query(request, SwapRequest).filter(status__in=["approved", "rejected", "declined",
                                                                              "cancelled"])
                          .order_by("-updated_at").limit(20))
    return render(request, "rostering/requests.html", {
        "site": site, "people": people, "errors": errors or FormErrors(), "failed": failed,
        "accepted_swaps": [swaps.swap_out(s) for s in waiting_swaps if s.status == "accepted"],
        "asked_swaps": [swaps.swap_out(s) for s in waiting_swaps if s.status == "requested"],
        "waiting_leave": [leaves.leave_out(leave) for leave in waiting_leave],
        "recent_swaps": [swaps.swap_out(s) for s in recent_swaps],
        "recent_leave": [leaves.leave_out(leave) for leave in recent_leave],
        "leave_types": await code_lists.labels(site, LEAVE_TYPES),
        "swap_statuses": {key: _(label) for key, label in swaps.STATUS_LABELS.items()},
        "leave_statuses": {key: _(label) for key, label in leaves.STATUS_LABELS.items()},
        "label": lambda duty, who="": duty_label(site, duty, who) if duty else _("(removed)"),
        "local": lambda moment: local_time(site, moment),
    }, status_code=status_code)


# --- a new swap --------------------------------------------------------------------------------


async def swap_form(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                    status_code: int = 200) -> Response:
    site = current_site(request)
    me = actor_of(request).user_id
    people = names(await site_people(site.id))
    now = utcnow()
    published = site_query(request, Duty).filter(starts_at__gt=now, roster__status="published")
    # One's own duties to come, however far (a person has few); colleagues' only in the
    # next weeks, else the list would hold the whole site's roster.
    own = await published.filter(user_id=me).select_related("shift").order_by("starts_at").limit(200)
    others = await (published.filter(starts_at__lt=now + dt.timedelta(days=FORM_DAYS)).exclude(user_id=me)
                    .select_related("shift").order_by("starts_at").limit(1000))
    mine = [(str(d.id), duty_label(site, swaps.duty_snapshot(d))) for d in own]
    theirs = [(str(d.id), duty_label(site, swaps.duty_snapshot(d), people.get(d.user_id, ""))) for d in others]
    colleagues = [(str(user_id), name) for user_id, name in sorted(people.items(), key=lambda p: p[1])
                  if user_id != me]
    return render(request, "rostering/swap_new.html", {
        "site": site, "errors": errors or FormErrors(), "values": values or {}, "mine": mine, "theirs": theirs,
        "colleagues": colleagues,
    }, status_code=status_code)


async def swap_post(request: Request) -> Response:
    """The same service as ``POST /api/v1/sites/{site}/rostering/swaps``."""
    site = current_site(request)

    def prepare(form: dict) -> dict:
        return {"duty_id": form_int(form, "duty_id", required=True),
                "colleague_id": form_int(form, "colleague_id", required=True),
                "colleague_duty_id": form_int(form, "colleague_duty_id"), "reason": form["reason"]}

    async def act(body: SwapIn) -> SwapRequest:
        return await swaps.request_swap(site, actor_of(request), duty_id=body.duty_id,
                                        colleague_id=body.colleague_id, colleague_duty_id=body.colleague_duty_id,
                                        reason=body.reason, bus=request.app.state.events)

    return await form_action(request, fields=["duty_id", "colleague_id", "colleague_duty_id", "reason"],
                             prepare=prepare, schema=SwapIn, act=act, page=lambda e, v, s: swap_form(request, e, v, s),
                             success_url=f"/sites/{site.code}/rostering/me")


# --- a new leave -------------------------------------------------------------------------------


async def leave_form(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                     status_code: int = 200) -> Response:
    site = current_site(request)
    decider = can(request, DECIDE)
    people = names(await site_people(site.id)) if decider else {}
    types = [(item.code, code_lists.shown_label(item))
             for item in await code_lists.items(site, LEAVE_TYPES, active_only=True)]
    return render(request, "rostering/leave_new.html", {
        "site": site, "errors": errors or FormErrors(), "values": values or {}, "types": types,
        "decider": decider, "people": sorted(((str(i), n) for i, n in people.items()), key=lambda p: p[1]),
    }, status_code=status_code)


async def leave_post(request: Request) -> Response:
    """The same service as ``POST /api/v1/sites/{site}/rostering/leave``."""
    site = current_site(request)

    def prepare(form: dict) -> dict:
        return {**form, "user_id": form_int(form, "user_id")}

    async def act(body: LeaveIn) -> LeaveRequest:
        return await leaves.request_leave(site, actor_of(request), leave_type=body.leave_type,
                                          starts_on=body.starts_on, ends_on=body.ends_on,
                                          start_half=body.start_half, end_half=body.end_half, reason=body.reason,
                                          user_id=body.user_id, bus=request.app.state.events)

    return await form_action(request, fields=["user_id", "leave_type", "starts_on", "ends_on", "start_half",
                                              "end_half", "reason"],
                             prepare=prepare, schema=LeaveIn, act=act,
                             page=lambda e, v, s: leave_form(request, e, v, s),
                             success_url=f"/sites/{site.code}/rostering/me")


# --- the actions -------------------------------------------------------------------------------


async def refused(request: Request, problem: Problem, next_page: str) -> Response:
    """A refused action: the queue re-shown with the reason for a decider who came from it,
    else a short page with the reason and the way back."""
    site = current_site(request)
    errors = problem_errors(problem)
    if next_page.endswith("/requests"):
        return await requests_page(request, errors, problem.detail, problem.status)
    return render(request, "rostering/requests_refused.html", {"site": site, "errors": errors,
                                                               "back": next_page}, status_code=problem.status)


async def _act(request: Request, kind: str, actions: tuple[str, ...]) -> Response:
    site, actor = current_site(request), actor_of(request)
    action = request.path_params["action"]
    form = await form_strings(request, ["version", "note", "next"])
    next_page = back_to(request, site, form["next"])
    bus = request.app.state.events
    try:
        if action not in actions:
            raise Problem(404, _("Not found"))
        version = form_int(form, "version", required=True, hidden=True)
        if kind == "swap":
            swap = await get_in_site(request, SwapRequest, request.path_params["id"], _("swap request"))
            if action in ("accept", "decline"):
                await swaps.answer(site, actor, swap, version, action == "accept", bus=bus)
            elif action == "cancel":
                await swaps.cancel(site, actor, swap, version, bus=bus)
            else:
                await getattr(swaps, action)(site, actor, swap, version, form["note"], bus=bus)
        else:
            leave = await get_in_site(request, LeaveRequest, request.path_params["id"], _("leave request"))
            await getattr(leaves, action)(site, actor, leave, version, form["note"], bus=bus)
    except Problem as problem:
        return await refused(request, problem, next_page)
    return RedirectResponse(next_page, status_code=303)


async def swap_action(request: Request) -> Response:
    """``accept|decline|approve|reject|cancel``: the services of ``POST .../swaps/{id}/<action>``."""
    return await _act(request, "swap", SWAP_ACTIONS)


async def leave_action(request: Request) -> Response:
    """``approve|reject|cancel``: the services of ``POST .../leave/{id}/<action>``."""
    return await _act(request, "leave", LEAVE_ACTIONS)


def routes():
    return [
        page_route(f"{BASE}/requests", requests_page, permission=DECIDE),
        page_route(f"{BASE}/swaps/new", swap_form, permission=MAKE),
        page_route(f"{BASE}/swaps/new", swap_post, permission=MAKE, methods=["POST"]),
        page_route(f"{BASE}/leave/new", leave_form, permission=MAKE),
        page_route(f"{BASE}/leave/new", leave_post, permission=MAKE, methods=["POST"]),
        page_route(BASE + "/swaps/{id:int}/{action}", swap_action, permission=MAKE, methods=["POST"]),
        page_route(BASE + "/leave/{id:int}/{action}", leave_action, permission=MAKE, methods=["POST"]),
    ]
