"""JSON routes of the task kernel, the live event stream and handovers."""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import StreamingResponse

from core import event_log
from core.events import LiveEvent, format_sse
from core.identity import sessions
from core.permissions import AUTHENTICATED
from core.tasks import handovers, stats
from core.tasks.models import Handover, Task, TaskEvent
from core.tasks.schemas import (AssignIn, GenericUseOut, CommentIn, EventOut, HandoverIn, HandoverOut, HandoverPage, HandoverQuery,
                                StatsOut, StatsQuery, TaskIn, TaskOut, TaskPage, TaskQuery, TaskTypeOut, TransitionIn,
                                WatcherIn, WatcherOut)
from core.tasks.services import TASK_COLUMNS, event_out, task_out
from core.web.access import actor_of, authorize, can, current_site, get_in_site, site_query
from core.web.api import api_route
from core.web.pagination import filter_by, given_filters, paginate, paginate_equal

log = logging.getLogger("frontdesk.events")

KEEPALIVE_SECONDS = 15
#: The browser's wait before it reconnects a lost stream, and after the server stops one.
RETRY_MS = 3000
SHUTDOWN_RETRY_MS = 1000
#: How often an open event stream re-checks that its session or token still holds and
#: its caller is still a member of the site (so a revoked sign-in ends it within seconds).
PRINCIPAL_CHECK_SECONDS = 5.0
#: An arriving event triggers a re-check only when the last one is older than this: a
#: burst of events costs one query, not one each.
EVENT_CHECK_SECONDS = 1.0
_TICK = object()  # the stream's own timer, not an event


def kernel(request: Request):
    return request.app.state.tasks


async def list_task_types(request: Request) -> list[TaskTypeOut]:
    """Every task type the loaded plugins declare, with its workflow."""
    return [
        TaskTypeOut(name=t.name, label=str(t.label), plugin=t.plugin or "core", states=t.workflow.states,
                    transitions={state: list(targets) for state, targets in t.workflow.transitions.items()},
                    default_sla_minutes=t.default_sla_minutes,
                    generic=GenericUseOut(create=t.generic.create, cancel=t.generic.cancel, close=t.generic.close),
                    owner_endpoint=t.owner_endpoint, cancel_permission=t.cancel_permission)
        for t in kernel(request).types.values()
    ]


async def create_task(request: Request, body: TaskIn) -> TaskOut:
    """Create a task; its SLA sets the due time unless one is given."""
    task = await kernel(request).create(current_site(request), actor_of(request), generic=True, **body.model_dump())
    return task_out(task)


async def list_tasks(request: Request, query: TaskQuery) -> TaskPage:
    """Tasks of the site, newest first, with filters; ``watching=me``: the ones the caller
    watches (which needs no core.task.read)."""
    equal = given_filters(query, status="status", type="type", assignee_id="assignee_id", overdue="overdue",
                          open="is_open")
    site = current_site(request)
    if query.watching == "me":
        watched = Task.filter(site_id=site.id, watchers__user_id=request.state.user.id, **equal)
        return await paginate(watched, query, task_out, descending=True, columns=TASK_COLUMNS)
    await _require(request, "core.task.read")
    return await paginate_equal(Task, TASK_COLUMNS, query, task_out, site_id=site.id, equal=equal, descending=True)


async def _require(request: Request, permission: str) -> None:
    """403 (audited) as the route itself would refuse, unless the caller holds it."""
    if not can(request, permission):
        await authorize(request, permission)


async def _task(request: Request) -> Task:
    return await get_in_site(request, Task, request.path_params["id"], "task")


async def _watched_task(request: Request, permission: str = "core.task.read") -> Task:
    """The task in the path, for a caller holding ``permission`` or watching it; anyone
    else is refused as without the permission (403, whether or not the task exists)."""
    if can(request, permission):
        return await _task(request)
    # (ids beyond the key's range never get here: ``refuse_unnameable_path``)
    task = await Task.get_or_none(id=request.path_params["id"], site_id=current_site(request).id)
    if task is None or not await kernel(request).watches(task, request.state.user.id):
        await authorize(request, permission)
    return task


async def get_task(request: Request) -> TaskOut:
    """A task, with its watchers; for core.task.read or its watchers."""
    task = await _watched_task(request)
    return {**task_out(task), "watchers": [w["user_id"] for w in await kernel(request).watchers(task)]}


async def transition_task(request: Request, body: TransitionIn) -> TaskOut:
    """Move a task along its workflow (409 lists the allowed states). Cancelling needs a
    reason (``note``); a plugin's type may be finished or cancelled only through its record."""
    task = await kernel(request).transition(
        await _task(request), body.to, body.version, actor_of(request), note=body.note,
        may_work_any=can(request, "core.task.assign"), generic=True)
    return task_out(task)


async def assign_task(request: Request, body: AssignIn) -> TaskOut:
    """Give the task to someone, or to the least-loaded eligible person ("balanced")."""
    balanced = body.assignee_id == "balanced"
    task = await kernel(request).assign(await _task(request), None if balanced else body.assignee_id, balanced,
                                        body.version, request.state.user, request.state.client_address)
    return task_out(task)


async def comment_task(request: Request, body: CommentIn) -> EventOut:
    """Comment on a task: core.task.work, or its watchers."""
    event = await kernel(request).comment(await _watched_task(request, "core.task.work"), body.body,
                                          request.state.user, client_address=request.state.client_address)
    return event_out(event)


async def task_events(request: Request) -> list[EventOut]:
    """The task's history, oldest first. Append-only. For core.task.read or its watchers."""
    task = await _watched_task(request)
    return [event_out(event) for event in await TaskEvent.filter(task_id=task.id).order_by("id")]


async def list_watchers(request: Request) -> list[WatcherOut]:
    """Who watches the task (its taker once it went to someone else, and those added)."""
    return await kernel(request).watchers(await _watched_task(request))


async def add_watcher(request: Request, body: WatcherIn) -> WatcherOut:
    """Watch a task (``user_id`` left out: the caller); someone else only by a supervisor."""
    task = await _task(request)
    watcher = await kernel(request).add_watcher(task, body.user_id, actor_of(request))
    return next(w for w in await kernel(request).watchers(task) if w["user_id"] == watcher.user_id)


async def remove_watcher(request: Request) -> None:
    """Stop watching (oneself), or remove someone (a supervisor)."""
    task = await _watched_task(request)
    await kernel(request).remove_watcher(task, request.path_params["user_id"], actor_of(request))


async def task_stats(request: Request, query: StatsQuery) -> StatsOut:
    """Counts by status, on-time first response and resolution rates, average times."""
    return await stats.task_stats(current_site(request).id, kernel(request).types, type_name=query.type,
                                  since=query.since, until=query.until)


async def live_events(request: Request) -> StreamingResponse:
    """Server-sent events of the site: task.created, task.transitioned, hotel.room.changed, ...

    Only events the caller may see at this site; shared by every worker on PostgreSQL.
    The stream re-checks its caller (``sessions.still_holds``) every
    ``PRINCIPAL_CHECK_SECONDS`` and before an event when the last check is older than
    ``EVENT_CHECK_SECONDS``: it ends soon after a logout, a revoked token, a password
    change, a disabled user or a removed membership, on any worker, and follows a changed role.

    Each event carries its id (``id:``). A browser reconnecting with ``Last-Event-ID`` (or
    ``?last_event_id=``, for polyfills that cannot send the header) first receives the
    events it missed that it may see, then the live ones; when they are no longer all kept
    (``core.event_log``), a ``resync`` event: the page reloads its data. When the server
    stops, the stream ends with a retry hint and the browser reconnects (to another process).
    """
    site = current_site(request)
    bus = request.app.state.events
    settings = request.app.state.settings
    principal = request.state.session or request.state.token
    last_id = _last_event_id(request)
    subscription = bus.subscribe(site.id, request.state.permissions_by_site.get(site.id, set()),
                                 user_id=request.state.user.id)
    try:  # subscribed first: what is published while the log is read waits in the queue
        missed = await event_log.after(site.id, last_id) if last_id is not None and bus.record else []
        start_id = await event_log.newest(site.id) if last_id is None and bus.record else None
    except Exception:
        bus.unsubscribe(subscription)
        raise

    async def stream():
        loop = asyncio.get_running_loop()
        checked = written = loop.time()  # the request itself was just checked
        replayed: set[int] = set()  # also queued when published while the log was read
        try:
            head = f"retry: {RETRY_MS}\n"
            if last_id is None:  # the site's newest id: the first reconnection misses nothing either
                head += f"id: {start_id or 0}\n"
            yield (head + ": connected\n\n").encode()
            if missed is None:
                newest = await event_log.newest(site.id)
                yield f"id: {newest or last_id}\nevent: resync\ndata: {{}}\n\n".encode()
            else:
                for values in missed:
                    event = LiveEvent(**values)
                    replayed.add(event.id)
                    if subscription.wants(event):
                        yield format_sse(event)
            while True:
                wait = min(checked + PRINCIPAL_CHECK_SECONDS, written + KEEPALIVE_SECONDS) - loop.time()
                try:
                    event = await asyncio.wait_for(subscription.queue.get(), timeout=max(wait, 0))
                except asyncio.TimeoutError:
                    event = _TICK
                if event is None:  # the app is shutting down: come back soon (to another process)
                    yield f"retry: {SHUTDOWN_RETRY_MS}\n: server stopping\n\n".encode()
                    return
                now = loop.time()
                if now - checked >= (PRINCIPAL_CHECK_SECONDS if event is _TICK else EVENT_CHECK_SECONDS):
                    try:
                        granted = await sessions.still_holds(settings, principal, site.id)
                    except Exception:  # cannot tell: fail closed, the browser reconnects
                        log.warning("live stream: re-checking its caller failed", exc_info=True)
                        return
                    if granted is None:
                        return
                    subscription.permissions, checked = granted, now
                if event is _TICK:
                    if now - written >= KEEPALIVE_SECONDS:
                        yield b": keepalive\n\n"
                        written = now
                elif event.id in replayed:
                    continue
                elif subscription.wants(event):  # permissions may have narrowed since it was queued
                    yield format_sse(event)
                    written = now
        finally:
            bus.unsubscribe(subscription)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _last_event_id(request: Request) -> int | None:
    """The id the browser saw last (``Last-Event-ID``, or ``?last_event_id=``); None when
    it sends none or something that is not an id (then it starts afresh)."""
    value = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    if value is None or not value.strip().isdigit() or len(value.strip()) > 18:
        return None
    return int(value.strip())


async def list_handovers(request: Request, query: HandoverQuery) -> HandoverPage:
    """Handovers of the site, newest first; ``unread=true``: the caller's department's unread ones."""
    user, site = request.state.user, current_site(request)
    records = handovers.unread_for(user, site.id) if query.unread else site_query(request, Handover)
    records = filter_by(records, query, department="department")
    page = await paginate(records, query, lambda handover: handover, descending=True)
    read_ids = set(await handovers.HandoverRead.filter(
        user_id=user.id, handover_id__in=[h.id for h in page["items"]]).values_list("handover_id", flat=True))
    page["items"] = [handovers.handover_out(h, h.id in read_ids) for h in page["items"]]
    return page


async def write_handover(request: Request, body: HandoverIn) -> HandoverOut:
    handover = await handovers.write_handover(
        request.app.state.events, current_site(request).id, actor_of(request), body.department, body.body,
        [item.model_dump() for item in body.items])
    return handovers.handover_out(handover, True)


async def acknowledge_handover(request: Request) -> HandoverOut:
    handover = await get_in_site(request, Handover, request.path_params["id"], "handover")
    await handovers.acknowledge(handover, request.state.user)
    return handovers.handover_out(handover, True)


def routes():
    base = "/api/v1/sites/{site}"
    task = f"{base}/tasks/{{id:int}}"
    tags = ["tasks"]
    stale = {409: "Stale version (body has `current`), illegal transition (body has `allowed`) or a rule refused it"}
    return [
        api_route("/api/v1/task-types", list_task_types, permission=AUTHENTICATED, response=list[TaskTypeOut], tags=tags),
        # Reading a task and commenting are open to its watchers: the routes let every member
        # in and the endpoints ask for core.task.read / core.task.work or a watcher.
        api_route(f"{base}/tasks", list_tasks, permission=AUTHENTICATED, query=TaskQuery, response=TaskPage, tags=tags,
                  responses={403: "Needs core.task.read (except watching=me)"}),
        api_route(f"{base}/tasks", create_task, method="POST", permission="core.task.create", body=TaskIn,
                  response=TaskOut, status_code=201, tags=tags, headers={"Idempotency-Key": False},
                  responses={409: "Nobody can be assigned"}),
        api_route(f"{base}/tasks/stats", task_stats, permission="core.task.stats", query=StatsQuery,
                  response=StatsOut, tags=tags),
        api_route(task, get_task, permission=AUTHENTICATED, response=TaskOut, tags=tags,
                  responses={403: "Needs core.task.read, or to watch the task"}),
        api_route(f"{task}/transition", transition_task, method="POST", permission="core.task.work",
                  body=TransitionIn, response=TaskOut, tags=tags, responses=stale),
        api_route(f"{task}/assign", assign_task, method="POST", permission="core.task.assign", body=AssignIn,
                  response=TaskOut, tags=tags, responses=stale),
        api_route(f"{task}/comments", comment_task, method="POST", permission=AUTHENTICATED, body=CommentIn,
                  response=EventOut, status_code=201, tags=tags,
                  responses={403: "Needs core.task.work, or to watch the task"}),
        api_route(f"{task}/events", task_events, permission=AUTHENTICATED, response=list[EventOut], tags=tags,
                  responses={403: "Needs core.task.read, or to watch the task"}),
        api_route(f"{task}/watchers", list_watchers, permission=AUTHENTICATED, response=list[WatcherOut], tags=tags,
                  responses={403: "Needs core.task.read, or to watch the task"}),
        api_route(f"{task}/watchers", add_watcher, method="POST", permission="core.task.read", body=WatcherIn,
                  response=WatcherOut, status_code=201, tags=tags,
                  responses={403: "Someone else: needs core.task.assign", 409: "Already watching"}),
        api_route(f"{task}/watchers/{{user_id:int}}", remove_watcher, method="DELETE", permission=AUTHENTICATED,
                  response=None, status_code=204, tags=tags,
                  responses={403: "Someone else: needs core.task.assign", 404: "Not watching"}),
        api_route(f"{base}/events", live_events, permission=AUTHENTICATED, tags=["live"],
                  media_type="text/event-stream", response=str),
        api_route(f"{base}/handovers", list_handovers, permission="core.handover.read", query=HandoverQuery,
                  response=HandoverPage, tags=["handovers"]),
        api_route(f"{base}/handovers", write_handover, method="POST", permission="core.handover.write",
                  body=HandoverIn, response=HandoverOut, status_code=201, tags=["handovers"]),
        api_route(f"{base}/handovers/{{id:int}}/ack", acknowledge_handover, method="POST",
                  permission="core.handover.read", response=HandoverOut, tags=["handovers"]),
    ]
