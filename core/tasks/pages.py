"""Task pages: "My work", a task with its history and actions, a new task."""

from __future__ import annotations

import logging

from starlette.requests import Request
from tortoise.expressions import Q
from starlette.responses import Response

from core.clock import rfc3339
from core.entities.models import Unit
from core.entities.units import unit_by_code
from core.i18n import gettext as _
from core.identity.models import User
from core.identity.services import site_people
from core.web.templating import render
from core.tasks import handovers
from core.tasks.models import Task, TaskEvent, TaskWatcher
from core.tasks.schemas import TaskIn
from core.tasks.services import subject_of
from core.tasks.history import shown_notes
from core.tasks.types import PRIORITY_LABELS, SubjectPanel
from core.web.access import actor_of, authorize, can, current_site, get_in_site, site_query
from core.problems import Problem, invalid
from core.web.forms import FormErrors, form_action
from core.web.panels import shown_panels
from core.web.routing import page_route
from core.permissions import AUTHENTICATED

MY_WORK_LIMIT = 200

log = logging.getLogger("frontdesk.tasks")


def kernel(request: Request):
    return request.app.state.tasks


def task_row(task: Task, people: dict[int, User], types: dict, site_code: str = "") -> dict:
    """A task for a list. With ``site_code``, ``page`` is where the task is worked (its
    type's ``page`` for its subject, else the task page)."""
    task_type = types.get(task.type)
    assignee = people.get(task.assignee_id)
    page = f"/sites/{site_code}/tasks/{task.id}" if site_code else ""
    if site_code and task_type and task_type.page and task.subject_id:
        page = task_type.page.format(site=site_code, subject_id=task.subject_id)
    return {"page": page,
        "id": task.id, "title": task.title, "status": task.status, "priority": task.priority,
        "priority_label": str(PRIORITY_LABELS.get(task.priority, task.priority)),
        "type_label": str(task_type.label) if task_type else task.type,
        "status_label": str(task_type.state_label(task.status)) if task_type else task.status,
        "assignee": (assignee.display_name or assignee.username) if assignee else "",
        "due_at": rfc3339(task.due_at), "overdue": task.overdue,
    }


async def my_work(request: Request) -> Response:
    """The caller's open tasks, and the open ones they watch (taken, then held by others)."""
    site, user = current_site(request), request.state.user
    tasks = await (site_query(request, Task).filter(assignee_id=user.id, is_open=True)
                   .order_by("-overdue", "due_at", "id").limit(MY_WORK_LIMIT))
    # Held by someone else or by nobody: ``exclude(assignee_id=...)`` alone would drop the
    # unassigned ones (NOT NULL = x is NULL in SQL, not true).
    watched = await (site_query(request, Task).filter(watchers__user_id=user.id, is_open=True)
                     .filter(Q(assignee_id__isnull=True) | ~Q(assignee_id=user.id))
                     .order_by("-id").limit(MY_WORK_LIMIT))
    people = {user.id: user}
    people.update({person.id: person for person in await User.filter(
        id__in=list({t.assignee_id for t in watched if t.assignee_id}))})
    unread = await handovers.unread_for(user, site.id).order_by("-id").limit(20)
    context = {
        "site": site, "tasks": [task_row(t, people, kernel(request).types, site.code) for t in tasks],
        "watched": [task_row(t, people, kernel(request).types, site.code) for t in watched],
        "unread_handovers": [handovers.handover_out(h) for h in unread],
    }
    # Plugins' panels (``page_panels``), e.g. the staff member's duties today.
    context["page_panels"] = await shown_panels(request, "my_work", context)
    return render(request, "core/tasks/my_work.html", context)


async def _task_context(request: Request, task: Task, errors: FormErrors | None = None,
                        values: dict | None = None) -> dict:
    site = current_site(request)
    task_type = kernel(request).types.get(task.type)
    people = await site_people(site.id)
    events = await TaskEvent.filter(task_id=task.id).order_by("id")
    notes = await shown_notes(events)
    user = request.state.user
    allowed = task_type.workflow.allowed(task.status) if task_type else []
    may_work = can(request, "core.task.work") and (
        task.assignee_id in (None, user.id) or can(request, "core.task.assign"))
    if not may_work and can(request, "core.task.work"):  # its taker, on the spot (first-contact ownership)
        allowed = await kernel(request).first_contact_moves(task, user)
        may_work = bool(allowed)
    watchers = await kernel(request).watchers(task)
    watching = any(w["user_id"] == user.id for w in watchers)
    return {
        "site": site, "task": task, "row": task_row(task, people, kernel(request).types),
        "type": task_type, "people": people, "errors": errors or FormErrors(), "values": values or {},
        "events": [{"at": rfc3339(e.at), "kind": e.kind, "from_status": e.from_status, "to_status": e.to_status,
                    "note": notes[e.id], "actor": people.get(e.actor_id)} for e in events],
        "actions": [{"to": state, "label": task_type.state_label(state)} for state in allowed] if may_work else [],
        "may_comment": can(request, "core.task.work") or watching,
        "may_assign": can(request, "core.task.assign"),
        "watchers": watchers, "watching": watching, "may_watch": can(request, "core.task.read"),
        "unit": await Unit.get_or_none(id=task.unit_id) if task.unit_id else None,
        "panels": await subject_panels(request, task),
    }


async def subject_panels(request: Request, task: Task) -> list[SubjectPanel]:
    """What the task page shows of the task's record: the owner's panel (``task_panel``
    in the ``pages`` module of the plugin the subject names), then what other plugins add
    (``task_subject_panel``). A panel that fails is logged and left out; the task page
    still shows."""
    subject = subject_of(task)
    if subject is None:
        return []
    host = request.app.state.host
    panels = []
    owner_panel = host.owned(subject.plugin, "pages", "task_panel") if subject.plugin != "core" else None
    if owner_panel is not None:
        try:
            panels.append(await owner_panel(request, task, subject))
        except Exception:
            log.exception("plugin %s: pages.task_panel failed; left out", subject.plugin)
    answers = await host.ask("task_subject_panel", task=task, subject=subject, request=request)
    panels.extend(panel for _plugin, panel in answers)
    return [panel for panel in panels if isinstance(panel, SubjectPanel)]


async def _visible_task(request: Request, permission: str = "core.task.read") -> Task:
    """The task in the path, for a caller holding ``permission`` or watching it (else 403
    as the route would answer, whether or not the task exists)."""
    if can(request, permission):
        return await get_in_site(request, Task, request.path_params["id"], "task")
    task = await site_query(request, Task).get_or_none(id=request.path_params["id"])
    if task is None or not await TaskWatcher.filter(task_id=task.id, user_id=request.state.user.id).exists():
        await authorize(request, permission, is_page=True)
    return task


async def task_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                    status_code: int = 200) -> Response:
    task = await _visible_task(request)
    return render(request, "core/tasks/task.html", await _task_context(request, task, errors, values),
                  status_code=status_code)


async def _task_action(request: Request, fields: tuple[str, ...], act, permission: str = "") -> Response:
    """One of the task page's forms: ``act(task, values)`` calls the kernel; a refusal
    re-shows the task page with its reason on top and what was typed kept. ``permission``:
    the route lets every member in, and this or watching the task is needed."""
    task = (await _visible_task(request, permission) if permission
            else await get_in_site(request, Task, request.path_params["id"], "task"))

    async def page(errors: FormErrors, values: dict, status: int) -> Response:
        return await task_page(request, errors, values, status)

    return await form_action(request, fields=fields, act=lambda values: act(task, values), page=page,
                             success_url=f"/sites/{current_site(request).code}/tasks/{task.id}", beside=())


def _version(values: dict) -> int:
    try:
        return int(values.get("version", ""))
    except ValueError:
        raise Problem(400, _("The form is missing the task's version. Reload the page.")) from None


async def transition(request: Request) -> Response:
    async def act(task: Task, values: dict) -> Task:
        return await kernel(request).transition(task, values["to"], _version(values), actor_of(request),
                                                note=values["note"][:2000],
                                                may_work_any=can(request, "core.task.assign"), generic=True)
    return await _task_action(request, ("to", "note", "version"), act)


async def comment(request: Request) -> Response:
    async def act(task: Task, values: dict) -> None:
        await kernel(request).comment(task, values["body"], request.state.user,
                                      client_address=request.state.client_address)
    return await _task_action(request, ("body",), act, permission="core.task.work")


async def watch(request: Request) -> Response:
    """Watch the task: oneself (``user_id`` blank), or someone by a supervisor."""
    async def act(task: Task, values: dict) -> None:
        choice = values["user_id"].strip()
        if choice and not choice.isdigit():
            raise invalid("user_id", _("Choose who watches the task."))
        await kernel(request).add_watcher(task, int(choice) if choice else None, actor_of(request))
    return await _task_action(request, ("user_id",), act)


async def unwatch(request: Request) -> Response:
    """Stop watching (oneself), or remove a watcher (a supervisor)."""
    async def act(task: Task, values: dict) -> None:
        await kernel(request).remove_watcher(task, request.path_params["user_id"], actor_of(request))
    return await _task_action(request, (), act, permission="core.task.read")


async def assign(request: Request) -> Response:
    async def act(task: Task, values: dict) -> Task:
        choice = values["assignee"]
        balanced = choice == "balanced"
        if not balanced and not choice.isdigit():
            raise Problem(422, _("Choose who gets the task."))
        return await kernel(request).assign(task, None if balanced else int(choice), balanced, _version(values),
                                            request.state.user, request.state.client_address)
    return await _task_action(request, ("assignee", "version"), act)


NEW_TASK_FIELDS = ("type", "title", "description", "priority", "unit_code", "assignee")


async def new_task_form(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                        status_code: int = 200) -> Response:
    site = current_site(request)
    return render(request, "core/tasks/new.html", {
        "site": site, "values": values or {"priority": "normal"}, "errors": errors or FormErrors(),
        "types": [t for t in kernel(request).types.values() if t.generic.create],
        "priorities": list(PRIORITY_LABELS.items()), "people": await site_people(site.id),
        "may_assign": can(request, "core.task.assign"),
    }, status_code=status_code)


async def create_task(request: Request) -> Response:
    site = current_site(request)

    async def as_task_fields(values: dict) -> dict:
        """The form's words for the API's fields: a unit by its code, "balanced" or a
        person for the assignee (only for those who may assign)."""
        data = dict(values)
        choice, unit_code = data.pop("assignee"), data.pop("unit_code")
        if can(request, "core.task.assign") and choice:
            data.update({"assign": "balanced"} if choice == "balanced" else {"assignee_id": choice})
        if unit_code:
            unit = await unit_by_code(site.id, unit_code)  # any case: "a-0101" is A-0101
            if unit is None:
                raise invalid("unit_code", _("No unit with this code here."))
            data["unit_id"] = unit.id
        return data

    async def page(errors: FormErrors, values: dict, status: int) -> Response:
        return await new_task_form(request, errors, values, status)

    return await form_action(
        request, fields=NEW_TASK_FIELDS, schema=TaskIn, prepare=as_task_fields, page=page,
        act=lambda body: kernel(request).create(site, actor_of(request), generic=True, **body.model_dump()),
        success_url=lambda task: f"/sites/{site.code}/tasks/{task.id}", aliases={"assignee_id": "assignee"})


def routes():
    base = "/sites/{site}"
    task = f"{base}/tasks/{{id:int}}"
    return [
        page_route(f"{base}/my-work", my_work, permission="core.task.read"),
        page_route(f"{base}/tasks/new", new_task_form, permission="core.task.create"),
        page_route(f"{base}/tasks/new", create_task, permission="core.task.create", methods=["POST"]),
        # A task's page, comments and leaving it are open to its watchers too (checked inside).
        page_route(task, task_page, permission=AUTHENTICATED),
        page_route(f"{task}/transition", transition, permission="core.task.work", methods=["POST"]),
        page_route(f"{task}/comment", comment, permission=AUTHENTICATED, methods=["POST"]),
        page_route(f"{task}/watchers", watch, permission="core.task.read", methods=["POST"]),
        page_route(f"{task}/watchers/{{user_id:int}}/remove", unwatch, permission=AUTHENTICATED, methods=["POST"]),
        page_route(f"{task}/assign", assign, permission="core.task.assign", methods=["POST"]),
    ]
