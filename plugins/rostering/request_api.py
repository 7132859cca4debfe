"""JSON routes of shift swaps and leave (``/api/v1/sites/{site}/rostering/swaps|leave``); the
rules are in ``plugins.rostering.swaps`` and ``plugins.rostering.leave``.

A staff member's lists hold their own requests (the swaps they asked for or were asked,
their leave); those who decide requests see the site's. Actions take ``{"version", "note"}``.
"""

from __future__ import annotations

from tortoise.expressions import Q
from starlette.requests import Request

from core.i18n import gettext as _
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.api import api_route
from core.web.pagination import filter_by, paginate
from plugins.rostering import leave as leaves
from plugins.rostering import swaps
from plugins.rostering.models import LeaveRequest, SwapRequest
from plugins.rostering.request_schemas import (DecisionIn, LeaveIn, LeaveOut, LeavePage, LeaveQuery, SwapIn,
                                               SwapOut, SwapPage, SwapQuery)

BASE = "/api/v1/sites/{site}/rostering"
MAKE = "rostering.request.make"
DECIDE = swaps.DECIDE


def bus_of(request: Request):
    return request.app.state.events


async def list_swaps(request: Request, query: SwapQuery) -> SwapPage:
    """Swap requests, newest first: one's own (asked or asked of), or the site's for deciders
    (``?status=``, ``?user_id=`` the requester or the colleague)."""
    rows = filter_by(site_query(request, SwapRequest), query, status="status")
    if query.user_id is not None:
        rows = rows.filter(Q(requester_id=query.user_id) | Q(colleague_id=query.user_id))
    if not can(request, DECIDE):
        me = actor_of(request).user_id
        rows = rows.filter(Q(requester_id=me) | Q(colleague_id=me))
    return await paginate(rows, query, swaps.swap_out, descending=True)


async def create_swap(request: Request, body: SwapIn) -> SwapOut:
    """Ask a colleague to take one of your published duties still to come (and give you
    theirs, ``colleague_duty_id``, in exchange)."""
    swap = await swaps.request_swap(current_site(request), actor_of(request), duty_id=body.duty_id,
                                    colleague_id=body.colleague_id, colleague_duty_id=body.colleague_duty_id,
                                    reason=body.reason, bus=bus_of(request))
    return swaps.swap_out(swap)


async def swap_of(request: Request) -> SwapRequest:
    return await get_in_site(request, SwapRequest, request.path_params["id"], _("swap request"))


async def accept_swap(request: Request, body: DecisionIn) -> SwapOut:
    """The colleague accepts (then a supervisor decides)."""
    swap = await swaps.answer(current_site(request), actor_of(request), await swap_of(request), body.version,
                              True, bus=bus_of(request))
    return swaps.swap_out(swap)


async def decline_swap(request: Request, body: DecisionIn) -> SwapOut:
    """The colleague declines."""
    swap = await swaps.answer(current_site(request), actor_of(request), await swap_of(request), body.version,
                              False, bus=bus_of(request))
    return swaps.swap_out(swap)


async def approve_swap(request: Request, body: DecisionIn) -> SwapOut:
    """Approve an accepted swap: the duties change hands, once the rules pass (409 naming the
    conflict otherwise: overlap, rest, leave, certificate, minimum staffing)."""
    swap = await swaps.approve(current_site(request), actor_of(request), await swap_of(request), body.version,
                               body.note, bus=bus_of(request))
    return swaps.swap_out(swap)


async def reject_swap(request: Request, body: DecisionIn) -> SwapOut:
    """Refuse an open swap."""
    swap = await swaps.reject(current_site(request), actor_of(request), await swap_of(request), body.version,
                              body.note, bus=bus_of(request))
    return swaps.swap_out(swap)


async def cancel_swap(request: Request, body: DecisionIn) -> SwapOut:
    """The requester withdraws an open swap."""
    swap = await swaps.cancel(current_site(request), actor_of(request), await swap_of(request), body.version,
                              bus=bus_of(request))
    return swaps.swap_out(swap)


async def list_leave(request: Request, query: LeaveQuery) -> LeavePage:
    """Leave requests, newest first: one's own, or the site's for deciders (``?status=``, ``?user_id=``)."""
    rows = filter_by(site_query(request, LeaveRequest), query, status="status", user_id="user_id")
    if not can(request, DECIDE):
        rows = rows.filter(user_id=actor_of(request).user_id)
    return await paginate(rows, query, leaves.leave_out, descending=True)


async def create_leave(request: Request, body: LeaveIn) -> LeaveOut:
    """Ask for leave (deciders may name someone else in ``user_id``)."""
    leave = await leaves.request_leave(current_site(request), actor_of(request), leave_type=body.leave_type,
                                       starts_on=body.starts_on, ends_on=body.ends_on, start_half=body.start_half,
                                       end_half=body.end_half, reason=body.reason, user_id=body.user_id,
                                       bus=bus_of(request))
    return leaves.leave_out(leave)


async def leave_of(request: Request) -> LeaveRequest:
    return await get_in_site(request, LeaveRequest, request.path_params["id"], _("leave request"))


async def approve_leave(request: Request, body: DecisionIn) -> LeaveOut:
    """Approve: the person's duties inside the leave come off the roster (409 naming a shift
    left under its minimum)."""
    leave = await leaves.approve(current_site(request), actor_of(request), await leave_of(request), body.version,
                                 body.note, bus=bus_of(request))
    return leaves.leave_out(leave)


async def reject_leave(request: Request, body: DecisionIn) -> LeaveOut:
    """Refuse a waiting leave (the reason in ``note``)."""
    leave = await leaves.reject(current_site(request), actor_of(request), await leave_of(request), body.version,
                                body.note, bus=bus_of(request))
    return leaves.leave_out(leave)


async def cancel_leave(request: Request, body: DecisionIn) -> LeaveOut:
    """Withdraw a waiting leave (its person), or cancel an approved one (a supervisor; the
    removed duties are not put back)."""
    leave = await leaves.cancel(current_site(request), actor_of(request), await leave_of(request), body.version,
                                body.note, bus=bus_of(request))
    return leaves.leave_out(leave)


def routes() -> list:
    tags = ["rostering"]
    swap = BASE + "/swaps/{id:int}"
    leave = BASE + "/leave/{id:int}"
    conflict = {409: "The request changed meanwhile, is decided already, or the change breaks a roster rule"}
    return [
        api_route(f"{BASE}/swaps", list_swaps, permission=MAKE, query=SwapQuery, response=SwapPage, tags=tags),
        api_route(f"{BASE}/swaps", create_swap, method="POST", permission=MAKE, body=SwapIn, response=SwapOut,
                  status_code=201, tags=tags, responses={409: "The duty already has an open swap request"}),
        api_route(f"{swap}/accept", accept_swap, method="POST", permission=MAKE, body=DecisionIn, response=SwapOut,
                  tags=tags, responses=conflict),
        api_route(f"{swap}/decline", decline_swap, method="POST", permission=MAKE, body=DecisionIn,
                  response=SwapOut, tags=tags, responses=conflict),
        api_route(f"{swap}/approve", approve_swap, method="POST", permission=DECIDE, body=DecisionIn,
                  response=SwapOut, tags=tags, responses=conflict),
        api_route(f"{swap}/reject", reject_swap, method="POST", permission=DECIDE, body=DecisionIn,
                  response=SwapOut, tags=tags, responses=conflict),
        api_route(f"{swap}/cancel", cancel_swap, method="POST", permission=MAKE, body=DecisionIn,
                  response=SwapOut, tags=tags, responses=conflict),
        api_route(f"{BASE}/leave", list_leave, permission=MAKE, query=LeaveQuery, response=LeavePage, tags=tags),
        api_route(f"{BASE}/leave", create_leave, method="POST", permission=MAKE, body=LeaveIn, response=LeaveOut,
                  status_code=201, tags=tags, responses={409: "The leave overlaps another of the same person"}),
        api_route(f"{leave}/approve", approve_leave, method="POST", permission=DECIDE, body=DecisionIn,
                  response=LeaveOut, tags=tags, responses=conflict),
        api_route(f"{leave}/reject", reject_leave, method="POST", permission=DECIDE, body=DecisionIn,
                  response=LeaveOut, tags=tags, responses=conflict),
        api_route(f"{leave}/cancel", cancel_leave, method="POST", permission=MAKE, body=DecisionIn,
                  response=LeaveOut, tags=tags, responses=conflict),
    ]
