"""What the cashier flags to supervisors becomes a task of the task kernel.

A shift closed with a difference (or opened with a float difference) and a refund above
the limit each become a kernel task for the supervisors; the review or decision closes
it. The shift's own status is the rule; the task is how a supervisor hears of it, so a
failure here is logged and never undoes the money record (which has committed already).
"""

from __future__ import annotations

import logging

from core.actors import Actor
from core.i18n import gettext as _
from core.money import format_money
from core.tasks.models import Task
from core.tasks.types import Subject
from core.problems import Problem
from plugins.cashier.models import Approval, Entry, Shift
from plugins.cashier.task_types import APPROVAL_TASK, REVIEW_TASK

log = logging.getLogger("frontdesk.cashier")

# The type names are declared with the types (``task_types.py``).


async def _create(kernel, site, actor: Actor, title: str, description: str, type_: str,
                  subject: Subject) -> Task | None:
    try:
        try:
            return await kernel.create(site, actor.user, type=type_, title=title, description=description,
                                       assign="balanced", subject=subject, client_address=actor.client_address)
        except Problem:  # nobody holds the role: the task waits unassigned rather than not at all
            return await kernel.create(site, actor.user, type=type_, title=title, description=description,
                                       subject=subject, client_address=actor.client_address)
    except Exception:
        log.exception("cashier: task %s not created", type_)
        return None


async def _close(kernel, actor: Actor, task_id: int | None, note: str) -> None:
    if not task_id:
        return
    try:
        task = await Task.get_or_none(id=task_id)
        if task is not None:
            await kernel.drive(task, "closed", actor, note=note[:500])
    except Exception:
        log.exception("cashier: task %s not closed", task_id)


async def shift_needs_review(kernel, site, shift: Shift, register_name: str, actor: Actor) -> None:
    if shift.review_task_id:
        return
    parts = []
    if shift.difference:
        parts.append(_("difference %(amount)s", amount=format_money(shift.difference, site.currency)))
    if shift.float_flagged:
        parts.append(_("float difference %(amount)s", amount=format_money(shift.float_difference, site.currency)))
    task = await _create(kernel, site, actor, _("Review shift %(id)s at %(register)s", id=shift.id,
                                                register=register_name), "; ".join(parts), REVIEW_TASK,
                         Subject("cashier", "shift", shift.id))
    if task is not None:
        await Shift.filter(id=shift.id).update(review_task_id=task.id)


async def shift_reviewed(kernel, shift: Shift, actor: Actor) -> None:
    await _close(kernel, actor, shift.review_task_id, shift.review_note)


async def refund_waits(kernel, site, entry: Entry, actor: Actor) -> None:
    task = await _create(kernel, site, actor, _("Approve refund %(amount)s (entry %(id)s)",
                                                amount=format_money(entry.amount, site.currency), id=entry.id),
                         entry.reference or entry.note, APPROVAL_TASK, Subject("cashier", "entry", entry.id))
    if task is not None:
        await Approval.filter(entry_id=entry.id).update(task_id=task.id)


async def refund_decided(kernel, approval: Approval, actor: Actor) -> None:
    await _close(kernel, actor, approval.task_id, approval.note or approval.status)
