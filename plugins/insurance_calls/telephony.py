"""Incoming calls from the telephone system (PBX): signed events, one row per call, the screen pop.

The telephone system posts ``ringing``, ``answered`` and ``ended`` for each call to the
webhook (``telephony_api``), signed with the site's secret (``insurance_calls.telephony``
``webhook_secret``): HMAC-SHA256 of ``f"{timestamp}.".encode() + body``. Each event is
recorded on the call's ``TelephonyCall`` (one row per site and call id, whatever the
order or the repeats); a ringing call whose extension is an active member's pops the
caller's history on that agent's call page, and nobody else's (``core.events``
``ONLY_NAMED_USERS``). A call logged with ``telephony_call_id`` takes its start and end
from these events (``claim``).

Caller numbers never reach the log unmasked (``mask_phone``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import rfc3339, utcnow
from core.entities.models import Site
from core.entities.privacy import mask_phone, normalise_phone
from core.events import ONLY_NAMED_USERS, LiveEvent
from core.i18n import gettext as _
from core.identity.models import User
from core.identity.services import permissions_at
from core import signing
from core.problems import Problem, invalid
from core.signing import MAX_SKEW_SECONDS, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature  # noqa: F401 - the webhook's contract, named here too
from core.site_settings import value
from plugins.insurance_calls import rules, services
from plugins.insurance_calls.models import TelephonyCall
from plugins.insurance_calls.site_settings import GROUP

log = logging.getLogger("frontdesk.insurance_calls.telephony")

#: Seconds a signed event may be older (or newer) than the server's clock: a replay later is refused.
EVENTS = ("ringing", "answered", "ended")
MOMENT = {"ringing": "ringing_at", "answered": "answered_at", "ended": "ended_at"}
POP = "insurance_calls.screen_pop"
UPDATE = "insurance_calls.telephony_call"
#: Earlier calls the pop carries (the page fetches no more: the pop is the history).
POP_CALLS = 5
POP_TASKS = 5
POP_TEXT = 80
#: The pop crosses processes as a PostgreSQL NOTIFY (core.events.MAX_PAYLOAD): kept well below.
POP_MAX_BYTES = 6000
#: An event's own time may run this far ahead of the server's clock.
CLOCK_SKEW = dt.timedelta(minutes=2)


def secret_of(site: Site) -> str:
    """The site's webhook secret (empty: the webhook is off)."""
    return value(site, GROUP, "telephony").webhook_secret


def verify(site: Site, headers, body: bytes) -> None:
    """401 unless the body is signed with the site's secret (``core.signing``: every webhook
    Frontdesk receives is signed the same way)."""
    signing.verify(secret_of(site), headers, body,
                   off=_("The telephone system's webhook is off at this site (no secret is set)."))


def caller_number(raw: str) -> str:
    """The caller's number as the desk stores numbers; empty when withheld; 422 naming ``caller``."""
    text = (raw or "").strip()
    if text.lower() in ("", "anonymous", "unknown", "restricted", "private", "unavailable"):
        return ""
    number = normalise_phone(text)
    if not number.lstrip("+") or len(number) > 20 or any(ch.isalpha() for ch in text):
        raise invalid("caller", _("A phone number has only digits, spaces, dashes and a leading +."))
    return number


def event_time(at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if at is None:
        return now
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    at = at.astimezone(dt.timezone.utc)
    if at > now + CLOCK_SKEW:
        raise invalid("at", _("The event cannot happen in the future."))
    return at


async def agent_for(site: Site, extension: str) -> User | None:
    """The active member of ``site`` whose extension this is (the lowest id if several)."""
    if not extension:
        return None
    return await (User.filter(extension=extension, is_active=True, memberships__site_id=site.id)
                  .order_by("id").distinct().first())


@dataclass
class Recorded:
    """What one event did: the row as it is now, and the live events to publish after it."""

    call: TelephonyCall
    agent: User | None
    changed: bool
    events: list[LiveEvent] = field(default_factory=list)


def _snapshot(row: TelephonyCall) -> dict[str, Any]:
    # The caller's number stays out of the audit log, as out of every log.
    return {"pbx_call_id": row.pbx_call_id, "caller": mask_phone(row.caller), "agent_id": row.agent_id,
            "extension": row.extension, "ringing_at": rfc3339(row.ringing_at),
            "answered_at": rfc3339(row.answered_at), "ended_at": rfc3339(row.ended_at), "call_id": row.call_id}


async def record_event(site: Site, event: str, pbx_call_id: str, caller: str, extension: str,
                       at: dt.datetime | None) -> Recorded:
    """Record one event of the telephone system on its call's row (created at the first
    event, whichever it is). A repeated event changes nothing: the first time of each kind
    stands. The agent is the extension's at the first event that names a member, and the
    one who answers when another did."""
    now = utcnow()
    if event not in EVENTS:
        raise invalid("event", _("Choose one of: %(names)s.", names=", ".join(EVENTS)))
    caller = caller_number(caller)
    extension = (extension or "").strip()
    moment = event_time(at, now)
    agent = await agent_for(site, extension)
    if agent is None:
        log.warning("telephony: site %s call %s from %s: no active member has extension %r; recorded without an agent",
                    site.code, pbx_call_id, mask_phone(caller) or "(withheld)", extension)
    for _attempt in range(5):
        row = await TelephonyCall.get_or_none(site_id=site.id, pbx_call_id=pbx_call_id)
        if row is None:
            try:
                async with in_transaction():
                    row = await TelephonyCall.create(
                        site_id=site.id, pbx_call_id=pbx_call_id, caller=caller, extension=extension,
                        agent_id=agent.id if agent else None, **{MOMENT[event]: moment})
                    await audit.record("insurance_calls.telephony.event", actor=None, site_id=site.id,
                                       object_type="insurance_telephony_call", object_id=row.id,
                                       after=_snapshot(row), note=event)
            except IntegrityError:
                continue  # the same call's other event was first: update its row
            return _with_events(site, row, agent, event, changed=True, agent_changed=agent is not None)
        changes: dict[str, Any] = {}
        if getattr(row, MOMENT[event]) is None:
            changes[MOMENT[event]] = moment
        if caller and not row.caller:
            changes["caller"] = caller
        agent_changed = agent is not None and row.agent_id != agent.id and (row.agent_id is None or event == "answered")
        if agent_changed:
            changes.update(agent_id=agent.id, extension=extension)
        elif extension and not row.extension:
            changes["extension"] = extension
        if not changes:
            return _with_events(site, row, agent, event, changed=False, agent_changed=False)
        before = _snapshot(row)
        async with in_transaction():
            updated = await TelephonyCall.filter(id=row.id, version=row.version).update(
                **changes, version=row.version + 1, updated_at=now)
            if updated:
                for name, new in changes.items():
                    setattr(row, name, new)
                row.version += 1
                await audit.record("insurance_calls.telephony.event", actor=None, site_id=site.id,
                                   object_type="insurance_telephony_call", object_id=row.id, before=before,
                                   after=_snapshot(row), note=event)
        if updated:
            return _with_events(site, row, agent, event, changed=True, agent_changed=agent_changed)
    raise Problem(409, _("This call's events arrive faster than they can be recorded. Send the event again."))


def _with_events(site: Site, row: TelephonyCall, agent: User | None, event: str, *, changed: bool,
                 agent_changed: bool) -> Recorded:
    recorded = Recorded(call=row, agent=agent, changed=changed)
    if event == "ringing" and agent is not None and (changed or agent.id != row.agent_id):
        # A first ringing, or another extension of a ring group: that agent gets the pop.
        recorded.events.append(LiveEvent(site_id=site.id, name=POP, data={"id": row.id}, permission=ONLY_NAMED_USERS,
                                         users=(agent.id,)))
    elif changed and row.agent_id is not None:
        recorded.events.append(LiveEvent(site_id=site.id, name=UPDATE, data=call_update(row),
                                         permission=ONLY_NAMED_USERS, users=(row.agent_id,)))
    return recorded


def call_update(row: TelephonyCall) -> dict[str, Any]:
    return {"id": row.id, "call_id": row.pbx_call_id, "agent_id": row.agent_id, "ringing_at": rfc3339(row.ringing_at),
            "answered_at": rfc3339(row.answered_at), "ended_at": rfc3339(row.ended_at), "logged_call_id": row.call_id}


def _short(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= POP_TEXT else text[:POP_TEXT - 1] + "…"


def _task_brief(task: dict[str, Any]) -> dict[str, Any]:
    return {"id": task["id"], "title": _short(task["title"]), "status": task["status"], "due_at": task["due_at"],
            "overdue": task["overdue"]}


async def pop_data(site: Site, row: TelephonyCall, agent: User) -> dict[str, Any]:
    """The screen pop for ``agent``: the call, the caller's recent history (the desk's
    caller history, trimmed to travel as one live event) and the call form's pre-fill
    (number, and the name, plate and policy of the latest calls). Numbers are masked, and
    the history left out, unless the agent may see callers' numbers; an unmasked pop is
    audited like every unmasked view."""
    permissions = await permissions_at(agent, site.id)
    actor = Actor(user=agent, site=site, permissions=permissions, permissions_by_site={site.id: permissions})
    personal = services.PERSONAL in permissions
    history = None
    prefill = {"phone": row.caller if personal else "", "caller_name": "", "plate": "", "policy_no": ""}
    if personal and rules.PHONE_RE.match(row.caller):
        found = await services.lookup(site, actor, phone=row.caller)
        calls = found["calls"]
        prefill["caller_name"] = found["caller_name"]
        for name in ("plate", "policy_no"):
            prefill[name] = next((call[name] for call in calls if call[name]), "")
        history = {
            "calls": [{"id": call["id"], "started_at": call["started_at"], "call_type": call["call_type"],
                       "outcome": call["outcome"], "summary": _short(call["summary"]), "answer": _short(call["answer"])}
                      for call in calls[:POP_CALLS]],
            "open_tasks": [_task_brief(task) for task in found["open_tasks"][:POP_TASKS]],
            "complaints": [_task_brief(task) for task in found["complaints"][:POP_TASKS]],
            "repeat_caller": found["repeat_caller"], "calls_last_30_days": found["calls_last_30_days"],
            "caller_name": found["caller_name"],
        }
        if calls:
            await services.audit_unmasked(actor, site, f"screen pop of telephony call {row.id}")
    data = {"id": row.id, "call_id": row.pbx_call_id, "caller": row.caller if personal else mask_phone(row.caller),
            "phone_masked": not personal, "extension": row.extension, "ringing_at": rfc3339(row.ringing_at),
            "prefill": prefill, "history": history}
    while history and history["calls"] and len(json.dumps(data, separators=(",", ":"))) > POP_MAX_BYTES:
        history["calls"].pop()
    return data


async def publish(bus, site: Site, recorded: Recorded) -> None:
    """After the commit: the pop (its history read now, for the named agent) and updates."""
    for event in recorded.events:
        if event.name == POP and recorded.agent is not None:
            event = LiveEvent(site_id=event.site_id, name=POP, data=await pop_data(site, recorded.call, recorded.agent),
                              permission=ONLY_NAMED_USERS, users=event.users)
        await bus.publish(event)


# --- logging the call (``services.log_call``) ------------------------------------------------


async def claimable(site: Site, telephony_call_id: Any) -> TelephonyCall:
    """The site's telephony call a new call record is logged for; 422 naming
    ``telephony_call_id`` when it is unknown, another site's or logged already."""
    try:
        key = int(telephony_call_id)
    except (TypeError, ValueError):
        raise invalid("telephony_call_id", _("Not a telephony call id.")) from None
    row = await TelephonyCall.get_or_none(id=key, site_id=site.id) if 0 < key < 2**63 else None
    if row is None:
        raise invalid("telephony_call_id", _("No telephony call %(id)s at this site.", id=key))
    if row.call_id is not None:
        raise invalid("telephony_call_id", _("This telephone call is logged already (call %(id)s).", id=row.call_id))
    return row


def times_of(row: TelephonyCall, data: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """``data`` with the call's start (answered, else ringing) and end (ended, else now)
    from the telephone system, and its number when the form left it empty."""
    started = row.answered_at or row.ringing_at
    ended = row.ended_at or now
    if started is not None and started > ended:  # an ended event earlier than the answer: trust the end
        started = ended
    changed = {**data, "started_at": started or data.get("started_at"), "ended_at": ended}
    if not (data.get("phone") or "").strip() and row.caller:
        changed["phone"] = row.caller
    return changed


async def link(row: TelephonyCall, call_id: int) -> None:
    """Tie the logged call to its telephony call (inside the call's transaction); 422 if
    another call took it meanwhile (the whole log rolls back)."""
    if not await TelephonyCall.filter(id=row.id, call_id=None).update(call_id=call_id, version=row.version + 1,
                                                                       updated_at=utcnow()):
        raise invalid("telephony_call_id", _("This telephone call is logged already."))
    row.call_id, row.version = call_id, row.version + 1
