"""The supervisor's board (who holds what, in which state) and the handover page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.web.templating import render
from core.tasks import handovers
from core.tasks.models import Handover, Task
from core.identity.services import site_people
from core.tasks.pages import task_row
from core.tasks.types import STATE_LABELS
from core.web.access import actor_of, current_site, get_in_site, site_query
from core.web.forms import FormErrors, form_action
from core.web.panels import shown_panels
from core.web.routing import page_route

BOARD_LIMIT = 2000
OPEN_STATES = ("open", "in_progress", "waiting", "resolved")


async def board(request: Request) -> Response:
    """Open tasks by assignee (rows) and state (columns), filtered by type and overdue."""
    site = current_site(request)
    types = request.app.state.tasks.types
    type_filter = request.query_params.get("type", "")
    overdue_only = request.query_params.get("overdue") == "1"
    tasks = site_query(request, Task).filter(is_open=True)
    if type_filter in types:
        tasks = tasks.filter(type=type_filter)
    if overdue_only:
        tasks = tasks.filter(overdue=True)
    rows = await tasks.order_by("-overdue", "due_at").limit(BOARD_LIMIT)
    people = await site_people(site.id)
    states = [state for state in OPEN_STATES if any(t.status == state for t in rows)] or list(OPEN_STATES[:2])
    grid: dict[int | None, dict[str, list]] = {}
    for task in rows:
        grid.setdefault(task.assignee_id, {state: [] for state in states}).setdefault(task.status, []).append(
            task_row(task, people, types))
    lanes = [{"assignee": people.get(uid), "cells": cells, "count": sum(len(v) for v in cells.values())}
             for uid, cells in sorted(grid.items(), key=lambda item: (item[0] is not None, item[0] or 0))]
    return render(request, "core/tasks/board.html", {
        "site": site, "lanes": lanes, "states": states, "types": list(types.values()),
        "type_filter": type_filter, "overdue_only": overdue_only, "total": len(rows),
        "truncated": len(rows) == BOARD_LIMIT, "state_labels": STATE_LABELS,
    })


async def handover_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                        status_code: int = 200) -> Response:
    site, user = current_site(request), request.state.user
    recent = await site_query(request, Handover).order_by("-id").limit(50)
    read_ids = set(await handovers.HandoverRead.filter(user_id=user.id, handover_id__in=[h.id for h in recent])
                   .values_list("handover_id", flat=True))
    people = await site_people(site.id)
    context = {
        "site": site, "errors": errors or FormErrors(), "values": values or {"department": user.department},
        "handovers": [{**handovers.handover_out(h, h.id in read_ids), "author": people.get(h.author_id)}
                      for h in recent],
    }
    # Plugins' panels (``page_panels``), e.g. who is on the next shift.
    context["page_panels"] = await shown_panels(request, "handovers", context)
    return render(request, "core/tasks/handovers.html", context, status_code=status_code)


async def handovers_post(request: Request) -> Response:
    site = current_site(request)

    async def page(errors: FormErrors, values: dict, status: int) -> Response:
        return await handover_page(request, errors, values, status)

    return await form_action(
        request, fields=("department", "body"), page=page, success_url=f"/sites/{site.code}/handovers",
        act=lambda values: handovers.write_handover(request.app.state.events, site.id, actor_of(request),
                                                    values["department"], values["body"]))


async def acknowledge(request: Request) -> Response:
    handover = await get_in_site(request, Handover, request.path_params["id"], "handover")
    await handovers.acknowledge(handover, request.state.user)
    return RedirectResponse(f"/sites/{current_site(request).code}/handovers", status_code=303)


def routes():
    base = "/sites/{site}"
    return [
        page_route(f"{base}/board", board, permission="core.task.assign"),
        page_route(f"{base}/handovers", handover_page, permission="core.handover.read"),
        page_route(f"{base}/handovers", handovers_post, permission="core.handover.write", methods=["POST"]),
        page_route(f"{base}/handovers/{{id:int}}/ack", acknowledge, permission="core.handover.read", methods=["POST"]),
    ]
