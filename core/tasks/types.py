"""Task types and workflows, as plugins declare them (``register_task_types``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.i18n import lazy_gettext as _l, register_labels


@dataclass(frozen=True)
class Workflow:
    """States and the transitions allowed between them."""

    transitions: dict[str, tuple[str, ...]]
    initial: str = "open"
    #: The SLA clock stops in these states.
    paused: tuple[str, ...] = ("waiting",)
    #: Nothing happens after these (they count as done for loads and overdue checks).
    terminal: tuple[str, ...] = ("closed", "cancelled")
    #: Reaching one of these states resolves the task (for the resolution KPI).
    resolved: tuple[str, ...] = ("resolved", "closed")
    #: Transitions that count as reopening (recorded as a "reopened" event).
    reopens: tuple[tuple[str, str], ...] = (("resolved", "in_progress"),)

    @property
    def states(self) -> list[str]:
        seen: list[str] = [self.initial]
        for source, targets in self.transitions.items():
            for state in (source, *targets):
                if state not in seen:
                    seen.append(state)
        return seen

    def allowed(self, status: str) -> list[str]:
        return list(self.transitions.get(status, ()))

    def cancels(self, to: str) -> bool:
        """Whether moving to ``to`` ends the task without resolving it (a cancellation)."""
        return to in self.terminal and to not in self.resolved


DEFAULT_WORKFLOW = Workflow(
    transitions={
        "open": ("in_progress", "cancelled"),
        "in_progress": ("waiting", "resolved", "cancelled"),
        "waiting": ("in_progress", "cancelled"),
        "resolved": ("closed", "in_progress"),
    }
)

PRIORITY_LABELS = register_labels("task.priority", {
    "low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")})

#: What a task's history says of an event of a kind the page does not word itself (a
#: plugin's own kinds: its plugin registers them under "task.event" too).
EVENT_LABELS = register_labels("task.event", {
    "created": _l("created the task"), "commented": _l("commented"), "overdue": _l("marked it overdue"),
    "transitioned": _l("changed its state"), "reopened": _l("reopened it"),
})

STATE_LABELS = register_labels("task.status", {
    "open": _l("Open"), "in_progress": _l("In progress"), "waiting": _l("Waiting"),
    "resolved": _l("Resolved"), "closed": _l("Closed"), "cancelled": _l("Cancelled"),
})


@dataclass(frozen=True)
class GenericUse:
    """What the generic task routes (``/api/v1/sites/{site}/tasks`` and the task pages)
    may do with a type. A plugin whose records drive their tasks says no to what would
    leave the record behind: a complaint created without its case, a refund approval
    closed without a decision."""

    #: Create a task of this type with no record behind it.
    create: bool = False
    #: Cancel it (always with a reason, and with ``TaskType.cancel_permission``).
    cancel: bool = True
    #: Move it into one of its workflow's resolved states.
    close: bool = True


#: Core's own types: the generic routes are their only way in.
GENERIC_ONLY = GenericUse(create=True)


@dataclass(frozen=True)
class Subject:
    """The record a task is about, named by the plugin that owns it: ``("hotel", "room", 7)``.

    The owner advances or resolves the task when the record changes and renders the
    record's panel on the task page (its ``pages.task_panel``)."""

    plugin: str
    kind: str
    id: int

    def __str__(self) -> str:
        return f"{self.plugin}.{self.kind}:{self.id}"


@dataclass(frozen=True)
class SubjectPanel:
    """A panel about a task's record on the task page: the owner's ``pages.task_panel``
    returns one, other plugins through ``task_subject_panel``."""

    title: Any
    #: The record's own page.
    url: str
    #: A template of the plugin, rendered with ``context`` (plus the page's own context).
    template: str = ""
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskType:
    """A kind of work a plugin contributes: ``hotel.departure_clean``, ``resident.complaint``."""

    #: Namespaced by the plugin: ``<plugin>.<name>``.
    name: str
    label: Any
    default_sla_minutes: int
    workflow: Workflow = DEFAULT_WORKFLOW
    #: Count the SLA in the site's business hours (skipping nights, weekends, holidays).
    business_hours: bool = False
    #: Roles whose members balanced assignment chooses among.
    assign_roles: tuple[str, ...] = ("agent",)
    #: A skill preferred by balanced assignment when some candidates have it.
    assign_skill: str | None = None
    #: The type of follow-up (a revisit, a callback) a task must have, done, before it closes.
    requires_follow_up: str | None = None
    #: What the generic task routes may do with it (plugins' types: not create, by default).
    generic: GenericUse = GenericUse()
    #: Where a person creates, cancels or closes it instead, when the generic routes may
    #: not: named in the refusal ("POST /api/v1/sites/{site}/resident/cases").
    owner_endpoint: str = ""
    #: A permission the actor must hold (at the task's site) to cancel it on the generic
    #: routes: a complaint's cancellation is a supervisor's act.
    cancel_permission: str | None = None
    #: First-contact ownership (the site setting ``tasks.first_contact_resolution``): the
    #: user who created a task may work it to done on the spot although balanced
    #: assignment gave it to someone else. False: only its assignee (or a supervisor).
    first_contact: bool = True
    #: The page a task of this type is worked on, when its subject's page carries everything
    #: (a resident case: reply, revisit, assignment): a path with ``{site}`` and
    #: ``{subject_id}``. Lists such as my work link there instead of the bare task page.
    page: str = ""
    #: Filled by the host: the plugin that declared the type.
    plugin: str = field(default="", compare=False)

    def state_label(self, state: str) -> Any:
        return STATE_LABELS.get(state, state)


GENERAL = TaskType(name="core.general", label=_l("General task"), default_sla_minutes=24 * 60,
                   assign_roles=("agent", "supervisor", "front_desk", "back_office", "call_agent"),
                   generic=GENERIC_ONLY)
FOLLOW_UP = TaskType(name="core.follow_up", label=_l("Follow-up"), default_sla_minutes=7 * 24 * 60,
                     assign_roles=("agent", "call_agent"), generic=GENERIC_ONLY)
