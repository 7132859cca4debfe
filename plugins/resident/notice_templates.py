"""The resident desk's notice to colleagues: a case escalated to someone rings their bell.

Declared here (``register_message_templates`` of the plugin) and sent by ``_escalate`` in
``services``, in the escalation's own writes (a rolled-back escalation rings nobody)."""

from __future__ import annotations

from typing import Any

from core.entities.models import Site
from core.i18n import N_
from core.i18n import lazy_gettext as _l
from core.messages import services as messages
from core.messages.templates import MessageTemplate
from plugins.resident.models import Case

CASE_ESCALATED = "resident.case_escalated"


def templates() -> list[MessageTemplate]:
    return [MessageTemplate(
        CASE_ESCALATED, _l("Case escalated (to whom it is escalated)"), ("case_id", "title", "url"),
        subject=N_("Escalated to you: {title}"),
        body=N_("Case {case_id} \u201c{title}\u201d was escalated to you and is now urgent."),
        channels=("in_app",), optional=("url",),
        description=_l("An in-app notice to the supervisor or manager a resident's case is escalated to."))]


async def notify_escalation(task: Any, target: Any, actor: Any) -> None:
    """Tell ``target`` (a user) that the case of ``task`` is theirs now, unless they did it."""
    if actor is not None and getattr(actor, "id", None) == target.id:
        return
    case = await Case.get_or_none(task_id=task.id)
    site = await Site.get(id=task.site_id)
    record = ("resident", "case", case.id) if case is not None else ("core", "task", task.id)
    url = f"/sites/{site.code}/resident/cases/{case.id}" if case is not None else f"/sites/{site.code}/tasks/{task.id}"
    # Each escalation is one event of its own (to the supervisor, later to the manager): no dedupe key.
    await messages.notify(site, [target], CASE_ESCALATED,
                          {"case_id": case.id if case is not None else task.id, "title": task.title, "url": url},
                          about=record)
