"""What the cashier flags to supervisors goes through the task kernel and the live bus.

A shift closed with a difference (or opened with a float difference) and a refund above
the limit each become a kernel task for the supervisors; the review or decision closes
it. The shift's own status is the rule; the task is how a supervisor hears of it, so a
failure here is logged and never undoes the money record.
"""

from __future__ import annotations

import logging

from starlette.requests import Request

from core.events import LiveEvent
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.tasks.models import Task
from core.tasks.types import TaskType, Workflow
from core.web.problems import Problem
from plugins.cashier import money
from plugins.cashier.models import Approval, Entry, Shift

log = logging.getLogger("frontdesk.cashier")

REVIEW_TASK = "cashier.difference_review"
APPROVAL_TASK = "cashier.refund_approval"
WORKFLOW = Workflow(transitions={"open": ("in_progress", "closed", "cancelled"),
                                 "in_progress": ("closed", "cancelled")})

TASK_TYPES = [
    TaskType(name=REVIEW_TASK, label=_l("Review a cash difference"), default_sla_minutes=24 * 60,
             workflow=WORKFLOW, assign_roles=("supervisor",)),
    TaskType(name=APPROVAL_TASK, label=_l("Approve a refund"), default_sla_minutes=30,
             workflow=WORKFLOW, assign_roles=("supervisor",)),
]


async def publish(request: Request, site_id: int, name: str, data: dict) -> None:
    try:
        await request.app.state.events.publish(LiveEvent(site_id, name, data, permission="cashier.shift.read"))
    except Exception:  # a live refresh is a convenience, never a reason to fail the write
        log.exception("cashier: live event %s not published", name)


async def _create(request: Request, site, title: str, description: str, type_: str) -> Task | None:
    kernel = request.app.state.tasks
    try:
        try:
            return await kernel.create(site, request.state.user, type=type_, title=title, description=description,
                                       assign="balanced", client_address=request.state.client_address)
        except Problem:
            return await kernel.create(site, request.state.user, type=type_, title=title, description=description,
                                       client_address=request.state.client_address)
    except Exception:
        log.exception("cashier: task %s not created", type_)
        return None


async def _close(request: Request, task_id: int | None, note: str) -> None:
    if not task_id:
        return
    try:
        task = await Task.get_or_none(id=task_id)
        if task is not None and task.is_open:
            await request.app.state.tasks.transition(task, "closed", task.version, request.state.user, note=note[:500],
                                                     may_work_any=True, client_address=request.state.client_address)
    except Exception:
        log.exception("cashier: task %s not closed", task_id)


async def shift_needs_review(request: Request, site, shift: Shift, register_name: str) -> None:
    if shift.review_task_id:
        return
    parts = []
    if shift.difference:
        parts.append(_("difference %(amount)s", amount=money.format_money(shift.difference, site.currency)))
    if shift.float_flagged:
        parts.append(_("float difference %(amount)s", amount=money.format_money(shift.float_difference, site.currency)))
    task = await _create(request, site, _("Review shift %(id)s at %(register)s", id=shift.id, register=register_name),
                         "; ".join(parts), REVIEW_TASK)
    if task is not None:
        await Shift.filter(id=shift.id).update(review_task_id=task.id)


async def shift_reviewed(request: Request, shift: Shift) -> None:
    await _close(request, shift.review_task_id, shift.review_note)


async def refund_waits(request: Request, site, entry: Entry) -> None:
    task = await _create(request, site, _("Approve refund %(amount)s (entry %(id)s)",
                                          amount=money.format_money(entry.amount, site.currency), id=entry.id),
                         entry.reference or entry.note, APPROVAL_TASK)
    if task is not None:
        await Approval.filter(entry_id=entry.id).update(task_id=task.id)


async def refund_decided(request: Request, approval: Approval) -> None:
    await _close(request, approval.task_id, approval.note or approval.status)
