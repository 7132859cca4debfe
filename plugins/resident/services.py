"""Cases and their closed loop: intake, escalation, duplicates, reply, revisit, reopen, close.

Each case is a kernel task of type ``resident.<kind>``; the kernel owns states and SLA,
this module owns the rules a property office adds (escalation, the revisit loop).
"""

from __future__ import annotations

import datetime as dt
from typing import Any


from tortoise.exceptions import NoValuesFetched
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import rfc3339, utcnow
from core.entities.models import Party, Site, Unit
from core.events import LiveEvent
from core.i18n import code_label, register_labels
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.identity.models import User
from core.identity.services import members_with_role
from core.messages import services as messages
from core.tasks.models import Task
from core.tasks.types import Subject
from core.problems import Problem, invalid
from plugins.resident.settings import setting
from plugins.resident.message_templates import CASE_REPLY
from plugins.resident.models import CASE_KINDS, Announcement, Case, Household, Revisit, RevisitAttempt

#: The rule a complaint must pass before it closes (named in the 409).
RULE_REVISIT_BEFORE_CLOSE = "resident.complaint.revisit_before_close"
#: A revisit's method in words (the task's history says "以電話回訪", not "以phone回訪").
REVISIT_METHOD_LABELS = register_labels("resident.revisit_method", {
    "phone": _l("Phone"), "email": _l("E-mail"), "sms": _l("SMS"), "visit": _l("Visit")})
#: A case's own task events in words, wherever the task's history is shown (the task page).
register_labels("task.event", {
    "replied": _l("replied to the resident"), "escalated": _l("escalated it"), "revisited": _l("recorded a revisit"),
    "merged": _l("merged a case into this one"),
})
#: Set by on_app_started: the kernel the hooks use (hooks do not get the app).


#: The case's own columns ``case_out`` reads.
CASE_COLUMNS = ("id", "task_id", "kind", "channel", "category", "cause", "severity", "unit_id", "party_id", "title", "reply",
                "reply_due_at", "replied_at", "satisfied", "reopen_count", "escalated_to", "merged_into_id",
                "created_at")
#: Its task's columns ``case_out`` shows beside them.
CASE_TASK_COLUMNS = ("status", "assignee_id", "due_at", "overdue", "priority", "version")
#: What the cases list fetches as plain rows (``core.rows``): the case's columns and its
#: task's, joined in the same query.
CASE_LIST_COLUMNS = CASE_COLUMNS + tuple(f"task__{name}" for name in CASE_TASK_COLUMNS)


def case_out(case: Case | dict[str, Any], task: Task | None = None, **extra: Any) -> dict[str, Any]:
    """A case as the API shows it: from the model (and its task, given or fetched with it)
    or from a plain row of ``CASE_LIST_COLUMNS``."""
    if isinstance(case, dict):
        row = case
        shown = ({name: row[f"task__{name}"] for name in CASE_TASK_COLUMNS}
                 if row.get("task__status") is not None else None)
    else:
        row = {name: getattr(case, name) for name in CASE_COLUMNS}
        task = task or getattr(case, "task", None)
        shown = {name: getattr(task, name) for name in CASE_TASK_COLUMNS} if isinstance(task, Task) else None
    out = {
        "id": row["id"], "task_id": row["task_id"], "kind": row["kind"], "channel": row["channel"],
        "category": row["category"], "cause": row["cause"], "severity": row["severity"], "unit_id": row["unit_id"],
        "party_id": row["party_id"], "title": row["title"], "reply": row["reply"],
        "reply_due_at": rfc3339(row["reply_due_at"]), "replied_at": rfc3339(row["replied_at"]),
        "satisfied": row["satisfied"], "reopen_count": row["reopen_count"],
        "escalated_to": row["escalated_to"] or None, "merged_into_id": row["merged_into_id"],
        "created_at": rfc3339(row["created_at"]),
    }
    if shown is not None:
        out.update(shown, due_at=rfc3339(shown["due_at"]))
    out.update(extra)
    return out


def attempt_out(attempt: RevisitAttempt) -> dict[str, Any]:
    """One call of a revisit as the API shows it (``attempt_history``)."""
    return {"number": attempt.number, "at": rfc3339(attempt.at), "by_id": attempt.by_id, "method": attempt.method,
            "reached": attempt.reached, "notes": attempt.notes}


def loaded_history(revisit: Revisit) -> list[RevisitAttempt] | None:
    """The revisit's attempts in order when they were fetched with it (``HISTORY`` /
    ``load_history``), else None."""
    try:
        return sorted(revisit.history, key=lambda attempt: attempt.number)
    except NoValuesFetched:
        return None


#: What a revisit query prefetches for ``attempt_history``: ``query.prefetch_related(HISTORY)``.
HISTORY = "history"


async def load_history(*revisits: Revisit) -> None:
    """Fetch the attempts of ``revisits`` (one query), for ``revisit_out``'s ``attempt_history``."""
    if revisits:
        await Revisit.fetch_for_list(list(revisits), HISTORY)


def revisit_out(revisit: Revisit) -> dict[str, Any]:
    """A revisit as the API shows it; ``attempt_history`` (every call, in order) when its
    attempts were fetched with it (``HISTORY``, ``load_history``)."""
    pending = revisit.status == "pending"
    history = loaded_history(revisit)
    extra = {} if history is None else {"attempt_history": [attempt_out(attempt) for attempt in history]}
    return {
        "id": revisit.id, "unit_id": revisit.unit_id, "case_id": revisit.case_id, "campaign_id": revisit.campaign_id,
        "agent_id": revisit.agent_id, "status": revisit.status, "method": revisit.method or None,
        "reached": revisit.reached, "satisfied": revisit.satisfied, "score": revisit.score,
        "evaluation": revisit.evaluation, "suggestions": revisit.suggestions, "notes": revisit.notes,
        "done_at": rfc3339(revisit.done_at), "created_at": rfc3339(revisit.created_at),
        "attempts": revisit.attempts, "last_attempt_at": rfc3339(revisit.last_attempt_at),
        "due_at": rfc3339(revisit.due_at), "next_due_at": rfc3339(revisit.due_at) if pending else None,
        "overdue": bool(revisit.overdue and pending), "escalated": revisit.escalation_task_id is not None,
        "escalation_task_id": revisit.escalation_task_id, "follow_up_task_id": revisit.follow_up_task_id,
        "version": revisit.version, **extra,
    }


async def publish(bus, site_id: int, name: str, data: dict, permission: str = "resident.case.read") -> None:
    """A live event for the desk and case pages (``bus`` is the app's event bus)."""
    await bus.publish(LiveEvent(site_id=site_id, name=name, data=data, permission=permission))


async def find_duplicates(site: Site, unit_id: int, category: str, exclude_id: int | None = None) -> list[int]:
    """Open cases on the same unit and category within the site's duplicate window."""
    if not category:
        return []
    since = utcnow() - dt.timedelta(hours=int(setting(site, "duplicate_window_hours")))
    query = Case.filter(site_id=site.id, unit_id=unit_id, category=category, created_at__gte=since,
                        merged_into_id=None, task__is_open=True)
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    return list(await query.order_by("id").values_list("id", flat=True))


async def _escalate(kernel, task: Task, to_role: str, reason: str, actor: User | None) -> User | None:
    """Give the case's task to the first active member holding ``to_role``, urgently."""
    holders = await members_with_role(task.site_id, to_role)
    if not holders:
        return None
    target = holders[0]
    if task.assignee_id != target.id:
        await task.refresh_from_db()
        task = await kernel.assign(task, target.id, False, task.version, actor)
    await Task.filter(id=task.id).update(priority="urgent")
    await Case.filter(task_id=task.id).update(escalated_to=to_role)
    await kernel.comment(task, reason, actor or target, kind="escalated")
    from plugins.resident.notice_templates import notify_escalation

    await notify_escalation(task, target, actor)  # their bell rings (in-app), with the escalation's writes
    await publish(kernel.bus, task.site_id, "resident.case.escalated", {"task_id": task.id, "to": to_role,
                                                            "assignee_id": target.id})
    return target


async def create_case(kernel, site: Site, actor: Actor, data: dict[str, Any]) -> tuple[Case, list[int]]:
    kind = data["kind"]
    if kind not in CASE_KINDS:
        raise invalid("kind", _("Use one of: %(values)s.", values=", ".join(CASE_KINDS)))
    unit = await Unit.get_or_none(id=data["unit_id"], site_id=site.id)
    if unit is None:
        raise invalid("unit_id", _("No unit %(id)s at this site.", id=data["unit_id"]))
    party_id = data.get("party_id")
    if party_id is not None and not await Party.filter(id=party_id, site_id=site.id).exists():
        raise invalid("party_id", _("No party %(id)s at this site.", id=party_id))
    household = await Household.get_or_none(unit_id=unit.id)
    severity = data.get("severity") or "normal"
    reasons = []
    if kind == "complaint" and severity == "major":
        reasons.append(_("A major complaint goes to the supervisor at once."))
    if household is not None and household.important:
        reasons.append(_("An important owner's case goes to the supervisor at once."))
    supervisor = next(iter(await members_with_role(site.id, "supervisor")), None) if reasons else None
    now = utcnow()
    reply_minutes = int(setting(site, "reply_minutes").get(kind, 24 * 60))
    category = (data.get("category") or "").strip()
    cause = None
    if kind == "complaint":  # codes of the site's lists (complaints.CATEGORIES, CAUSES)
        from plugins.resident.complaints import check_codes

        codes = await check_codes(site, data)
        category, cause = codes["category"] or "", codes["cause"]
    duplicates = await find_duplicates(site, unit.id, category)
    async with kernel.transaction():
        assign: dict[str, Any] = {"assignee_id": supervisor.id} if supervisor else {"assign": "balanced"}
        try:
            task = await kernel.create(
                site, actor.user, type=f"resident.{kind}", title=data["title"], description=data.get("description") or "",
                priority="urgent" if reasons else ("high" if severity == "major" else "normal"), unit_id=unit.id,
                party_id=party_id, client_address=actor.client_address, **assign)
        except Problem as problem:
            if problem.status != 409 or "assign" not in assign:
                raise
            task = await kernel.create(  # nobody holds the role: the case waits in the queue
                site, actor.user, type=f"resident.{kind}", title=data["title"], description=data.get("description") or "",
                priority="high" if severity == "major" else "normal", unit_id=unit.id, party_id=party_id,
                client_address=actor.client_address)
        case = await Case.create(site_id=site.id, task=task, unit_id=unit.id, party_id=party_id, kind=kind,
                                 channel=data["channel"], category=category, cause=cause, severity=severity, title=data["title"],
                                 reply_due_at=now + dt.timedelta(minutes=reply_minutes),
                                 escalated_to="supervisor" if supervisor else "")
        await kernel.set_subject(task, Subject("resident", "case", case.id))
        if supervisor:
            await kernel.comment(task, " ".join(reasons), actor.user, kind="escalated",
                                 client_address=actor.client_address)
        await audit.record("resident.case.create", actor=actor.user, site_id=site.id, object_type="resident.case",
                           object_id=case.id, after=case_out(case, task, duplicates=duplicates),
                           client_address=actor.client_address)
    await publish(kernel.bus, site.id, "resident.case.created", case_out(case, task))
    return case, duplicates


async def load_task(case: Case) -> Task:
    return await Task.get(id=case.task_id)


async def merge_case(kernel, case: Case, into: Case, actor: Actor) -> Case:
    if case.id == into.id:
        raise invalid("into_id", _("A case cannot be merged into itself."))
    if into.site_id != case.site_id:
        raise invalid("into_id", _("No case %(id)s at this site.", id=into.id))
    task, target = await load_task(case), await load_task(into)
    if case.merged_into_id or not task.is_open:
        raise Problem(409, _("Only an open case can be merged."))
    if not target.is_open:
        raise Problem(409, _("Merge into an open case."))
    async with kernel.transaction():
        await kernel.transition(task, "cancelled", task.version, actor.user,
                                note=_("Merged into case %(id)s.", id=into.id), may_work_any=True,
                                client_address=actor.client_address)
        case.merged_into_id = into.id
        await case.save(update_fields=["merged_into_id"])
        await kernel.comment(target, _("Case %(id)s (%(title)s) was merged into this one.", id=case.id, title=case.title),
                             actor.user, kind="merged", client_address=actor.client_address)
        await audit.record("resident.case.merge", actor=actor.user, site_id=case.site_id, object_type="resident.case",
                           object_id=case.id, after={"merged_into_id": into.id}, client_address=actor.client_address)
    return case


#: The channels a reply can be sent to the resident by (``reply(send_by=...)``).
REPLY_CHANNELS = ("sms", "email")
#: The typed address field of each channel (a 422 names it).
ADDRESS_FIELDS = {"sms": "phone", "email": "email"}


async def reply(kernel, case: Case, message: str, actor: Actor, *, send_by: list[str] | None = None,
                phone: str | None = None, email: str | None = None) -> Case:
    """Record the answer given to the resident; the first one is the first response.

    ``send_by`` (sms, email): the reply is also sent to the resident, one message per
    channel, queued in the reply's transaction (a refused reply sends nothing), to the
    case's party at the ``phone``/``email`` typed (checked: 422 naming the field) or on
    record (none: 422 naming the field). A channel the resident opted out of is recorded
    as not sent. The messages queued are ``case.sent_messages``."""
    message = message.strip()
    if not message:
        raise invalid("message", _("Write the reply given to the resident."))
    send_by = list(dict.fromkeys(send_by or []))
    for index, channel in enumerate(send_by):
        if channel not in REPLY_CHANNELS:
            raise invalid(f"send_by.{index}", _("Use one of: %(values)s.", values=", ".join(REPLY_CHANNELS)))
    typed = {"sms": (phone or "").strip(), "email": (email or "").strip()}
    party = await Party.get_or_none(id=case.party_id, site_id=case.site_id) if case.party_id else None
    task = await load_task(case)
    if not task.is_open and task.status != "resolved":
        raise Problem(409, _("This case is %(status)s; it takes no more replies.", status=task.status))
    site = await Site.get(id=case.site_id) if send_by else None
    sent = []
    async with kernel.transaction():
        await kernel.comment(task, message, actor.user, kind="replied", client_address=actor.client_address)
        now = utcnow()
        changes = {"reply": message}
        if case.replied_at is None:
            changes["replied_at"] = now
        await Case.filter(id=case.id).update(**changes)
        if task.status == "open":
            await kernel.transition(task, "in_progress", task.version, actor.user, note=_("Replied to the resident."),
                                    may_work_any=True, client_address=actor.client_address)
        for channel in send_by:
            sent.append(await _send_reply(site, case, party, channel, typed[channel], message, actor))
        await audit.record("resident.case.reply", actor=actor.user, site_id=case.site_id, object_type="resident.case",
                           object_id=case.id, note=message[:500], client_address=actor.client_address,
                           **({"after": {"sent_by": [{"channel": m.channel, "message_id": m.id, "status": m.status}
                                                     for m in sent]}} if sent else {}))
    await case.refresh_from_db()
    case.sent_messages = sent
    await publish(kernel.bus, case.site_id, "resident.case.replied", case_out(case))
    return case


async def _send_reply(site: Site, case: Case, party: Party | None, channel: str, typed: str, message: str,
                      actor: Actor):
    """One message of a reply, in the reply's transaction."""
    field_name = ADDRESS_FIELDS[channel]
    if not typed and party is None:
        raise invalid(field_name, _("This case has no resident on record: type the %(what)s to send the reply to.",
                                    what=_("phone number") if channel == "sms" else _("e-mail address")))
    if not typed and not messages.registry().channel(channel).address_of(party=party):
        raise invalid(field_name, _("%(name)s has no %(what)s on record: type one.", name=party.name,
                                    what=_("phone number") if channel == "sms" else _("e-mail address")))
    return await messages.queue(site, CASE_REPLY, {"case_number": case.id, "title": case.title, "reply": message,
                                                   "site": site.name},
                                party=party, channel=channel, address=typed or None, address_field=field_name,
                                about=("resident", "case", case.id), actor=actor)


def check_revisit_fields(data: dict[str, Any]) -> None:
    if data.get("reached") and data.get("satisfied") is None:
        raise invalid("satisfied", _("Say whether the resident was satisfied."))
    score = data.get("score")
    if score is not None and not 1 <= int(score) <= 5:
        raise invalid("score", _("A score from 1 to 5."))


async def apply_revisit_to_case(kernel, case: Case, revisit: Revisit, actor: Actor) -> bool:
    """A satisfied revisit lets a complaint close; an unsatisfied one reopens and escalates.
    True when it reopened the case."""
    if not revisit.reached:
        return False
    if revisit.satisfied:
        await Case.filter(id=case.id).update(satisfied=True)
        return False
    task = await load_task(case)
    reopened = False
    if task.status in ("resolved", "closed") and "in_progress" in kernel.type_of(task.type).workflow.allowed(task.status):
        reopened = True
        await kernel.transition(task, "in_progress", task.version, actor.user, may_work_any=True,
                                note=_("Reopened: the resident was not satisfied at the revisit."),
                                client_address=actor.client_address)
        await case.refresh_from_db()
        if case.escalated_to != "manager":
            await _escalate(kernel, task, "supervisor",
                            _("Reopened after an unsatisfied revisit: escalated to the supervisor."), actor.user)
    return reopened


def check_revisit_agent(revisit: Revisit, actor: Actor) -> None:
    """A revisit on another agent's call list is theirs to record (403), unless the actor
    runs the campaigns (``resident.campaign.manage``)."""
    if revisit.agent_id not in (None, actor.user_id) and not actor.can("resident.campaign.manage"):
        raise Problem(403, _("This revisit is on another agent's call list."))


async def _resolved_task(case: Case) -> Task:
    task = await load_task(case)
    if task.status != "resolved":
        raise Problem(409, _("A revisit is recorded once the case is resolved; this one is %(status)s.",
                             status=task.status), rule="resident.revisit.after_resolved")
    return task


async def revisit_case(kernel, case: Case, data: dict[str, Any], actor: Actor) -> Revisit:
    """A revisit of a resolved case. An unreached resident is called again (the site's
    ``revisit_retry``): the revisit stays pending on the caller's list, and a later call
    of this, or the call list, records the next attempt on it.

    The case's row is locked before its pending revisit is looked up (PostgreSQL: SELECT
    ... FOR UPDATE; SQLite runs one transaction at a time): two calls at once record two
    attempts on one revisit, never make two. A pending revisit on another agent's call
    list (a campaign's) is refused as ``record_revisit`` refuses it (403)."""
    await _resolved_task(case)
    check_revisit_fields(data)
    site = await Site.get(id=case.site_id)
    data = {**data, "evaluation": data.get("comments") or data.get("evaluation") or ""}
    async with kernel.transaction():
        await Case.filter(id=case.id).select_for_update().get()
        task = await _resolved_task(case)  # again under the lock: a call just before may have reopened it
        revisit = await Revisit.filter(case_id=case.id, status="pending").order_by("id").first()
        if revisit is None:
            revisit = await Revisit.create(site_id=case.site_id, unit_id=case.unit_id, case=case, agent=actor.user)
        else:
            check_revisit_agent(revisit, actor)
            if data.get("version") is not None and data["version"] != revisit.version:
                raise stale_revisit(revisit)
        await record_attempt(kernel, site, revisit, data, actor)
        await kernel.comment(task, _("Revisit by %(method)s: %(result)s", method=code_label(
            revisit.method, "resident.revisit_method"), result=(
            _("satisfied") if revisit.satisfied else _("not satisfied") if revisit.reached else _("not reached"))),
            actor.user, kind="revisited", client_address=actor.client_address)
    await publish(kernel.bus, case.site_id, "resident.revisit.recorded", revisit_out(revisit))
    return revisit


# --- revisits worked to the end: retries, escalation, follow-up, overdue -----------------

#: The kernel task types a revisit makes (``task_types.py``).
REVISIT_ESCALATION = "resident.revisit_escalation"
FOLLOW_UP = "resident.follow_up"


def retry_policy(site: Site) -> tuple[int, int]:
    """(attempts, hours between them) of the site's ``revisit_retry`` setting."""
    policy = setting(site, "revisit_retry")
    return int(policy["attempts"]), int(policy["interval_hours"])


def stale_revisit(revisit: Revisit) -> Problem:
    return Problem(409, _("Someone recorded this revisit since you read it. Reload and try again."),
                   current={"id": revisit.id, "version": revisit.version, "status": revisit.status})


async def _revisit_task(kernel, site: Site, revisit: Revisit, actor: Actor, *, type: str, title: str,
                        description: str, subject: Subject, priority: str) -> Task:
    """A kernel task about a revisit, given by balanced assignment among the type's roles
    (supervisors for an escalation, agents for a follow-up), or left in the queue when
    nobody holds them."""
    fields = dict(type=type, title=title[:200], description=description, priority=priority,
                  unit_id=revisit.unit_id, subject=subject, client_address=actor.client_address)
    try:
        return await kernel.create(site, actor.user, assign="balanced", **fields)
    except Problem as problem:
        if problem.status != 409:
            raise
        return await kernel.create(site, actor.user, **fields)


async def record_attempt(kernel, site: Site, revisit: Revisit, data: dict[str, Any], actor: Actor) -> Revisit:
    """One call of a pending revisit, inside the caller's ``kernel.transaction()``.

    Reached: the revisit is done. Unreached with attempts left (the site's
    ``revisit_retry``): it stays pending, due again ``interval_hours`` later. Unreached at
    the last attempt: done, not reached, and escalated to a supervisor (a
    ``resident.revisit_escalation`` task). Done and reached on a resolved case: the case
    takes the result (``apply_revisit_to_case``). Unsatisfied in a campaign, and no case
    reopened by it: a follow-up task (及時補救) about the household, by balanced
    assignment among the agents. The update is conditional on the version read (409).
    Every call is kept (``RevisitAttempt``, the revisit's ``attempt_history``): the
    revisit's own method and notes are the last call's."""
    now = utcnow()
    reached = bool(data["reached"])
    limit, interval = retry_policy(site)
    tries = revisit.attempts + 1
    changes: dict[str, Any] = {
        "method": data["method"], "attempts": tries, "last_attempt_at": now, "notes": data.get("notes") or "",
        "agent_id": revisit.agent_id or actor.user_id, "version": revisit.version + 1, "overdue": False}
    if reached:
        changes.update(status="done", reached=True, satisfied=data.get("satisfied"), score=data.get("score"),
                       evaluation=data.get("evaluation") or "", suggestions=data.get("suggestions") or "",
                       done_at=now)
    elif tries < limit:
        changes.update(due_at=now + dt.timedelta(hours=interval))
    else:
        changes.update(status="done", reached=False, satisfied=None, done_at=now)
    updated = await Revisit.filter(id=revisit.id, status="pending", version=revisit.version).update(**changes)
    if not updated:
        await revisit.refresh_from_db()
        raise stale_revisit(revisit)
    await RevisitAttempt.create(revisit_id=revisit.id, number=tries, at=now, by_id=actor.user_id,
                                method=changes["method"], reached=reached, notes=changes["notes"])
    await revisit.refresh_from_db()
    await load_history(revisit)
    finished = revisit.status == "done"
    await audit.record("resident.revisit.record" if finished else "resident.revisit.attempt", actor=actor.user,
                       site_id=revisit.site_id, object_type="resident.revisit", object_id=revisit.id,
                       after=revisit_out(revisit), client_address=actor.client_address)
    unit = await Unit.get(id=revisit.unit_id)
    if finished and not reached:
        task = await _revisit_task(
            kernel, site, revisit, actor, type=REVISIT_ESCALATION, priority="high",
            title=_("Revisit of %(unit)s: not reached in %(count)s calls", unit=unit.code, count=tries),
            description=revisit.notes, subject=Subject("resident", "revisit", revisit.id))
        await Revisit.filter(id=revisit.id).update(escalation_task_id=task.id)
        revisit.escalation_task_id = task.id
        await audit.record("resident.revisit.escalate", actor=actor.user, site_id=revisit.site_id,
                           object_type="resident.revisit", object_id=revisit.id,
                           after={"task_id": task.id, "attempts": tries}, client_address=actor.client_address)
    reopened = False
    if finished and reached and revisit.case_id:
        case = await Case.get(id=revisit.case_id)
        if (await load_task(case)).status == "resolved":
            reopened = await apply_revisit_to_case(kernel, case, revisit, actor)
    if finished and reached and revisit.satisfied is False and revisit.campaign_id and not reopened:
        household = await Household.get_or_none(unit_id=revisit.unit_id)
        subject = (Subject("resident", "household", household.id) if household is not None
                   else Subject("resident", "revisit", revisit.id))
        task = await _revisit_task(
            kernel, site, revisit, actor, type=FOLLOW_UP, priority="high",
            title=_("Follow up on %(unit)s: not satisfied at the revisit", unit=unit.code),
            description="\n".join(text for text in (revisit.evaluation, revisit.suggestions, revisit.notes) if text),
            subject=subject)
        await Revisit.filter(id=revisit.id).update(follow_up_task_id=task.id)
        revisit.follow_up_task_id = task.id
        await audit.record("resident.revisit.follow_up", actor=actor.user, site_id=revisit.site_id,
                           object_type="resident.revisit", object_id=revisit.id, after={"task_id": task.id},
                           client_address=actor.client_address)
    return revisit


async def mark_overdue_revisits(bus, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Mark pending revisits past their due time, as the kernel marks tasks: once each
    (the update is conditional on ``overdue = false``), audited, a live event each."""
    now = now or utcnow()
    marked = 0
    candidates = await (Revisit.filter(status="pending", overdue=False, due_at__lt=now)
                        .order_by("due_at").limit(batch))
    for revisit in candidates:
        async with in_transaction():
            if not await Revisit.filter(id=revisit.id, status="pending", overdue=False,
                                        due_at=revisit.due_at).update(overdue=True):
                continue
            revisit.overdue = True
            await audit.record("resident.revisit.overdue", site_id=revisit.site_id, object_type="resident.revisit",
                               object_id=revisit.id, after={"due_at": rfc3339(revisit.due_at)})
        marked += 1
        await publish(bus, revisit.site_id, "resident.revisit.overdue", revisit_out(revisit),
                      permission="resident.revisit.record")
    return marked


# --- hooks ------------------------------------------------------------------------------


async def transition_guard(task: Task, to_status: str) -> str | None:
    if task.type != "resident.complaint" or to_status != "closed":
        return None
    case = await Case.get_or_none(task_id=task.id)
    if case is None or case.satisfied:
        from plugins.resident.complaints import close_refusal

        return close_refusal(case)
    return _("Rule %(rule)s: a complaint closes only after a revisit in which the resident was satisfied.",
             rule=RULE_REVISIT_BEFORE_CLOSE)


async def on_reopened(kernel, task: Task, actor_id: int | None) -> None:
    """Every reopening counts; past the site's limit the manager gets the case."""
    case = await Case.get_or_none(task_id=task.id)
    if case is None:
        return
    site = await Site.get(id=task.site_id)
    case.reopen_count += 1
    case.satisfied = False
    await case.save(update_fields=["reopen_count", "satisfied"])
    actor = await User.get_or_none(id=actor_id) if actor_id else None
    limit = int(setting(site, "max_reopens"))
    if case.reopen_count > limit:
        await _escalate(kernel, task, "manager", _("Reopened %(count)s times (more than %(limit)s): escalated to the manager.",
                                                   count=case.reopen_count, limit=limit), actor)


# --- announcements ----------------------------------------------------------------------


def announcement_out(item: Announcement) -> dict[str, Any]:
    return {"id": item.id, "title": item.title, "body": item.body, "building": item.building or None,
            "publish_from": rfc3339(item.publish_from), "publish_until": rfc3339(item.publish_until),
            "created_at": rfc3339(item.created_at)}


async def create_announcement(site: Site, data: dict[str, Any], actor: Actor) -> Announcement:
    """Publish a notice to the site's residents (or one building's) for a window of time."""
    start = data.get("publish_from") or utcnow()
    until = data.get("publish_until")
    if until is not None and until <= start:
        raise invalid("publish_until", _("The end of the publish window is before its start."))
    building = data.get("building") or ""
    if building and not await Unit.filter(site_id=site.id, building=building).exists():
        raise invalid("building", _("No building %(name)s at this site.", name=building))
    async with in_transaction():
        item = await Announcement.create(site_id=site.id, title=data["title"], body=data["body"], building=building,
                                         publish_from=start, publish_until=until, created_by=actor.user)
        await audit.record("resident.announcement.create", actor=actor.user, site_id=site.id,
                           object_type="resident.announcement", object_id=item.id, after=announcement_out(item),
                           client_address=actor.client_address)
    return item
