"""The task kernel's rules: create, assign, transition, comment, follow-ups, overdue.

``TaskKernel`` is built once per app (``app.state.tasks``) from the task types the
plugins declare. A change to a task, its history event and its audit entry commit in one
transaction; the live event is published after the commit.
"""

from __future__ import annotations

import contextvars
import inspect
import datetime as dt
import logging
from contextlib import asynccontextmanager
from typing import Any, Iterable

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import rfc3339, utcnow
from core.entities.models import Party, Site, Unit
from core.errors import HookFailed, StartupError
from core.events import EventBus, LiveEvent
from core.i18n import gettext as _
from core.identity.models import Membership, User
from core.identity.services import members_with_role
from core.plugin_host import PluginHost
from core.tasks import sla
from core.tasks.models import PRIORITIES, Task, TaskEvent, TaskWatcher
from core.tasks.settings import first_contact_resolution
from core.tasks.types import FOLLOW_UP, GENERAL, Subject, TaskType, Workflow
from core.problems import Problem, invalid

log = logging.getLogger("frontdesk.tasks")

# Live events of kernel calls made inside TaskKernel.transaction(), sent after it commits.
_deferred: contextvars.ContextVar[list | None] = contextvars.ContextVar("frontdesk_deferred_events", default=None)

MAX_COMMENT = 10_000
RESPONSE_KINDS = ("commented", "replied")
#: Why someone watches a task: its taker (who created it) since it went to someone else,
#: or added by a supervisor or by themselves.
WATCH_REASONS = ("taker", "added")
#: Supervisors add and remove anyone as a watcher; others only themselves.
WATCH_OTHERS = "core.task.assign"


def subject_of(task: Task) -> Subject | None:
    """The record ``task`` is about, if its owner named one."""
    if not task.subject_plugin or task.subject_id is None:
        return None
    return Subject(task.subject_plugin, task.subject_kind, task.subject_id)


def subject_out(task: Task) -> dict[str, Any] | None:
    subject = subject_of(task)
    return None if subject is None else {"plugin": subject.plugin, "kind": subject.kind, "id": subject.id}


def _user_and_address(actor: User | Actor | None, client_address: str) -> tuple[User | None, str]:
    """The kernel takes a plugin's ``User`` (and the address beside it) or an ``Actor``."""
    if isinstance(actor, Actor):
        return actor.user, client_address or actor.client_address
    return actor, client_address


#: The columns ``task_out`` reads: lists fetch exactly these as plain rows (``core.rows``).
TASK_COLUMNS = ("id", "type", "title", "description", "status", "priority", "assignee_id", "unit_id", "party_id",
                "parent_id", "due_at", "overdue", "created_at", "updated_at", "version", "subject_plugin",
                "subject_kind", "subject_id", "created_by_id")


def task_out(task: Task | dict[str, Any]) -> dict[str, Any]:
    """A task as the API shows it, from the model or from a plain row of ``TASK_COLUMNS``."""
    row = task if isinstance(task, dict) else {name: getattr(task, name) for name in TASK_COLUMNS}
    subject = ({"plugin": row["subject_plugin"], "kind": row["subject_kind"], "id": row["subject_id"]}
               if row["subject_plugin"] and row["subject_id"] is not None else None)
    return {
        "id": row["id"], "type": row["type"], "title": row["title"], "description": row["description"],
        "status": row["status"], "priority": row["priority"], "assignee_id": row["assignee_id"],
        "unit_id": row["unit_id"], "party_id": row["party_id"], "parent_id": row["parent_id"],
        "due_at": rfc3339(row["due_at"]), "overdue": row["overdue"], "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]), "version": row["version"], "subject": subject,
        "created_by_id": row["created_by_id"],
    }


def watcher_out(watcher: TaskWatcher, user: User | None = None) -> dict[str, Any]:
    return {"user_id": watcher.user_id, "display_name": (user.display_name or user.username) if user else "",
            "reason": watcher.reason, "added_by_id": watcher.added_by_id, "created_at": rfc3339(watcher.created_at)}


def towards_done(workflow: Workflow, to: str) -> bool:
    """Whether moving into ``to`` takes a task on towards done: not a cancellation, not a
    pause, and a resolved state is ``to`` or reachable from it."""
    if workflow.cancels(to) or to in workflow.paused:
        return False
    seen, frontier = {to}, [to]
    while frontier:
        state = frontier.pop()
        if state in workflow.resolved:
            return True
        for following in workflow.transitions.get(state, ()):
            if following not in seen:
                seen.add(following)
                frontier.append(following)
    return False


def event_out(event: TaskEvent) -> dict[str, Any]:
    return {"id": event.id, "at": rfc3339(event.at), "actor_id": event.actor_id, "kind": event.kind,
            "from_status": event.from_status, "to_status": event.to_status, "note": event.note}


class NobodyEligible(Problem):
    """Balanced assignment found people holding the type's roles, but the plugins'
    ``eligible_assignees`` let none of them take the task now (e.g. nobody on duty)."""

    def __init__(self, task_type: TaskType):
        self.roles = ", ".join(task_type.assign_roles)
        super().__init__(409, _("Nobody holding a role this task type is assigned to (%(roles)s) may take it now "
                                "(for example, nobody is on duty). Assign someone by hand.", roles=self.roles))


class TaskKernel:
    def __init__(self, host: PluginHost, bus: EventBus):
        self.host = host
        self.bus = bus
        self.types: dict[str, TaskType] = {}
        for task_type in (GENERAL, FOLLOW_UP):
            self.types[task_type.name] = task_type
        for plugin, declared in host.contributions("register_task_types"):
            for task_type in declared:
                if task_type.name in self.types:
                    owner = self.types[task_type.name].plugin or "core"
                    raise StartupError(f"plugins {owner} and {plugin.name} both register the task type {task_type.name}")
                self.types[task_type.name] = TaskType(**{**task_type.__dict__, "plugin": plugin.name})
        # Whether any plugin narrows balanced assignment, looked up once: without one,
        # assignment costs what it did before the hook existed.
        self._narrowing: bool | None = None

    # --- helpers ---------------------------------------------------------------------------

    def type_of(self, name: str) -> TaskType:
        task_type = self.types.get(name)
        if task_type is None:
            raise invalid("type", _("Unknown task type %(name)s.", name=name))
        return task_type

    def calendar(self, task_type: TaskType, site: Site) -> sla.Calendar | None:
        return sla.Calendar.for_site(site) if task_type.business_hours else None

    async def _event(self, task: Task, kind: str, actor: User | None, *, from_status=None, to_status=None,
                     note: str = "", data: dict | None = None, at: dt.datetime | None = None) -> TaskEvent:
        return await TaskEvent.create(task_id=task.id, site_id=task.site_id, at=at or utcnow(),
                                      actor_id=getattr(actor, "id", None), kind=kind, from_status=from_status,
                                      to_status=to_status, note=note, data=data)

    @asynccontextmanager
    async def transaction(self):
        """A transaction around several kernel calls (and a plugin's own writes): their
        live events and ``on_task_event`` notifications wait until it commits, and are
        dropped if it rolls back. Use it instead of ``in_transaction()`` whenever the
        block calls the kernel."""
        outer = _deferred.get()
        queue: list = []
        token = _deferred.set(queue)
        try:
            async with in_transaction():
                yield
        finally:
            _deferred.reset(token)
        if outer is not None:
            outer.extend(queue)  # nested: the outermost block publishes
            return
        for task, name, event in queue:
            await self._publish_now(task, name, event)

    async def _publish(self, task: Task, name: str, event: TaskEvent | None = None) -> None:
        queue = _deferred.get()
        if queue is not None:
            queue.append((task, name, event))
        else:
            await self._publish_now(task, name, event)

    async def _publish_now(self, task: Task, name: str, event: TaskEvent | None) -> None:
        # Watchers get their tasks' events even where they may not see every task.
        watchers = tuple(await TaskWatcher.filter(task_id=task.id).values_list("user_id", flat=True))
        await self.bus.publish(LiveEvent(site_id=task.site_id, name=name, data=task_out(task),
                                         permission="core.task.read", users=watchers))
        if event is not None:
            await self.host.notify("on_task_event", task=task, event=event, kernel=self)

    async def _check_member(self, site: Site, user_id: int, field: str = "assignee_id") -> User:
        user = await User.get_or_none(id=user_id, is_active=True)
        if user is None:
            raise invalid(field, _("No active user with id %(id)s.", id=user_id))
        if not await Membership.filter(user_id=user_id, site_id=site.id).exists():
            raise invalid(field, _("%(user)s is not a member of this site.", user=user.username))
        return user

    async def _stale(self, task: Task) -> Problem:
        await task.refresh_from_db()
        return Problem(409, _("Someone changed this task since you read it. Reload and try again."),
                       current=task_out(task))

    # --- balanced assignment ------------------------------------------------------------

    @property
    def narrows_assignment(self) -> bool:
        """Whether some plugin implements ``eligible_assignees`` (looked up on first use)."""
        if self._narrowing is None:
            self._narrowing = bool(self.host.manager.hook.eligible_assignees.get_hookimpls())
        return self._narrowing

    async def eligible(self, site: Site, task_type: TaskType, candidates: Iterable[int],
                       at: dt.datetime | None = None) -> list[int]:
        """The ``candidates`` (user ids, order kept) who may receive a ``task_type`` task
        at ``at`` (now): what every plugin's ``eligible_assignees`` allows, intersected.

        Fails open: a plugin that raises or answers something that is not a list of ids
        is logged and ignored, so a broken roster never stops work being handed out.
        Without implementations this returns the candidates untouched, without a call."""
        candidates = list(candidates)
        if not candidates or not self.narrows_assignment:
            return candidates
        answers = await self.host.ask("eligible_assignees", site=site, task_type=task_type, at=at or utcnow(),
                                      candidates=list(candidates))
        for plugin, answer in answers:
            try:
                allowed = {int(user_id) for user_id in answer}
            except (TypeError, ValueError):
                log.error("plugin %s: eligible_assignees answered %r, not user ids; ignored", plugin.name, answer)
                continue
            candidates = [user_id for user_id in candidates if user_id in allowed]
        return candidates

    async def balanced_assignee(self, site: Site, task_type: TaskType, at: dt.datetime | None = None) -> User:
        """Among active members holding one of the type's roles whom the plugins let take
        it now (``eligible``), and among them those with its skill when some have it, the
        one with the fewest open tasks; ties go to the one who has been given the fewest
        tasks at this site so far, then the lowest id.

        409 when nobody holds the roles; ``NobodyEligible`` (a 409) when some do but no
        plugin lets any of them take it now (nobody on duty)."""
        users = {user.id: user for user in await members_with_role(site.id, *task_type.assign_roles)}
        if not users:
            raise Problem(409, _("Nobody at this site holds a role this task type is assigned to (%(roles)s).",
                                 roles=", ".join(task_type.assign_roles)))
        if self.narrows_assignment:
            eligible = await self.eligible(site, task_type, users, at)
            if not eligible:
                raise NobodyEligible(task_type)
            users = {uid: users[uid] for uid in eligible}
        if task_type.assign_skill:
            skilled = {uid for uid, user in users.items() if task_type.assign_skill in (user.skills or [])}
            if skilled:
                users = {uid: users[uid] for uid in skilled}
        open_loads = await self._counts(site, users, is_open=True)
        lifetime = await self._counts(site, users)
        chosen = min(users, key=lambda uid: (open_loads.get(uid, 0), lifetime.get(uid, 0), uid))
        return users[chosen]

    @staticmethod
    async def _counts(site: Site, users: dict[int, User], **filters) -> dict[int, int]:
        rows = await (Task.filter(site_id=site.id, assignee_id__in=list(users), **filters)
                      .annotate(n=Count("id")).group_by("assignee_id").values("assignee_id", "n"))
        return {row["assignee_id"]: row["n"] for row in rows}

    # --- create -----------------------------------------------------------------------------

    async def create(self, site: Site, actor: User | Actor | None, *, type: str, title: str, description: str = "",
                     priority: str = "normal", unit_id: int | None = None, party_id: int | None = None,
                     assignee_id: int | None = None, assign: str | None = None, due_at: dt.datetime | None = None,
                     parent_id: int | None = None, client_address: str = "", extra_events: Iterable = (),
                     subject: Subject | None = None, generic: bool = False) -> Task:
        """Create a task. ``generic``: the caller is the generic task API or page, which
        may create only the types that say so (``TaskType.generic.create``); a plugin's
        own service creates its types with the record behind them (``subject``)."""
        actor, client_address = _user_and_address(actor, client_address)
        task_type = self.type_of(type)
        if generic and not task_type.generic.create:
            raise invalid("type", self._owned_message(
                task_type, _("Tasks of type %(type)s belong to the plugin %(plugin)s; create them with their record.",
                             type=task_type.name, plugin=task_type.plugin or "core")))
        if priority not in PRIORITIES:
            raise invalid("priority", _("Use one of: %(values)s.", values=", ".join(PRIORITIES)))
        now = utcnow()
        if due_at is not None and due_at <= now:
            raise invalid("due_at", _("The due time is in the past."))
        if unit_id is not None and not await Unit.filter(id=unit_id, site_id=site.id).exists():
            raise invalid("unit_id", _("No unit %(id)s at this site.", id=unit_id))
        if party_id is not None and not await Party.filter(id=party_id, site_id=site.id).exists():
            raise invalid("party_id", _("No party %(id)s at this site.", id=party_id))
        if parent_id is not None and not await Task.filter(id=parent_id, site_id=site.id).exists():
            raise invalid("parent_id", _("No task %(id)s at this site.", id=parent_id))
        unassigned: NobodyEligible | None = None
        if assign == "balanced":
            try:
                assignee = await self.balanced_assignee(site, task_type)
            except NobodyEligible as nobody:
                # The call or the checkout is still logged: unassigned, its history saying
                # why, for a supervisor (or whoever comes on duty) to take.
                assignee, unassigned = None, nobody
        elif assignee_id is not None:
            assignee = await self._check_member(site, assignee_id)
        else:
            assignee = None
        if due_at is None:
            due_at = sla.due_after(now, task_type.default_sla_minutes * 60, self.calendar(task_type, site))
        async with in_transaction():
            task = await Task.create(site_id=site.id, type=task_type.name, title=title, description=description,
                                     status=task_type.workflow.initial, priority=priority, unit_id=unit_id,
                                     party_id=party_id, parent_id=parent_id, created_by=actor, due_at=due_at,
                                     assignee=assignee, **self._subject_fields(subject))
            created = await self._event(task, "created", actor, to_status=task.status, at=now)
            if assignee is not None:
                await self._event(task, "assigned", actor, note=assignee.username,
                                  data={"assignee_id": assignee.id, "balanced": assign == "balanced"}, at=now)
            elif unassigned is not None:
                await self._event(task, "unassigned", actor, note=unassigned.roles,
                                  data={"reason": "nobody_eligible", "roles": list(task_type.assign_roles)}, at=now)
            taker = await self._watch_as_taker(task, actor, at=now)
            await audit.record("task.create", actor=actor, site_id=site.id, object_type="task", object_id=task.id,
                               after={**task_out(task), **({"watchers": [taker]} if taker else {})},
                               client_address=client_address)
        await self._publish(task, "task.created", created)
        return task

    @staticmethod
    def _subject_fields(subject: Subject | None) -> dict[str, Any]:
        if subject is None:
            return {}
        return {"subject_plugin": subject.plugin, "subject_kind": subject.kind, "subject_id": subject.id}

    @staticmethod
    def _owned_message(task_type: TaskType, message: str) -> str:
        if task_type.owner_endpoint:
            return message + " " + _("Use %(endpoint)s.", endpoint=task_type.owner_endpoint)
        return message

    async def set_subject(self, task: Task, subject: Subject) -> None:
        """Name the record a task is about, when the record is created after its task
        (a resident case holds its task, so the task comes first). Inside the caller's
        transaction."""
        fields = self._subject_fields(subject)
        await Task.filter(id=task.id).update(**fields)
        for name, value in fields.items():
            setattr(task, name, value)

    @staticmethod
    def tasks_about(subject: Subject, *, site_id: int | None = None, types: Iterable[str] = (),
                    open_only: bool = True):
        """The tasks about ``subject`` (a queryset), oldest first."""
        tasks = Task.filter(subject_plugin=subject.plugin, subject_kind=subject.kind, subject_id=subject.id)
        if site_id is not None:
            tasks = tasks.filter(site_id=site_id)
        if types:
            tasks = tasks.filter(type__in=list(types))
        if open_only:
            tasks = tasks.filter(is_open=True)
        return tasks.order_by("id")

    # --- transition ---------------------------------------------------------------------

    def _check_generic(self, task: Task, task_type: TaskType, to: str, actor: Actor) -> None:
        """What only the generic task API and pages are refused: moves a type's owner
        makes through its own records, and a cancellation by someone without the type's
        cancel permission."""
        workflow = task_type.workflow
        cancelling = workflow.cancels(to)
        if cancelling and not task_type.generic.cancel:
            raise Problem(409, self._owned_message(task_type, _(
                "A %(type)s task is cancelled through its record in %(plugin)s, not here.",
                type=str(task_type.label), plugin=task_type.plugin)), allowed=workflow.allowed(task.status))
        if cancelling and task_type.cancel_permission and not actor.can(task_type.cancel_permission):
            raise Problem(403, _("Cancelling a %(type)s task needs the permission %(permission)s.",
                                 type=str(task_type.label), permission=task_type.cancel_permission))
        if to in workflow.resolved and not task_type.generic.close:
            raise Problem(409, self._owned_message(task_type, _(
                "A %(type)s task is finished through its record in %(plugin)s, not here.",
                type=str(task_type.label), plugin=task_type.plugin)), allowed=workflow.allowed(task.status))

    async def transition(self, task: Task, to: str, version: int, actor: User | Actor, *, note: str = "",
                         may_work_any: bool = False, client_address: str = "", generic: bool = False) -> Task:
        """Move ``task`` to ``to``. Every path passes the workflow, the version check, the
        reason a cancellation needs and the plugins' guards; ``generic`` (the generic
        task API and pages, which pass an ``Actor``) adds the type's ``generic`` limits
        and its cancel permission."""
        who = actor if isinstance(actor, Actor) else Actor(user=actor, client_address=client_address)
        actor, client_address = _user_and_address(actor, client_address)
        task_type = self.type_of(task.type)
        workflow = task_type.workflow
        if to not in workflow.states:
            raise invalid("to", _("Unknown state %(state)s.", state=to))
        if workflow.cancels(to) and not note.strip():
            raise invalid("note", _("Give the reason for cancelling."))
        if version != task.version:
            raise await self._stale(task)
        first_contact = False
        if not may_work_any and task.assignee_id not in (None, getattr(actor, "id", None)):
            if to not in await self.first_contact_moves(task, actor):
                raise Problem(403, _("This task is assigned to someone else; ask a supervisor to reassign it."))
            first_contact = True  # its taker handles it on the spot: it becomes theirs
        allowed = workflow.allowed(task.status)
        if to not in allowed:
            raise Problem(409, _("A task that is %(status)s cannot become %(to)s.", status=task.status, to=to),
                          allowed=allowed)
        if generic:
            self._check_generic(task, task_type, to, who)
        reason = await self._guard(task, to, actor)
        if reason:
            raise Problem(409, reason, allowed=allowed)
        if to in workflow.terminal and not workflow.cancels(to) and task_type.requires_follow_up:
            await self._require_follow_up(task, task_type)

        now = utcnow()
        changes: dict[str, Any] = {"status": to, "version": task.version + 1, "updated_at": now,
                                   "is_open": to not in workflow.terminal}
        site = await Site.get(id=task.site_id)
        calendar = self.calendar(task_type, site)
        if to in workflow.paused and task.status not in workflow.paused and task.due_at is not None:
            changes["sla_remaining_seconds"] = int(sla.seconds_left(now, task.due_at, calendar))
        elif task.status in workflow.paused and to not in workflow.paused and task.sla_remaining_seconds is not None:
            changes["due_at"] = sla.due_after(now, task.sla_remaining_seconds, calendar)
            changes["sla_remaining_seconds"] = None
            changes["overdue"] = task.sla_remaining_seconds < 0
        if task.first_response_at is None and task.status == workflow.initial and to not in workflow.paused:
            # A wait straight from the first state (a workflow that allows it: a cleaning
            # task held by the room's do-not-disturb sign) is nobody's response.
            changes["first_response_at"] = now
        if to in workflow.resolved and task.resolved_at is None:
            changes["resolved_at"] = now
        reopening = (task.status, to) in workflow.reopens
        if reopening:
            changes["resolved_at"] = None
        if first_contact or (actor is not None and task.assignee_id is None and to not in workflow.terminal
                             and task.status == workflow.initial):
            changes["assignee_id"] = actor.id  # a person taking an unassigned task makes it theirs (not the system)
        async with in_transaction():
            updated = await Task.filter(id=task.id, version=task.version).update(**changes)
            if not updated:
                raise await self._stale(task)
            before, before_assignee = task.status, task.assignee_id
            await task.refresh_from_db()
            event = await self._event(task, "reopened" if reopening else "transitioned", actor,
                                      from_status=before, to_status=to, note=note, at=now)
            audited_before, audited_after = {"status": before}, {"status": to}
            if "assignee_id" in changes:
                data = {"assignee_id": actor.id}
                if first_contact:
                    data.update(previous=before_assignee, first_contact=True)
                    audited_before["assignee_id"], audited_after["assignee_id"] = before_assignee, actor.id
                await self._event(task, "assigned", actor, note=actor.username, data=data, at=now)
                if taker := await self._watch_as_taker(task, actor, at=now):
                    audited_after["watchers_added"] = [taker]
            await audit.record("task.transition", actor=actor, site_id=task.site_id, object_type="task",
                               object_id=task.id, before=audited_before, after=audited_after,
                               client_address=client_address, note=note[:500])
        await self._publish(task, "task.transitioned", event)
        return task

    async def _guard(self, task: Task, to: str, actor: User) -> str | None:
        """The rules on a transition: first the owner's (``services.transition_guard`` of
        the plugin whose type it is), then every plugin's ``task_transition_guard``. The
        first reason given refuses the change.

        Guards fail closed: a guard that raises refuses the transition (503, naming the
        plugin's rule) instead of letting it through, because a rule that cannot be
        checked is not a rule that holds."""
        owner = self.type_of(task.type).plugin
        own_guard = self.host.owned(owner, "services", "transition_guard") if owner and owner != "core" else None
        if own_guard is not None:
            try:
                reason = own_guard(task, to)
                if inspect.isawaitable(reason):
                    reason = await reason
            except Exception as error:
                log.exception("plugin %s: services.transition_guard failed; refused", owner)
                raise self._unchecked(f"{owner}.services.transition_guard") from error
            if reason:
                return str(reason)
        try:
            answers = await self.host.ask("task_transition_guard", task=task, to_status=to, actor=actor, kernel=self,
                                          fail_closed=True)
        except HookFailed as failure:
            for _plugin, reason in failure.answers:
                if reason:  # a plugin before the broken one refused already: its reason stands
                    return str(reason)
            raise self._unchecked(f"{failure.plugin}.task_transition_guard") from failure
        for _plugin, reason in answers:
            if reason:
                return str(reason)
        return None

    @staticmethod
    def _unchecked(rule: str) -> Problem:
        return Problem(503, _("The rule %(rule)s could not be checked, so nothing was changed. Try again, or tell "
                              "an administrator.", rule=rule), rule=rule)

    async def drive(self, task: Task, to: str, actor: User | Actor | None, *, note: str = "", client_address: str = "") -> Task:
        """The owner of a task's record moves the task to ``to`` because the record
        changed (a room cleaned resolves its cleaning task): along the shortest path its
        workflow allows, one recorded transition a step, whoever it is assigned to. A
        task already there, or finished, is left alone; guards apply to every step."""
        workflow = self.type_of(task.type).workflow
        path = _shortest_path(workflow.transitions, task.status, to)
        if not path or task.status in workflow.terminal:
            return task
        for state in path:
            task = await self.transition(task, state, task.version, actor, note=note, may_work_any=True,
                                         client_address=client_address)
        return task

    async def _require_follow_up(self, task: Task, task_type: TaskType) -> None:
        follow_up_type = self.type_of(task_type.requires_follow_up)
        done = await Task.filter(parent_id=task.id, type=follow_up_type.name,
                                 status__in=list(follow_up_type.workflow.resolved)).exists()
        if not done:
            raise Problem(409, _("This task closes only after its follow-up (%(type)s) is done.",
                                 type=str(follow_up_type.label)), allowed=task_type.workflow.allowed(task.status))

    # --- first-contact ownership (首問負責制) and watchers ------------------------------------

    async def first_contact_moves(self, task: Task, user: User | None) -> list[str]:
        """The states ``user`` may move ``task`` to as its taker although it is someone
        else's: with the site's ``tasks.first_contact_resolution`` on, for the user who
        created it, while it is still in its first state and where balanced assignment
        put it (not given to someone by hand), the moves on towards done (no pause,
        cancellation or reopening), if they hold one of the type's ``assign_roles``. Taking
        one makes the task theirs. Everything else the
        kernel checks (workflow, version, guards, follow-ups) still applies."""
        if user is None or task.created_by_id != user.id or task.assignee_id in (None, user.id):
            return []
        task_type = self.type_of(task.type)
        workflow = task_type.workflow
        if not task_type.first_contact or task.status != workflow.initial:
            return []
        last = await TaskEvent.filter(task_id=task.id, kind="assigned").order_by("-id").first().values("data")
        if not last or not (last["data"] or {}).get("balanced"):
            return []
        # Only someone balanced assignment could have chosen does the work on the spot: a
        # cashier does not take over the review of their own cash difference.
        if not await Membership.filter(user_id=user.id, site_id=task.site_id,
                                       role__name__in=list(task_type.assign_roles)).exists():
            return []
        if not first_contact_resolution(await Site.get(id=task.site_id)):
            return []
        return [to for to in workflow.allowed(task.status) if towards_done(workflow, to)]

    @staticmethod
    async def watches(task: Task, user_id: int | None) -> bool:
        return user_id is not None and await TaskWatcher.filter(task_id=task.id, user_id=user_id).exists()

    @staticmethod
    async def watchers(task: Task) -> list[dict[str, Any]]:
        """The task's watchers, first added first, with their names."""
        rows = await TaskWatcher.filter(task_id=task.id).order_by("id")
        people = {user.id: user for user in await User.filter(id__in=[row.user_id for row in rows])}
        return [watcher_out(row, people.get(row.user_id)) for row in rows]

    async def _watch_as_taker(self, task: Task, actor: User | None, at: dt.datetime | None = None) -> int | None:
        """The taker (who created the task) follows it once it is someone else's: their id
        when they were added now. Inside the caller's transaction, whose audit entry
        names them (the create's ``watchers``, an assignment's ``watchers_added``)."""
        taker = task.created_by_id
        if taker is None or task.assignee_id in (None, taker):
            return None
        if await TaskWatcher.filter(task_id=task.id, user_id=taker).exists():
            return None
        user = actor if getattr(actor, "id", None) == taker else await User.get(id=taker)
        await self._add_watcher(task, user, "taker", actor, at=at)
        return taker

    async def _add_watcher(self, task: Task, user: User, reason: str, actor: User | None,
                           at: dt.datetime | None = None) -> tuple[TaskWatcher, TaskEvent]:
        watcher = await TaskWatcher.create(task_id=task.id, site_id=task.site_id, user_id=user.id, reason=reason,
                                           added_by_id=getattr(actor, "id", None))
        event = await self._event(task, "watch_added", actor, note=user.username,
                                  data={"user_id": user.id, "reason": reason}, at=at)
        return watcher, event

    def _check_watch_access(self, actor: Actor, user_id: int) -> None:
        if user_id != getattr(actor.user, "id", None) and not actor.can(WATCH_OTHERS):
            raise Problem(403, _("Only a supervisor adds or removes someone else as a watcher "
                                 "(%(permission)s).", permission=WATCH_OTHERS))

    async def add_watcher(self, task: Task, user_id: int | None, actor: Actor) -> TaskWatcher:
        """``user_id`` (the actor when None) watches ``task``: themselves, or anyone by a
        supervisor; an active member of the task's site; 409 when already watching."""
        user_id = actor.user.id if user_id is None else user_id
        self._check_watch_access(actor, user_id)
        user = await self._check_member(await Site.get(id=task.site_id), user_id, "user_id")
        if await TaskWatcher.filter(task_id=task.id, user_id=user.id).exists():
            raise Problem(409, _("%(user)s already watches this task.", user=user.username))
        try:
            async with in_transaction():
                watcher, event = await self._add_watcher(task, user, "added", actor.user)
                await audit.record("task.watch.add", actor=actor.user, site_id=task.site_id, object_type="task",
                                   object_id=task.id, after={"user_id": user.id, "reason": "added"},
                                   client_address=actor.client_address)
        except IntegrityError:  # a twin request added them meanwhile
            raise Problem(409, _("%(user)s already watches this task.", user=user.username)) from None
        await self._publish(task, "task.watch_added", event)
        return watcher

    async def remove_watcher(self, task: Task, user_id: int, actor: Actor) -> None:
        """Stop ``user_id`` watching ``task`` (themselves, or anyone by a supervisor)."""
        self._check_watch_access(actor, user_id)
        watcher = await TaskWatcher.get_or_none(task_id=task.id, user_id=user_id)
        if watcher is None:
            raise Problem(404, _("User %(id)s does not watch this task.", id=user_id))
        user = await User.get_or_none(id=user_id)
        async with in_transaction():
            if not await TaskWatcher.filter(id=watcher.id).delete():
                raise Problem(404, _("User %(id)s does not watch this task.", id=user_id))
            event = await self._event(task, "watch_removed", actor.user, note=user.username if user else "",
                                      data={"user_id": user_id, "reason": watcher.reason})
            await audit.record("task.watch.remove", actor=actor.user, site_id=task.site_id, object_type="task",
                               object_id=task.id, before={"user_id": user_id, "reason": watcher.reason},
                               client_address=actor.client_address)
        await self._publish(task, "task.watch_removed", event)

    # --- assign and comment ---------------------------------------------------------------

    async def assign(self, task: Task, assignee_id: int | None, balanced: bool, version: int, actor: User,
                     client_address: str = "") -> Task:
        if version != task.version:
            raise await self._stale(task)
        task_type = self.type_of(task.type)
        if task.status in task_type.workflow.terminal:
            raise Problem(409, _("A %(status)s task cannot be reassigned.", status=task.status))
        site = await Site.get(id=task.site_id)
        assignee = await self.balanced_assignee(site, task_type) if balanced else await self._check_member(site, assignee_id)
        async with in_transaction():
            updated = await Task.filter(id=task.id, version=task.version).update(
                assignee_id=assignee.id, version=task.version + 1, updated_at=utcnow())
            if not updated:
                raise await self._stale(task)
            before = task.assignee_id
            await task.refresh_from_db()
            event = await self._event(task, "assigned", actor, note=assignee.username,
                                      data={"assignee_id": assignee.id, "previous": before, "balanced": balanced})
            taker = await self._watch_as_taker(task, actor)
            await audit.record("task.assign", actor=actor, site_id=task.site_id, object_type="task", object_id=task.id,
                               before={"assignee_id": before},
                               after={"assignee_id": assignee.id, **({"watchers_added": [taker]} if taker else {})},
                               client_address=client_address)
        await self._publish(task, "task.assigned", event)
        return task

    async def comment(self, task: Task, body: str, actor: User, kind: str = "commented",
                      client_address: str = "") -> TaskEvent:
        body = body.strip()
        if not body:
            raise invalid("body", _("Write something."))
        if len(body) > MAX_COMMENT:
            raise invalid("body", _("At most %(count)s characters.", count=MAX_COMMENT))
        now = utcnow()
        async with in_transaction():
            event = await self._event(task, kind, actor, note=body, at=now)
            if task.first_response_at is None and kind in RESPONSE_KINDS and actor.id != task.created_by_id:
                await Task.filter(id=task.id, first_response_at=None).update(first_response_at=now)
            await audit.record(f"task.{kind}", actor=actor, site_id=task.site_id, object_type="task",
                               object_id=task.id, client_address=client_address)
        await self._publish(task, f"task.{kind}", event)
        return event

    # --- the overdue job --------------------------------------------------------------------

    async def mark_overdue(self, now: dt.datetime | None = None, batch: int = 500) -> int:
        """Mark open, running tasks past their due time; one ``overdue`` event each.

        The conditional update (``overdue = false``) makes each mark happen once even when
        several workers run this at the same moment.
        """
        now = now or utcnow()
        marked = 0
        paused_states = {state for task_type in self.types.values() for state in task_type.workflow.paused}
        candidates = await (Task.filter(is_open=True, overdue=False, due_at__lt=now)
                            .exclude(status__in=list(paused_states)).order_by("due_at").limit(batch))
        for task in candidates:
            async with in_transaction():
                if not await Task.filter(id=task.id, overdue=False).update(overdue=True):
                    continue
                task.overdue = True
                event = await self._event(task, "overdue", None, note=rfc3339(task.due_at) or "", at=now)
            marked += 1
            await self._publish(task, "task.overdue", event)
        return marked


def _shortest_path(transitions: dict[str, tuple[str, ...]], start: str, goal: str) -> list[str]:
    """The states after ``start`` on a shortest way to ``goal`` ([] when there is none or
    ``start`` is the goal)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier and goal not in previous:
        following = []
        for state in frontier:
            for target in transitions.get(state, ()):
                if target not in previous and target != start:
                    previous[target] = state
                    following.append(target)
        frontier = following
    if goal not in previous:
        return []
    path = [goal]
    while previous[path[-1]] != start:
        path.append(previous[path[-1]])
    return path[::-1]
