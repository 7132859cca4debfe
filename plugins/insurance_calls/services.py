"""The phone desk's rules: logging calls, caller history, callbacks and complaints as tasks.

A follow-up promise becomes an ``insurance_calls.callback`` task due at the promised time;
a complaint becomes an ``insurance_calls.complaint`` task with its SLA and a required
``insurance_calls.revisit`` child. A callback or revisit is done only by logging the
outbound call that made it (``task_id``): there is no callback outside a task.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.expressions import F

from core.actors import Actor
from core.audit import services as audit
from core.clock import rfc3339, utcnow
from core.entities.models import Party, Site
from core.entities.privacy import mask_phone
from core.events import LiveEvent
from core.i18n import gettext as _
from core.identity.models import User
from core.identity.services import members_with_role
from core.messages import notices
from core.messages import services as messages
from core.tasks.models import Task
from core.tasks.services import subject_of
from core.tasks.types import Subject
from core.problems import Problem, invalid
from core.rows import fetch as rows_of
from plugins.insurance_calls import message_templates, rules
from plugins.insurance_calls.models import Call

CALLBACK = "insurance_calls.callback"
COMPLAINT = "insurance_calls.complaint"
REVISIT = "insurance_calls.revisit"
CALLBACK_TYPES = (CALLBACK, REVISIT)
#: Calls in the last 30 days from which a caller counts as a repeat caller.
REPEAT_CALLS = 2
HISTORY_LIMIT = 20
#: Hours after the complaint's reply is due by which its revisit is due.
REVISIT_AFTER_HOURS = 48
CLOCK_SKEW = dt.timedelta(minutes=2)
MAX_CALL = dt.timedelta(hours=12)
#: Who sees callers' phone and policy numbers unmasked (and may search by them).
PERSONAL = "insurance_calls.caller.personal_data"
#: Who may carry out a callback assigned to someone else (a supervisor's act).
WORK_ANY = "core.task.assign"

#: The columns ``call_out`` reads: lists and the screen pop fetch exactly these as plain rows
#: (``core.rows``).
CALL_COLUMNS = ("id", "direction", "started_at", "ended_at", "handle_seconds", "agent_id", "phone", "caller_name",
                "plate", "policy_no", "call_type", "summary", "answer", "outcome", "follow_up_at", "type_fields",
                "satisfied", "follow_up_task_id", "complaint_task_id", "task_id", "reopen_count", "created_at")


def call_out(call: Call | dict[str, Any], show_personal: bool) -> dict[str, Any]:
    """A call (model or plain row of ``CALL_COLUMNS``) for the API; numbers masked unless permitted."""
    row = call if isinstance(call, dict) else {name: getattr(call, name) for name in CALL_COLUMNS}
    phone, policy = row["phone"], row["policy_no"]
    return {
        "id": row["id"], "direction": row["direction"], "started_at": rfc3339(row["started_at"]),
        "ended_at": rfc3339(row["ended_at"]), "handle_seconds": row["handle_seconds"], "agent_id": row["agent_id"],
        "phone": phone if show_personal else mask_phone(phone), "phone_masked": not show_personal,
        "caller_name": row["caller_name"], "plate": row["plate"],
        "policy_no": policy if show_personal else rules.mask_policy(policy),
        "call_type": row["call_type"], "summary": row["summary"], "answer": row["answer"],
        "outcome": row["outcome"], "follow_up_at": rfc3339(row["follow_up_at"]),
        "fields": row["type_fields"] or {}, "satisfied": row["satisfied"],
        "follow_up_task_id": row["follow_up_task_id"], "complaint_task_id": row["complaint_task_id"],
        "task_id": row["task_id"], "reopen_count": row["reopen_count"], "created_at": rfc3339(row["created_at"]),
    }


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment


def clean_call(data: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """Normalised, checked values of a new call; 422 naming the first bad field."""
    values: dict[str, Any] = {
        "direction": data["direction"], "call_type": data["call_type"], "outcome": data["outcome"],
        "phone": rules.phone(data.get("phone", "")),
        "caller_name": (data.get("caller_name") or "").strip(),
        "plate": rules.plate(data.get("plate")),
        "policy_no": rules.policy_no(data.get("policy_no")),
        "summary": (data.get("summary") or "").strip(),
        "answer": (data.get("answer") or "").strip(),
        "fields": rules.type_fields(data.get("fields")),
    }
    if not values["summary"]:
        raise invalid("summary", _("Write what the caller asked."))
    # Without either time the handling time is unknown (null), never 0 seconds; the call
    # still needs its moments to fall in a period: the end defaults to the moment it is
    # logged, the start to the end.
    given_end, given_start = _aware(data.get("ended_at")), _aware(data.get("started_at"))
    ended = given_end or now
    started = given_start or ended
    if started > now + CLOCK_SKEW:
        raise invalid("started_at", _("The call cannot start in the future."))
    if ended > now + CLOCK_SKEW:
        raise invalid("ended_at", _("The call cannot end in the future."))
    if ended < started:
        raise invalid("ended_at", _("The call cannot end before it started."))
    if ended - started > MAX_CALL:
        raise invalid("ended_at", _("A call lasts at most 12 hours."))
    timed = given_start is not None and given_end is not None
    values.update(started_at=started, ended_at=ended,
                  handle_seconds=int((ended - started).total_seconds()) if timed else None)
    follow_up_at = _aware(data.get("follow_up_at"))
    if values["outcome"] == "follow_up":
        if follow_up_at is None:
            raise invalid("follow_up_at", _("Promise the caller a time for the callback."))
        if follow_up_at <= now:
            raise invalid("follow_up_at", _("The promised callback time is in the past."))
    elif follow_up_at is not None:
        raise invalid("follow_up_at", _("A callback time goes only with the follow-up outcome."))
    values["follow_up_at"] = follow_up_at
    rules.check_required(values["call_type"], values)
    return values


def _title(values: dict[str, Any], what: str) -> str:
    who = values["caller_name"] or mask_phone(values["phone"])
    return f"{what}: {who} · {rules.CALL_TYPE_LABELS[values['call_type']]}"[:200]


async def _fulfilled_task(site: Site, task_id: int | None, direction: str, satisfied: bool | None) -> Task | None:
    if task_id is None:
        if satisfied is not None:
            raise invalid("satisfied", _("Satisfaction is recorded only on a revisit call."))
        return None
    task = await Task.get_or_none(id=task_id, site_id=site.id)
    if task is None or task.type not in CALLBACK_TYPES:
        raise invalid("task_id", _("No callback or revisit task %(id)s at this site.", id=task_id))
    if not task.is_open or task.status in ("resolved", "closed", "cancelled"):
        raise invalid("task_id", _("This callback is already done."))
    if direction != "outbound":
        raise invalid("direction", _("A callback is an outbound call."))
    if task.type == REVISIT and satisfied is None:
        raise invalid("satisfied", _("Record whether the customer is satisfied."))
    if task.type != REVISIT and satisfied is not None:
        raise invalid("satisfied", _("Satisfaction is recorded only on a revisit call."))
    return task


async def log_call(kernel, site: Site, actor: Actor, data: dict[str, Any]) -> Call:
    """Log a call; create its callback or complaint task; carry out the task it fulfils.

    With ``telephony_call_id`` (a call the telephone system reported, ``telephony``), its
    start and end come from the telephone's events and the two are linked."""
    now = utcnow()
    heard = None
    if data.get("telephony_call_id") is not None:
        from plugins.insurance_calls import telephony

        heard = await telephony.claimable(site, data["telephony_call_id"])
        data = telephony.times_of(heard, data, now)
    values = clean_call(data, now)
    confirm_by = confirmation_channel(data, values["outcome"])
    satisfied = data.get("satisfied")
    task = await _fulfilled_task(site, data.get("task_id"), values["direction"], satisfied)
    async with kernel.transaction():
        call = await Call.create(
            site_id=site.id, agent_id=actor.user_id, direction=values["direction"], started_at=values["started_at"],
            ended_at=values["ended_at"], handle_seconds=values["handle_seconds"], phone=values["phone"],
            caller_name=values["caller_name"], plate=values["plate"], policy_no=values["policy_no"],
            call_type=values["call_type"], summary=values["summary"], answer=values["answer"],
            outcome=values["outcome"], follow_up_at=values["follow_up_at"], type_fields=values["fields"],
            satisfied=satisfied, task_id=task.id if task else None)
        about = Subject("insurance_calls", "call", call.id)
        if values["outcome"] == "follow_up":
            callback = await kernel.create(
                site, actor, type=CALLBACK, title=_title(values, _("Call back")),
                description=values["summary"][:2000], assignee_id=actor.user_id, due_at=values["follow_up_at"],
                subject=about)
            call.follow_up_task_id = callback.id
            if confirm_by:
                call.confirmation = await confirm_callback(site, actor, call, callback, confirm_by,
                                                           data.get("confirmation_email"))
        if values["outcome"] == "complaint":
            complaint = await kernel.create(
                site, actor, type=COMPLAINT, title=_title(values, _("Complaint")), priority="high",
                description=values["summary"][:2000], assign="balanced", subject=about)
            await kernel.create(
                site, actor, type=REVISIT, title=_title(values, _("Revisit")), parent_id=complaint.id,
                description=values["summary"][:2000], assignee_id=actor.user_id,
                due_at=complaint.due_at + dt.timedelta(hours=REVISIT_AFTER_HOURS), subject=about)
            call.complaint_task_id = complaint.id
        if call.follow_up_task_id or call.complaint_task_id:
            await call.save(update_fields=["follow_up_task_id", "complaint_task_id"])
        escalated = await _carry_out(kernel, site, actor, task, call) if task is not None else None
        if heard is not None:
            await telephony.link(heard, call.id)
        await audit.record("insurance_calls.call.log", actor=actor.user, site_id=site.id, object_type="insurance_call",
                           object_id=call.id, after={**call_out(call, False), "phone": "", "policy_no": "",
                                                     **({"telephony_call_id": heard.id} if heard else {})},
                           client_address=actor.client_address)
    if escalated is not None:
        await kernel.bus.publish(LiveEvent(site_id=site.id, name="insurance_calls.complaint.escalated",
                                           data=escalated, permission="core.task.read"))
    return call


# --- callback confirmation ----------------------------------------------------------------

CONFIRMATION_CHANNELS = ("sms", "email")


def confirmation_channel(data: dict[str, Any], outcome: str) -> str | None:
    """The channel a callback confirmation goes by, when the agent asked for one (checked
    before anything is written)."""
    if not data.get("send_confirmation"):
        return None
    if outcome != "follow_up":
        raise invalid("send_confirmation", _("A confirmation goes only with a promised callback."))
    channel = data.get("confirmation_channel") or "sms"
    if channel not in CONFIRMATION_CHANNELS:
        raise invalid("confirmation_channel", _("Use one of: %(values)s.", values=", ".join(CONFIRMATION_CHANNELS)))
    return channel


async def caller_party(site: Site, phone: str) -> Party | None:
    """The site's party with this phone number (the first on record), if the caller is known:
    their preferred language and opt-outs then hold for what the desk sends them."""
    if not phone:
        return None
    digits = phone.lstrip("+")
    for party in await Party.filter(site_id=site.id, phone_index__contains=digits).order_by("id").limit(20):
        if phone in (party.phones or []):
            return party
    return None


async def confirm_callback(site: Site, actor: Actor, call: Call, callback: Task, channel: str,
                           email: str | None = None):
    """Queue the confirmation of ``callback`` to the caller (in the caller's transaction):
    by SMS to the number they called from, or by e-mail to the address the agent typed (or
    the one on record). A known caller's opt-out suppresses it (returned with that status);
    an address that cannot be reached is a 422 naming its field. One message per callback
    and promised time."""
    party = await caller_party(site, call.phone)
    language = notices.recipient_language(site, party=party)
    name = call.caller_name or (party.name if party is not None else "") \
        or notices.in_language(language, message_templates.CUSTOMER)
    context = {"name": name, "callback_time": notices.local_moment(site, callback.due_at, language),
               "site_name": site.name}
    if channel == "sms":
        address, field = call.phone, "phone"
    else:
        address, field = (email or "").strip() or None, "confirmation_email"
        if address is None and not (party is not None and party.email):
            raise invalid("confirmation_email", _("Give the caller's e-mail address for the confirmation."))
    due = callback.due_at.isoformat() if callback.due_at else ""
    return await messages.queue(
        site, message_templates.CALLBACK_CONFIRMATION, context, party=party, channel=channel, address=address,
        about=Subject("insurance_calls", "call", call.id), language=language, actor=actor, address_field=field,
        dedupe_key=f"{message_templates.CALLBACK_CONFIRMATION}:{callback.id}:{due}")


def confirmation_out(message) -> dict[str, Any] | None:
    if message is None:
        return None
    out = messages.message_out(message)
    return {name: out[name] for name in ("id", "channel", "status", "status_label", "reason")}


async def _carry_out(kernel, site: Site, actor: Actor, task: Task, call: Call) -> dict[str, Any] | None:
    """Close the callback or revisit ``task`` by ``call``; an unsatisfied revisit of a
    complaint reopens and escalates it (the escalation returned, to publish after commit)."""
    note = _("Called back (call %(id)s).", id=call.id)
    may_work_any = actor.can(WORK_ANY)
    if task.status == "open":
        task = await kernel.transition(task, "in_progress", task.version, actor, note=note,
                                       may_work_any=may_work_any)
    if task.status == "waiting":
        task = await kernel.transition(task, "in_progress", task.version, actor, note=note,
                                       may_work_any=may_work_any)
    task = await kernel.transition(task, "resolved", task.version, actor, note=note, may_work_any=may_work_any)
    # The call is the callback: nothing is left to do, so the task closes with it.
    await kernel.transition(task, "closed", task.version, actor, note=note, may_work_any=may_work_any)
    escalated = None
    if task.type == REVISIT and call.satisfied is False and task.parent_id:
        parent = await Task.get(id=task.parent_id)
        if parent.is_open:
            if parent.type == COMPLAINT:
                escalated = await _reopen_and_escalate(kernel, site, actor, parent, call)
            await kernel.create(site, actor, type=REVISIT, title=task.title, parent_id=parent.id,
                                subject=subject_of(parent),
                                description=_("The customer was not satisfied: handle the complaint again and "
                                              "call back."), assignee_id=task.assignee_id or actor.user_id,
                                priority="high")
    return escalated


async def _reopen_and_escalate(kernel, site: Site, actor: Actor, complaint: Task, call: Call) -> dict[str, Any]:
    """An unsatisfied revisit, as at the resident desk: a replied (resolved) complaint is
    reopened through its workflow (the kernel's "reopened" event, which ``on_task_event``
    counts on the complaint's call), and the complaint is escalated: urgent, and with a
    supervisor of the site (balanced among them, unless a supervisor has it already).
    Both stand on the complaint task's history; the caller publishes the escalation."""
    workflow = kernel.type_of(COMPLAINT).workflow
    before = {"status": complaint.status, "priority": complaint.priority, "assignee_id": complaint.assignee_id}
    if complaint.status in workflow.resolved and "in_progress" in workflow.allowed(complaint.status):
        complaint = await kernel.drive(complaint, "in_progress", actor.user, client_address=actor.client_address,
                                       note=_("Reopened: the customer was not satisfied at the revisit (call "
                                              "%(id)s).", id=call.id))
    supervisors = {user.id for user in await members_with_role(site.id, *kernel.type_of(COMPLAINT).assign_roles)}
    if supervisors and complaint.assignee_id not in supervisors:
        complaint = await kernel.assign(complaint, None, True, complaint.version, actor.user,
                                        client_address=actor.client_address)
    if complaint.priority != "urgent":
        # Conditional on the version read, like every versioned write: a change committed
        # meanwhile must not share the version this one gives (409, the revisit is undone).
        if not await Task.filter(id=complaint.id, version=complaint.version).update(
                priority="urgent", version=complaint.version + 1, updated_at=utcnow()):
            raise Problem(409, _("Someone changed this complaint meanwhile. Reload and record the revisit again."))
        await complaint.refresh_from_db()
    await kernel.comment(complaint, _("Escalated: the customer was not satisfied at the revisit (call %(id)s).",
                                      id=call.id), actor.user, kind="escalated", client_address=actor.client_address)
    await _notify_escalation(site, actor, complaint, call)
    after = {"status": complaint.status, "priority": complaint.priority, "assignee_id": complaint.assignee_id}
    await audit.record("insurance_calls.complaint.escalate", actor=actor.user, site_id=site.id, object_type="task",
                       object_id=complaint.id, before=before, after=after, client_address=actor.client_address,
                       note=f"call {call.id}")
    return {"task_id": complaint.id, "call_id": call.id, **after}


async def _notify_escalation(site: Site, actor: Actor, complaint: Task, call: Call) -> None:
    """The supervisor the complaint now is with hears of it in-app (in the escalation's
    transaction); an unassigned complaint rings every supervisor of the site. Nobody is told
    what they did themselves."""
    context = {"title": complaint.title, "call_id": call.id, "url": f"/sites/{site.code}/tasks/{complaint.id}"}
    options = {"about": ("core", "task", complaint.id),
               "dedupe_key": f"{message_templates.COMPLAINT_ESCALATED}:{complaint.id}:{call.id}"}
    if complaint.assignee_id is None:
        await messages.notify_holders(site, WORK_ANY, message_templates.COMPLAINT_ESCALATED, context,
                                      exclude=(actor.user_id,), **options)
    elif complaint.assignee_id != actor.user_id:
        supervisor = await User.get(id=complaint.assignee_id)
        await messages.notify(site, [supervisor], message_templates.COMPLAINT_ESCALATED, context, **options)


async def count_reopening(task: Task) -> None:
    """``on_task_event``: every reopening of a complaint counts on its call, whoever made
    it (an unsatisfied revisit or a supervisor through the task pages)."""
    await Call.filter(site_id=task.site_id, complaint_task_id=task.id).update(reopen_count=F("reopen_count") + 1)


async def transition_guard(task: Task, to_status: str) -> str | None:
    """Callbacks are done by a logged call; a complaint closes only after a satisfied revisit."""
    if task.type in CALLBACK_TYPES and to_status in ("resolved", "closed"):
        if not await Call.filter(task_id=task.id).exists():
            return _("A callback is done by logging the outbound call that made it.")
    if task.type == COMPLAINT and to_status == "closed":
        last = await Call.filter(task__parent_id=task.id).order_by("-id").first()
        if last is not None and last.satisfied is False:
            return _("The last revisit found the customer unsatisfied: revisit again before closing.")
    return None


# --- caller history (screen pop) ---------------------------------------------------------


async def lookup(site: Site, actor: Actor, *, phone: str = "", plate: str = "", policy_no: str = "") -> dict[str, Any]:
    """The caller's history by the first key given: phone, plate, then policy number."""
    show_personal = actor.can(PERSONAL)
    by = "phone" if phone else "plate" if plate else "policy_no" if policy_no else ""
    if by in ("phone", "policy_no") and not show_personal:
        # Searching by a number tells whether it is a customer's: as good as seeing it.
        raise Problem(403, _("Searching by %(field)s needs the permission to see phone and policy numbers.",
                             field=by))
    if by == "phone":
        key = {"phone": rules.phone(phone)}
    elif by == "plate":
        key = {"plate": rules.plate(plate)}
    elif by == "policy_no":
        key = {"policy_no": rules.policy_no(policy_no)}
    else:
        raise invalid("phone", _("Give a phone number, a plate or a policy number."))
    calls_q = Call.filter(site_id=site.id, **key)
    rows = await rows_of(calls_q.order_by("-started_at", "-id").limit(HISTORY_LIMIT), *CALL_COLUMNS)
    since = utcnow() - dt.timedelta(days=30)
    recent = await Call.filter(site_id=site.id, started_at__gte=since, **key).count()
    task_rows = await (calls_q.order_by("-started_at").limit(200)
                       .values("follow_up_task_id", "complaint_task_id"))
    complaint_ids = {row["complaint_task_id"] for row in task_rows if row["complaint_task_id"]}
    task_ids = {row["follow_up_task_id"] for row in task_rows if row["follow_up_task_id"]} | complaint_ids
    open_tasks: list[dict] = []
    complaints: list[dict] = []
    if task_ids:
        from core.tasks.services import task_out

        open_q = Task.filter(site_id=site.id, is_open=True)
        found = await open_q.filter(id__in=list(task_ids)).order_by("due_at")
        children = await open_q.filter(parent_id__in=list(complaint_ids)).order_by("due_at") if complaint_ids else []
        open_tasks = [task_out(task) for task in [*found, *children]]
        complaints = [task_out(task) for task in
                      await Task.filter(site_id=site.id, id__in=list(complaint_ids)).order_by("-id")]
    name = next((row["caller_name"] for row in rows if row["caller_name"]), "")
    # The caller's plate and policy of their latest calls, for the call form to fill in as
    # it fills the name (a policy number only for whom may see it unmasked).
    plate_no = next((row["plate"] for row in rows if row["plate"]), "")
    policy = next((row["policy_no"] for row in rows if row["policy_no"]), "") if show_personal else ""
    return {
        "calls": [call_out(row, show_personal) for row in rows],
        "open_tasks": open_tasks,
        "complaints": complaints,
        "repeat_caller": recent >= REPEAT_CALLS,
        "calls_last_30_days": recent,
        "caller_name": name,
        "plate": plate_no,
        "policy_no": policy,
    }


def call_equalities(*, phone: str = "", plate: str = "", policy_no: str = "", call_type: str = "",
                    agent_id: int | None = None, outcome: str = "", direction: str = "") -> dict[str, Any]:
    """The calls list's filters that are equalities, as ``{column: value}`` (numbers
    normalised as they are stored); those not given are left out."""
    equal: dict[str, Any] = {"call_type": call_type, "agent_id": agent_id, "outcome": outcome, "direction": direction}
    if phone:
        equal["phone"] = rules.phone(phone)
    if plate:
        equal["plate"] = rules.plate(plate)
    if policy_no:
        equal["policy_no"] = rules.policy_no(policy_no)
    return {name: value for name, value in equal.items() if value is not None and value != ""}


def call_period(queryset, start: dt.datetime | None, end: dt.datetime | None):
    """``queryset`` narrowed to calls started from ``start`` (included) to ``end`` (excluded)."""
    if start is not None:
        queryset = queryset.filter(started_at__gte=_aware(start))
    if end is not None:
        queryset = queryset.filter(started_at__lt=_aware(end))
    if start is not None and end is not None and _aware(end) <= _aware(start):
        raise invalid("to", _("The end of the period must come after its start."))
    return queryset


def call_filters(queryset, *, start: dt.datetime | None = None, end: dt.datetime | None = None, **equal: Any):
    """``queryset`` narrowed by ``call_equalities(**equal)`` and the period."""
    return call_period(queryset.filter(**call_equalities(**equal)), start, end)


async def audit_unmasked(actor: Actor, site: Site, what: str) -> None:
    """Every unmasked view of phone or policy numbers leaves an audit entry."""
    await audit.record("insurance_calls.personal_data.view", actor=actor.user, site_id=site.id,
                       object_type="insurance_call", client_address=actor.client_address, note=what[:500])
