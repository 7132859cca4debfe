"""The hotel's room rules: statuses and their code, who may change what, check-in and
check-out, service, what housekeeping observed, damage reports, the nightly job.

Every change of a room is one transaction holding the room's conditional update (on
its ``version``, or on the row locked when the caller gives none), a ``RoomEvent`` (the
room's history) and the audit entry; the live event ``hotel.room.changed`` goes out
after the commit (and every process's kept board, ``board``, is dropped on it).
"""

from __future__ import annotations

import datetime as dt
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from core.actors import SYSTEM, Actor
from core.audit import services as audit
from core.clock import local_today, rfc3339, utcnow
from core.entities.models import Party, Site
from core.events import LiveEvent
from core.i18n import N_
from core.i18n import gettext as _
from core.identity.models import User
from core.identity.services import members_with_role
from core.tasks.models import Task, TaskEvent
from core.tasks.types import Subject
from core.problems import Problem, invalid
from plugins.hotel.models import HOUSEKEEPING, OCCUPANCY, SERVICE, DamageReport, NightAuditRun, Room, RoomEvent

ROOM_EVENT = "hotel.room.changed"
#: Task types whose completion makes the room clean.
CLEANING_TYPES = ("hotel.departure_clean", "hotel.stay_over", "hotel.pickup")
HOUSEKEEPING_LETTER = {"dirty": "D", "pickup": "P", "clean": "C", "inspected": "I"}
HOUSEKEEPING_LABELS = {"dirty": N_("dirty"), "pickup": N_("pick-up"), "clean": N_("clean"), "inspected": N_("inspected")}
#: Who sees guests' names (in a refused change's ``current`` room as in every answer).
GUEST_PERMISSION = "hotel.guest.read"
#: Who marks a room inspected: the supervisor's act, whichever way it comes in.
INSPECT_PERMISSION = "hotel.room.inspect"
#: The task event on a clean a supervisor sent back (its data names the room's event).
INSPECTION_FAILED = "hotel.inspection_failed"


# --- the code and the room as JSON ---------------------------------------------------------


def room_code(occupancy: str, housekeeping: str, service: str) -> str:
    if service == "out_of_order":
        return "OOO"
    if service == "out_of_service":
        return "OOS"
    return ("O" if occupancy == "occupied" else "V") + HOUSEKEEPING_LETTER[housekeeping]


def room_out(room: Room | dict, guests: bool = False) -> dict[str, Any]:
    """A room as the API shows it; the guest's name only for those who may see it."""
    get = room.get if isinstance(room, dict) else (lambda key: getattr(room, key))
    data = {
        "id": get("id"), "number": get("number"), "floor": get("floor"), "room_type": get("room_type"),
        "section": get("section"), "occupancy": get("occupancy"), "housekeeping": get("housekeeping"),
        "service": get("service"), "code": get("code"),
        "out_of_service": ({"reason": get("oos_reason"), "until": get("oos_until").isoformat() if get("oos_until")
                            else None} if get("service") != "in_service" else None),
        "observed": get("observed"), "unit_id": get("unit_id"), "version": get("version"),
        "do_not_disturb": bool(get("do_not_disturb")), "service_refused": bool(get("service_refused")),
    }
    if guests:
        data["guest_name"] = get("guest_name") or None
        data["party_id"] = get("party_id")
    return data


def settings_of(site: Site) -> dict[str, Any]:
    from core.site_settings import effective
    from plugins.hotel.site_settings import GROUP

    return effective(site, GROUP).model_dump()


async def _stale(room: Room, guests: bool) -> Problem:
    await room.refresh_from_db()
    return Problem(409, _("Someone changed room %(number)s since you read it. Reload and try again.",
                          number=room.number), current=room_out(room, guests))


async def announce(bus, site_id: int, room: dict[str, Any]) -> None:
    await bus.publish(LiveEvent(site_id=site_id, name=ROOM_EVENT, data=room, permission="hotel.room.read"))


#: The rooms changed in the current ``room_transaction``, announced once it commits.
_unannounced: ContextVar[list[tuple[int, dict[str, Any]]] | None] = ContextVar("hotel_unannounced", default=None)


@asynccontextmanager
async def room_transaction(kernel):
    """``kernel.transaction()`` whose room changes are announced after the outermost block
    commits (as the kernel does with its tasks' events), and not at all if it rolls back:
    a live event, and a board dropped from the caches on it, must never run ahead of the
    data (a board read in between would be kept, stale)."""
    outer = _unannounced.get()
    changed: list[tuple[int, dict[str, Any]]] = []
    token = _unannounced.set(changed)
    try:
        async with kernel.transaction():
            yield
    finally:
        _unannounced.reset(token)
    if outer is not None:
        outer.extend(changed)  # nested: the outermost block announces
        return
    for site_id, room in changed:
        await announce(kernel.bus, site_id, room)


async def change_room(kernel, room: Room, version: int | None, actor: Actor, kind: str, *,
                      note: str = "", guests: bool = False, then=None, **changes: Any) -> Room:
    """Apply ``changes`` to ``room`` if nobody changed it since ``version``; one event, one
    audit entry, then the live event. ``then(room)`` runs inside the same transaction.

    Without a version (system jobs, housekeeping's look, a finished task) the last write
    wins: the change applies to the room as it is when the change runs, read again inside
    the transaction and locked till it ends, so a concurrent change makes it wait, never
    fail (an observation carries no version to be stale against)."""
    if version is not None and version != room.version:
        raise await _stale(room, guests)
    return await _change(kernel, room, version is None, actor, kind, note, guests, then, changes)


async def _lock(room: Room) -> None:
    """Read ``room`` again, locked until the transaction ends. PostgreSQL: SELECT ... FOR
    UPDATE. SQLite: Tortoise leaves the clause out, and needs none: the process runs one
    transaction at a time on its one connection, so what it reads stays current."""
    fresh = await Room.filter(id=room.id).select_for_update().get()
    for name in Room._meta.fields_db_projection:
        setattr(room, name, getattr(fresh, name))


async def _change(kernel, room: Room, unversioned: bool, actor: Actor, kind: str, note: str, guests: bool, then,
                  changes: dict[str, Any]) -> Room:
    now = utcnow()
    async with room_transaction(kernel):
        if unversioned:
            await _lock(room)
        before = room_out(room, True)
        merged = {"occupancy": room.occupancy, "housekeeping": room.housekeeping, "service": room.service, **changes}
        changes["code"] = room_code(merged["occupancy"], merged["housekeeping"], merged["service"])
        updated = await Room.filter(id=room.id, version=room.version).update(
            **changes, version=room.version + 1, updated_at=now)
        if not updated:
            raise await _stale(room, guests)
        for key, value in changes.items():
            setattr(room, key, value)
        room.version += 1
        await RoomEvent.create(site_id=room.site_id, room_id=room.id, at=now, actor_id=actor.user_id,
                               kind=kind, occupancy=room.occupancy, housekeeping=room.housekeeping,
                               service=room.service, code=room.code, from_code=before["code"], note=note[:500])
        after = room_out(room, True)
        await audit.record(f"hotel.room.{kind}", actor=actor.user, site_id=room.site_id, object_type="hotel.room",
                           object_id=room.id, before={k: before[k] for k in after if before[k] != after[k]},
                           after={k: after[k] for k in after if before[k] != after[k]},
                           client_address=actor.client_address, note=note[:500])
        _unannounced.get().append((room.site_id, room_out(room)))
        if room.housekeeping != before["housekeeping"]:
            await drive_room_tasks(kernel, room, actor)
        if clock_stopped(before) != clock_stopped(room):
            # Whichever change put the sign up or took it down (the sign itself, check-out,
            # the night audit): the cleaning tasks wait or go back to work with it.
            await clock_changed(kernel, room, actor)
        if then is not None:
            await then(room)
    return room


def room_subject(room: Room) -> Subject:
    return Subject("hotel", "room", room.id)


def _room_tasks(room: Room, types: tuple[str, ...]):
    """Open tasks about ``room``: named as its subject, or (tasks made on the generic
    routes, which carry no subject) by its unit."""
    about = Q(subject_plugin="hotel", subject_kind="room", subject_id=room.id)
    if room.unit_id is not None:
        about |= Q(unit_id=room.unit_id)
    return Task.filter(about, site_id=room.site_id, is_open=True, type__in=list(types)).order_by("id")


async def drive_room_tasks(kernel, room: Room, actor: Actor) -> None:
    """The room's state drives its tasks, whoever changed it (board, sheet, API): clean
    resolves its open cleaning tasks; inspected closes them and its inspection."""
    if room.housekeeping == "clean":
        targets = {type_name: "resolved" for type_name in CLEANING_TYPES}
    elif room.housekeeping == "inspected":
        targets = {type_name: "closed" for type_name in (*CLEANING_TYPES, "hotel.inspection")}
    else:
        return
    note = _("Room %(number)s is %(status)s.", number=room.number, status=_(HOUSEKEEPING_LABELS[room.housekeeping]))
    for task in await _room_tasks(room, tuple(targets)):
        await kernel.drive(task, targets[task.type], actor, note=note)


# --- housekeeping status -------------------------------------------------------------------


async def set_housekeeping(kernel, room: Room, status: str, version: int, actor: Actor) -> Room:
    if status not in HOUSEKEEPING:
        raise invalid("status", _("Use one of: %(values)s.", values=", ".join(HOUSEKEEPING)))
    if status == "inspected" and not actor.can(INSPECT_PERMISSION):
        raise Problem(403, _("Only a supervisor marks a room inspected."))
    if room.housekeeping == "clean" and status in ("dirty", "pickup") and actor.can(INSPECT_PERMISSION):
        return await fail_inspection(kernel, room, status, version, actor)
    return await change_room(kernel, room, version, actor, "housekeeping", housekeeping=status,
                             guests=actor.can(GUEST_PERMISSION))


async def fail_inspection(kernel, room: Room, status: str, version: int, actor: Actor) -> Room:
    """A supervisor sends a clean room back (dirty or pick-up): an ``inspection_failed``
    change (the daily work report counts these), and the clean that made it clean goes back
    to its attendant: the cleaning task resolved since the room was last not clean, if any
    (an older clean, before the room was dirty again, is not this room's state), reopened
    and marked with a ``hotel.inspection_failed`` task event naming the room's event."""
    last_unclean = await RoomEvent.filter(room_id=room.id).exclude(housekeeping="clean").order_by("-id").first()

    async def send_back(changed: Room) -> None:
        if last_unclean is None:
            return  # clean as far as its history goes: no clean of ours made it so
        about = Q(subject_plugin="hotel", subject_kind="room", subject_id=changed.id)
        if changed.unit_id is not None:
            about |= Q(unit_id=changed.unit_id)
        last = await Task.filter(about, site_id=changed.site_id, type__in=list(CLEANING_TYPES),
                                 status="resolved", resolved_at__gte=last_unclean.at) \
            .order_by("-resolved_at", "-id").first()
        if last is None:
            return
        failed = await RoomEvent.filter(room_id=changed.id, kind="inspection_failed").order_by("-id").first()
        last = await kernel.drive(last, "in_progress", actor,
                                  note=_("Room %(number)s failed its inspection.", number=changed.number),
                                  client_address=actor.client_address)
        await TaskEvent.create(task_id=last.id, site_id=last.site_id, at=utcnow(), actor_id=actor.user_id,
                               kind=INSPECTION_FAILED, note=changed.number,
                               data={"room_id": changed.id, "room_event_id": failed.id if failed else None})

    return await change_room(kernel, room, version, actor, "inspection_failed", housekeeping=status,
                             guests=actor.can(GUEST_PERMISSION), then=send_back)


# --- front desk -----------------------------------------------------------------------------


async def check_in(kernel, site: Site, room: Room, version: int, actor: Actor, *, guest_name: str = "",
                   party_id: int | None = None) -> Room:
    guest_name = (guest_name or "").strip()
    if party_id is not None:
        party = await Party.get_or_none(id=party_id, site_id=site.id)
        if party is None:
            raise invalid("party_id", _("No party %(id)s at this site.", id=party_id))
        guest_name = guest_name or party.name
    if not guest_name:
        raise invalid("guest_name", _("Name the guest or choose a party."))
    if version != room.version:
        raise await _stale(room, True)
    if room.service != "in_service":
        raise Problem(409, _("Room %(number)s is out of order or out of service.", number=room.number),
                      current=room_out(room, True))
    if room.occupancy != "vacant":
        raise Problem(409, _("Room %(number)s is occupied.", number=room.number), current=room_out(room, True))
    ready = ("inspected",) if settings_of(site)["inspection_required"] else ("clean", "inspected")
    if room.housekeeping not in ready:
        message = (_("Room %(number)s must be inspected before check-in.", number=room.number)
                   if settings_of(site)["inspection_required"] and room.housekeeping == "clean"
                   else _("Room %(number)s is not clean.", number=room.number))
        raise Problem(409, message, current=room_out(room, True))
    return await change_room(kernel, room, version, actor, "check_in", occupancy="occupied", guest_name=guest_name,
                             party_id=party_id, observed=None, observed_at=None, guests=True)


#: What a departure may leave behind that the desk should settle or tell the guest about
#: first: their requests not yet done and the room's repairs (a damage report's task).
#: No money balance: the cashier's ledger names no room or guest, so the hotel cannot know one.
DEPARTURE_TASK_TYPES = ("hotel.guest_request", "hotel.maintenance")


async def departure_items(site: Site, room: Room) -> list[dict[str, Any]]:
    """The room's open guest requests and repairs, oldest first: what check-out shows and
    asks to be acknowledged."""
    if not room.unit_id:
        return []
    tasks = await (Task.filter(site_id=site.id, unit_id=room.unit_id, type__in=DEPARTURE_TASK_TYPES, is_open=True)
                   .order_by("id").limit(50))
    return [{"task_id": task.id, "type": task.type, "title": task.title, "status": task.status,
             "url": f"/sites/{site.code}/tasks/{task.id}"} for task in tasks]


async def check_out(kernel, site: Site, room: Room, version: int, actor: Actor, *,
                    acknowledge: bool = False) -> Room:
    """Check the guest out. With open requests or repairs at the room, only when the caller
    ``acknowledge``s them (the page's confirmation shows them; the API's 409 lists them), so
    a guest does not leave with a request nobody mentioned."""
    if version != room.version:
        raise await _stale(room, True)
    if room.occupancy != "occupied":
        raise Problem(409, _("Room %(number)s is not occupied.", number=room.number), current=room_out(room, True))
    if not acknowledge and (items := await departure_items(site, room)):
        raise Problem(409, _("Room %(number)s has open requests or repairs: confirm the check-out with them.",
                             number=room.number), open_items=items, current=room_out(room, True))

    async def departure_task(changed: Room) -> None:
        await create_room_task(kernel, site, changed, actor, "hotel.departure_clean",
                               _("Departure clean, room %(number)s", number=changed.number), priority="high")

    return await change_room(kernel, room, version, actor, "check_out", occupancy="vacant", housekeeping="dirty",
                             guest_name="", party_id=None, observed=None, observed_at=None, guests=True,
                             do_not_disturb=False, service_refused=False, then=departure_task)


# --- service ---------------------------------------------------------------------------------


async def set_service(kernel, room: Room, service: str, version: int, actor: Actor, *, reason: str = "",
                      until: dt.date | None = None) -> Room:
    if service not in SERVICE:
        raise invalid("service", _("Use one of: %(values)s.", values=", ".join(SERVICE)))
    reason = (reason or "").strip()
    if service != "in_service" and not reason:
        raise invalid("reason", _("Give the reason the room leaves service."))
    if until is not None and service != "in_service" and until < dt.date.today() - dt.timedelta(days=1):
        raise invalid("until", _("This date is in the past."))
    guests = actor.can(GUEST_PERMISSION)
    if service == "in_service":
        note = reason or _("Back in service")
        return await change_room(kernel, room, version, actor, "service", service=service, oos_reason="",
                                 oos_until=None, note=note, guests=guests)
    return await change_room(kernel, room, version, actor, "service", service=service, oos_reason=reason,
                             oos_until=until, note=reason, guests=guests)


# --- discrepancies ----------------------------------------------------------------------------


async def observe(kernel, room: Room, occupancy: str, actor: Actor) -> Room:
    if occupancy not in OCCUPANCY:
        raise invalid("occupancy", _("Use one of: %(values)s.", values=", ".join(OCCUPANCY)))
    return await change_room(kernel, room, None, actor, "observed", observed=occupancy, observed_at=utcnow(),
                             note=occupancy)


def discrepancy_kind(front_desk: str, housekeeping: str | None) -> str | None:
    """Skip: the front desk has a guest, housekeeping finds the room empty. Sleep: the
    front desk thinks the room empty, housekeeping finds it used."""
    if housekeeping is None or housekeeping == front_desk:
        return None
    return "skip" if front_desk == "occupied" else "sleep"


async def discrepancies(site_id: int) -> list[dict[str, Any]]:
    rows = await (Room.filter(site_id=site_id, observed__not_isnull=True).order_by("floor", "number")
                  .values("id", "number", "floor", "occupancy", "observed", "observed_at"))
    out = []
    for row in rows:
        kind = discrepancy_kind(row["occupancy"], row["observed"])
        if kind:
            out.append({"room_id": row["id"], "number": row["number"], "floor": row["floor"],
                        "front_desk": row["occupancy"], "housekeeping": row["observed"], "kind": kind,
                        "observed_at": rfc3339(row["observed_at"])})
    return out


# --- sections -------------------------------------------------------------------------------

#: A user's skill naming a section they attend: ``section:<site code>:<name>`` (a user may
#: attend two hotels, whose sections share names). A plain ``section:<name>`` (written before
#: sections were per site) is still read, at every site.
SECTION_TAG = "section:"


def section_skill(site_code: str, section: str) -> str:
    return f"{SECTION_TAG}{site_code}:{section}"


def _section_parts(skill: Any) -> tuple[str | None, str] | None:
    """``(site code, name)`` of a section skill (``(None, name)`` for a plain one), else None."""
    text = str(skill)
    if not text.startswith(SECTION_TAG):
        return None
    code, sep, name = text[len(SECTION_TAG):].partition(":")
    return (code, name) if sep else (None, code)


def sections_of(user: User | None, site_code: str) -> list[str]:
    """The sections ``user`` attends at the site ``site_code`` (theirs there, and plain ones)."""
    names = set()
    for skill in (user.skills or []) if user is not None else []:
        parts = _section_parts(skill)
        if parts is not None and parts[0] in (None, site_code):
            names.add(parts[1])
    return sorted(names)


def attends(user: User, site_code: str, section: str) -> bool:
    return bool(section) and section in sections_of(user, site_code)


# --- tasks about rooms -----------------------------------------------------------------------


async def attendant_for(site: Site, room: Room, kernel: Any = None,
                        type_name: str = "hotel.guest_request") -> tuple[int | None, bool]:
    """The attendant for a room, and whether they attend its section (``_attendant``)."""
    assignee_id, in_section, _nobody_eligible = await _attendant(site, room, kernel, type_name)
    return assignee_id, in_section


async def _attendant(site: Site, room: Room, kernel: Any, type_name: str) -> tuple[int | None, bool, bool]:
    """The attendant for a room, whether they attend its section, and whether the site
    has attendants of whom none may take a ``type_name`` task now.

    Among the site's active members with the housekeeper role whom the plugins let take
    the task now (``kernel.eligible``: a roster says who is on duty; everyone without
    such a plugin or without ``kernel``), those whose skills name the room's section
    (``section:<site>:<name>``), balanced: the fewest open hotel tasks, then the lowest
    id. Only when the section has nobody eligible (or the room none), balanced over every
    eligible attendant; ``(None, False, ...)`` when there is nobody."""
    users = await members_with_role(site.id, "housekeeper")
    if not users:
        return None, False, False
    if kernel is not None and kernel.narrows_assignment:
        eligible = set(await kernel.eligible(site, kernel.type_of(type_name), [u.id for u in users]))
        users = [u for u in users if u.id in eligible]
        if not users:
            return None, False, True
    in_section = [u.id for u in users if attends(u, site.code, room.section)]
    candidates = in_section or [u.id for u in users]
    loads: dict[int, int] = {uid: 0 for uid in candidates}
    for assignee_id in await Task.filter(site_id=site.id, is_open=True, assignee_id__in=candidates,
                                         type__startswith="hotel.").values_list("assignee_id", flat=True):
        loads[assignee_id] = loads.get(assignee_id, 0) + 1
    return min(candidates, key=lambda uid: (loads[uid], uid)), bool(in_section), False


async def section_attendants(site: Site, section: str) -> list[int]:
    """The ids of the site's active housekeepers who attend ``section`` there."""
    if not section:
        return []
    return [u.id for u in await members_with_role(site.id, "housekeeper") if attends(u, site.code, section)]


async def section_cover(site: Site) -> list[dict[str, Any]]:
    """Each section of the site's rooms with the attendants who attend it (names; none: its
    requests fall back to every attendant)."""
    sections = sorted(set(await Room.filter(site_id=site.id).exclude(section="").values_list("section", flat=True)))
    users = await members_with_role(site.id, "housekeeper")
    return [{"section": section, "attendants": [u.display_name or u.username for u in users
                                                 if attends(u, site.code, section)]}
            for section in sections]


async def housekeeper_for(site: Site, room: Room, kernel: Any = None,
                          type_name: str = "hotel.departure_clean") -> int | None:
    """The attendant for a room (``attendant_for``)."""
    return (await attendant_for(site, room, kernel, type_name))[0]


async def create_room_task(kernel, site: Site, room: Room, actor: Actor, type_name: str, title: str, *,
                           description: str = "", priority: str = "normal", assign: bool = True) -> Task:
    assignee_id, balanced = None, False
    if assign and type_name in ("hotel.departure_clean", "hotel.stay_over", "hotel.pickup",
                                "hotel.guest_request"):
        assignee_id, _in_section, nobody_eligible = await _attendant(site, room, kernel, type_name)
        # Attendants, none on duty: the kernel's balanced assignment leaves the task
        # unassigned and its history says why.
        balanced = nobody_eligible
    elif assign and type_name in ("hotel.inspection", "hotel.maintenance"):
        balanced = True
    task = await kernel.create(site, actor, type=type_name, title=title, description=description,
                               priority=priority, unit_id=room.unit_id, assignee_id=assignee_id,
                               subject=room_subject(room), assign="balanced" if balanced else None)
    if type_name in CLEANING_TYPES and clock_stopped(room):
        task = await _hold(kernel, task, room, actor)
    return task


# --- do not disturb, service refused ----------------------------------------------------------

#: The room states that stop the cleaning clock, with their words (board, room page, API).
ROOM_FLAGS = {"do_not_disturb": N_("Do not disturb"), "service_refused": N_("Service refused")}
#: Where a cleaning task waits while its room's clock is stopped (the workflow's paused state).
HOLD = "waiting"
#: The task event that marks a wait as the room's (do-not-disturb or service refused).
HELD = "hotel.held"


def clock_stopped(room: Room | dict) -> bool:
    get = room.get if isinstance(room, dict) else (lambda key: getattr(room, key))
    return bool(get("do_not_disturb") or get("service_refused"))


def _hold_note(room: Room) -> str:
    states = [_(label) for flag, label in ROOM_FLAGS.items() if getattr(room, flag)]
    return _("Room %(number)s: %(states)s; the cleaning clock is stopped.", number=room.number,
             states=", ".join(states))


async def _hold(kernel, task: Task, room: Room, actor: Actor) -> Task:
    """Put a cleaning task on hold: its workflow's paused state, which keeps the SLA time it
    had left (``sla_remaining_seconds``) and is never marked overdue. An unstarted task
    waits straight from ``open`` (the cleaning workflow's ``open → waiting``): the sign is
    not the attendant's first response. Done on behalf of its attendant's work only when it
    has one (an unassigned task must not become the caller's). A ``hotel.held`` task event
    marks the hold as the room's, with the state it came from: the release takes back only
    such holds, never a task its attendant paused for another reason."""
    if task.status not in ("open", "in_progress"):
        return task  # already waiting, or done (a resolved clean is not reopened)
    came_from = task.status
    task = await kernel.drive(task, HOLD, actor if task.assignee_id else None, note=_hold_note(room),
                              client_address=actor.client_address)
    await TaskEvent.create(task_id=task.id, site_id=task.site_id, at=utcnow(), actor_id=actor.user_id, kind=HELD,
                           note=_hold_note(room), data={"room_id": room.id, "from": came_from})
    return task


async def _held_from(task: Task) -> str | None:
    """The state a waiting task was in before its room's sign held it; None when the wait
    is not the room's (its attendant paused it, or paused it again after a release)."""
    if task.status != HOLD:
        return None
    paused = await TaskEvent.filter(task_id=task.id, to_status=HOLD).order_by("-id").first()
    held = await TaskEvent.filter(task_id=task.id, kind=HELD).order_by("-id").first()
    if held is None or paused is None or held.id < paused.id:
        return None
    return (held.data or {}).get("from") or "in_progress"


async def _restart(kernel, task: Task, room: Room, actor: Actor) -> Task:
    """Take a cleaning task the room held back to the state it was in (``open`` if nobody
    had started it): its due time is now plus the time it had left."""
    came_from = await _held_from(task)
    if came_from is None:
        return task
    return await kernel.drive(task, came_from, actor if task.assignee_id else None,
                              note=_("Room %(number)s: the cleaning clock runs again.", number=room.number),
                              client_address=actor.client_address)


async def clock_changed(kernel, room: Room, actor: Actor) -> None:
    """The room's sign went up or came down (any path): its open cleaning tasks wait, or
    the ones it held go back to work."""
    step = _hold if clock_stopped(room) else _restart
    for task in await _room_tasks(room, CLEANING_TYPES):
        await step(kernel, task, room, actor)


async def set_room_flag(kernel, room: Room, flag: str, on: bool, version: int, actor: Actor) -> Room:
    """Do-not-disturb or service-refused on or off: audited, announced, the board dropped.

    While either is on, the room's open cleaning tasks wait (``_hold``): their SLA clock
    stops; when both are off, through this or any other change of the room (check-out,
    the night audit), the tasks they held go back to work with the time they had left. Only an
    occupied room has a guest to hang the sign or refuse (409 otherwise); the same value
    again changes nothing."""
    if flag not in ROOM_FLAGS:
        raise invalid("flag", _("Use one of: %(values)s.", values=", ".join(ROOM_FLAGS)))
    guests = actor.can(GUEST_PERMISSION)
    if version != room.version:
        raise await _stale(room, guests)
    if bool(getattr(room, flag)) == on:
        return room
    if on and room.occupancy != "occupied":
        raise Problem(409, _("Room %(number)s is vacant: no guest to ask for that.", number=room.number),
                      current=room_out(room, guests))
    note = (_("%(state)s: on", state=_(ROOM_FLAGS[flag])) if on
            else _("%(state)s: off", state=_(ROOM_FLAGS[flag])))
    # The cleaning tasks wait or go back to work in ``_change`` (``clock_changed``).
    return await change_room(kernel, room, version, actor, flag, note=note, guests=guests, **{flag: on})


# --- guest requests ----------------------------------------------------------------------------

GUEST_REQUEST = "hotel.guest_request"
#: The task event that says how a guest request found its attendant (its note, in words).
ROUTED = "hotel.routed"


async def room_by_number(site_id: int, number: str | None, room_id: int | None = None) -> Room:
    """The site's room named by its number (``room``) or its id (``room_id``); 422 naming
    the field that names no room here (both given: they must name the same room)."""
    number = (number or "").strip()
    if not number and room_id is None:
        raise invalid("room", _("Give the room's number."))
    room = None
    if number:
        room = await Room.get_or_none(site_id=site_id, number=number)
        if room is None:
            raise invalid("room", _("No room %(numbers)s here.", numbers=number))
    if room_id is not None:
        by_id = await Room.get_or_none(site_id=site_id, id=room_id)
        if by_id is None:
            raise invalid("room_id", _("No room %(id)s here.", id=room_id))
        if room is not None and room.id != by_id.id:
            raise invalid("room", _("Room %(number)s and room id %(id)s are different rooms; give one of them.",
                                    number=number, id=room_id))
        room = by_id
    return room


def _routing_note(room: Room, assignee: User | None, in_section: bool) -> str:
    name = (assignee.display_name or assignee.username) if assignee is not None else ""
    if in_section:
        return _("Room %(number)s is in section %(section)s: given to %(name)s, who attends it.",
                 number=room.number, section=room.section, name=name)
    if assignee is None:
        return _("Room %(number)s: the site has no attendant on duty, so nobody was given it.", number=room.number)
    if not room.section:
        return _("Room %(number)s has no section, so it went by balanced assignment over every attendant, to "
                 "%(name)s.", number=room.number, name=name)
    return _("Room %(number)s: nobody attends section %(section)s, so it went by balanced assignment over "
             "every attendant, to %(name)s.", number=room.number, section=room.section, name=name)


async def _record_routing(task: Task, room: Room, actor: Actor, in_section: bool) -> None:
    """The task's ``hotel.routed`` event and the audit entry, in the caller's transaction."""
    assignee = await User.get_or_none(id=task.assignee_id) if task.assignee_id else None
    data = {"room_id": room.id, "room": room.number, "section": room.section, "in_section": in_section,
            "assignee_id": task.assignee_id}
    await TaskEvent.create(task_id=task.id, site_id=task.site_id, at=utcnow(), actor_id=actor.user_id, kind=ROUTED,
                           note=_routing_note(room, assignee, in_section), data=data)
    await audit.record("hotel.guest_request.route", actor=actor.user, site_id=task.site_id, object_type="task",
                       object_id=task.id, after=data, client_address=actor.client_address)


async def create_guest_request(kernel, site: Site, room: Room, actor: Actor, *, title: str, description: str = "",
                               priority: str = "normal") -> Task:
    """A guest's request about ``room``, given to an attendant of the room's section
    (balanced among them); only when the section has nobody, balanced over every
    attendant, and its ``hotel.routed`` event says so."""
    title = (title or "").strip()
    if not title:
        raise invalid("title", _("Say what the guest asks for."))
    if len(title) > 200:
        raise invalid("title", _("At most %(count)s characters.", count=200))
    description = (description or "").strip()
    if len(description) > 10_000:
        raise invalid("description", _("At most %(count)s characters.", count=10_000))
    async with kernel.transaction():
        assignee_id, in_section, nobody_eligible = await _attendant(site, room, kernel, GUEST_REQUEST)
        task = await kernel.create(site, actor, type=GUEST_REQUEST, title=title, description=description,
                                   priority=priority, unit_id=room.unit_id, assignee_id=assignee_id,
                                   subject=room_subject(room), assign="balanced" if nobody_eligible else None)
        await _record_routing(task, room, actor, in_section)
    return task


async def route_guest_request(kernel, task: Task, event: Any) -> None:
    """A guest request made on the generic task routes about a room (its unit) goes the
    same way: to the section's attendant, unless its maker chose a person by name; a
    balanced choice outside the section is corrected (``kernel.assign``). Once per task."""
    room = await room_of_task(task)
    if room is None or await TaskEvent.filter(task_id=task.id, kind=ROUTED).exists():
        return
    assigned = await TaskEvent.filter(task_id=task.id, kind="assigned").order_by("id").first()
    if assigned is not None and not (assigned.data or {}).get("balanced"):
        return  # a person chosen by name stays
    site = await Site.get(id=task.site_id)
    user = await User.get_or_none(id=event.actor_id) if event.actor_id else None
    actor = Actor(user=user, site=site)
    assignee_id, in_section = await attendant_for(site, room, kernel, task.type)
    keep = (task.assignee_id in await section_attendants(site, room.section) if in_section
            else task.assignee_id is not None)
    async with kernel.transaction():
        if assignee_id is not None and not keep:
            task = await kernel.assign(task, assignee_id, False, task.version, user)
        await _record_routing(task, room, actor, in_section)


async def guest_requests(site_id: int, *, room: Room | None = None, open_only: bool = False,
                         limit: int = 100, task_id: int | None = None) -> list[dict[str, Any]]:
    """The site's guest requests, newest first, each naming its room by number and how it
    was routed."""
    from core.tasks.services import task_out

    tasks = Task.filter(site_id=site_id, type=GUEST_REQUEST)
    if room is not None:
        tasks = tasks.filter(unit_id=room.unit_id) if room.unit_id else tasks.filter(subject_id=room.id,
                                                                                    subject_plugin="hotel")
    if open_only:
        tasks = tasks.filter(is_open=True)
    if task_id is not None:
        tasks = tasks.filter(id=task_id)
    rows = await tasks.order_by("-id").limit(limit)
    unit_ids = {t.unit_id for t in rows if t.unit_id}
    room_ids = {t.subject_id for t in rows if t.subject_plugin == "hotel" and t.subject_kind == "room"}
    rooms = await Room.filter(Q(unit_id__in=list(unit_ids)) | Q(id__in=list(room_ids)), site_id=site_id) \
        if unit_ids or room_ids else []
    by_unit = {r.unit_id: r for r in rooms if r.unit_id}
    by_id = {r.id: r for r in rooms}
    routed = {e.task_id: e for e in await TaskEvent.filter(task_id__in=[t.id for t in rows], kind=ROUTED)}
    out = []
    for task in rows:
        found = (by_id.get(task.subject_id) if task.subject_plugin == "hotel" and task.subject_kind == "room"
                 else None) or by_unit.get(task.unit_id)
        event = routed.get(task.id)
        out.append({**task_out(task), "room": found.number if found else None,
                    "room_id": found.id if found else None, "section": found.section if found else None,
                    "in_section": (event.data or {}).get("in_section") if event else None,
                    "routing": event.note if event else None})
    return out


async def room_of_task(task: Task) -> Room | None:
    if task.subject_plugin == "hotel" and task.subject_kind == "room":
        return await Room.get_or_none(site_id=task.site_id, id=task.subject_id)
    if task.unit_id is None:
        return None
    return await Room.get_or_none(site_id=task.site_id, unit_id=task.unit_id)


async def after_task_event(kernel, task: Task, event: Any) -> None:
    """A clean done makes its room clean (or waits for an inspection); an inspection done
    makes it inspected."""
    if event.kind == "created" and task.type == GUEST_REQUEST:
        await route_guest_request(kernel, task, event)
        return
    if event.kind != "transitioned" or event.to_status != "resolved" or not task.type.startswith("hotel."):
        return
    room = await room_of_task(task)
    if room is None:
        return
    site = await Site.get(id=task.site_id)
    # The room follows its task on behalf of whoever finished it (nobody's permission is
    # asked again: the transition itself was checked).
    user = await User.get_or_none(id=event.actor_id) if event.actor_id else None
    actor = Actor(user=user, site=site)
    if task.type in CLEANING_TYPES and room.housekeeping in ("dirty", "pickup"):
        await change_room(kernel, room, None, actor, "cleaned", housekeeping="clean",
                          note=_("Task %(id)s done", id=task.id))
        if settings_of(site)["inspection_required"] and room.occupancy == "vacant":
            await create_room_task(kernel, site, room, actor, "hotel.inspection",
                                   _("Inspect room %(number)s", number=room.number))
    elif task.type == "hotel.inspection" and room.housekeeping == "clean":
        await change_room(kernel, room, None, actor, "housekeeping", housekeeping="inspected",
                          note=_("Task %(id)s done", id=task.id))


async def transition_guard(task: Task, to_status: str) -> str | None:
    """A departure clean may need the room's hygiene entry of the day before it is done."""
    if task.type != "hotel.departure_clean" or to_status not in ("resolved", "closed"):
        return None
    site = await Site.get(id=task.site_id)
    if not settings_of(site)["hygiene_required_for_departure"]:
        return None
    room = await room_of_task(task)
    if room is None:
        return None
    from plugins.hotel.models import HygieneRecord

    if not await HygieneRecord.filter(room_id=room.id, date=local_today(site), linen_changed=True).exists():
        return _("Record the hygiene entry of room %(number)s (linen changed) before finishing the clean.",
                 number=room.number)
    return None


# --- damage --------------------------------------------------------------------------------------


async def report_damage(kernel, site: Site, room: Room, description: str, take_out_of_order: bool,
                        actor: Actor) -> DamageReport:
    description = (description or "").strip()
    if not description:
        raise invalid("description", _("Describe the damage."))
    if len(description) > 5000:
        raise invalid("description", _("At most %(count)s characters.", count=5000))
    async with room_transaction(kernel):
        task = await create_room_task(kernel, site, room, actor, "hotel.maintenance",
                                      _("Repair in room %(number)s", number=room.number),
                                      description=description, priority="high" if take_out_of_order else "normal")
        report = await DamageReport.create(site_id=site.id, room_id=room.id, description=description,
                                           took_out_of_order=take_out_of_order, task_id=task.id,
                                           reported_by=actor.user)
        await audit.record("hotel.damage.report", actor=actor.user, site_id=site.id, object_type="hotel.damage_report",
                           object_id=report.id, after={"room_id": room.id, "task_id": task.id,
                                                       "take_out_of_order": take_out_of_order},
                           client_address=actor.client_address)
        if take_out_of_order and room.service != "out_of_order":
            await change_room(kernel, room, None, actor, "service", service="out_of_order",
                              oos_reason=description[:500], note=description[:500])
    return report


# --- the nightly job -------------------------------------------------------------------------


async def night_audit(kernel, site: Site, business_date: dt.date | None = None, actor: Actor = SYSTEM) -> int:
    """Occupied rooms become dirty and get a stay-over task; once per site and date.

    Returns how many rooms it changed (0 when it already ran for that date)."""
    business_date = business_date or local_today(site)
    try:
        run = await NightAuditRun.create(site_id=site.id, business_date=business_date)
    except IntegrityError:
        return 0
    rooms = await Room.filter(site_id=site.id, occupancy="occupied", service="in_service").order_by("floor", "number")
    changed = 0
    for room in rooms:
        async def stay_over(changed_room: Room) -> None:
            await create_room_task(kernel, site, changed_room, actor, "hotel.stay_over",
                                   _("Stay-over service, room %(number)s", number=changed_room.number))
        try:
            # A refusal holds for one day; the do-not-disturb sign stays until it is taken down.
            await change_room(kernel, room, room.version, actor, "night_audit", housekeeping="dirty",
                              service_refused=False, note=business_date.isoformat(), then=stay_over)
            changed += 1
        except Problem:
            continue  # changed meanwhile: the next run catches it
    await NightAuditRun.filter(id=run.id).update(rooms=changed)
    return changed


async def due_night_audits(kernel, now: dt.datetime | None = None, window_only: bool = False) -> int:
    """Run the nightly job for every hotel site whose local night-audit hour has come
    today (``window_only``: only during that hour, as the background loop does)."""
    now = now or utcnow()
    total = 0
    for site in await Site.filter(kind="hotel"):
        local = now.astimezone(ZoneInfo(site.timezone))
        hour = settings_of(site)["night_audit_hour"]
        if local.hour == hour or (not window_only and local.hour > hour):
            total += await night_audit(kernel, site, local.date())
    return total


# --- history ---------------------------------------------------------------------------------


async def board_at(site_id: int, moment: dt.datetime) -> dict[int, dict[str, str]]:
    """Each room's statuses as they were at ``moment`` (rooms without history then are left out)."""
    rows = await (RoomEvent.filter(site_id=site_id, at__lte=moment).order_by("id")
                  .values("room_id", "occupancy", "housekeeping", "service", "code"))
    state: dict[int, dict[str, str]] = {}
    for row in rows:
        state[row["room_id"]] = row
    return state


# --- several rooms at once (the board's selection) ------------------------------------------

#: The statuses one bulk action may set: a housekeeping status or a service.
BULK_STATUSES = (*HOUSEKEEPING, *SERVICE)
#: At most this many rooms in one bulk action (a floor of a large hotel).
BULK_MAX = 200


async def set_rooms_status(kernel, site: Site, targets: list[tuple[int, int]], status: str, actor: Actor, *,
                           reason: str = "", until: dt.date | None = None) -> list[dict[str, Any]]:
    """Set ``status`` on several rooms of ``site``, each ``(room id, version read)``.

    The request is checked whole before anything is written: an empty or too long list,
    an unknown status, a room named twice, a room not at this site, a status the actor may
    not set (422/403, nothing written). Then each room changes in its own transaction, as
    if changed alone (``set_housekeeping`` / ``set_service``: its history, audit entry,
    tasks driven, live event): a room someone changed since it was read, or whose rule
    refuses the change, is refused with its own message and its current state while the
    others change. All-or-nothing would make one stale tile on a 40-room selection undo
    the whole floor's work; the answer says which rooms to look at again.

    Returns one outcome per room, in the order given: ``{id, number, ok, status, room?,
    detail?, current?}``."""
    if status not in BULK_STATUSES:
        raise invalid("status", _("Use one of: %(values)s.", values=", ".join(BULK_STATUSES)))
    if not targets:
        raise invalid("rooms", _("Choose at least one room."))
    if len(targets) > BULK_MAX:
        raise invalid("rooms", _("At most %(max)s rooms at once.", max=BULK_MAX))
    ids = [room_id for room_id, _version in targets]
    if len(set(ids)) != len(ids):
        raise invalid("rooms", _("A room is named twice."))
    rooms = {room.id: room for room in await Room.filter(site_id=site.id, id__in=ids)}
    for index, room_id in enumerate(ids):
        if room_id not in rooms:
            raise invalid(f"rooms.{index}.id", _("No room %(id)s at this site.", id=room_id))
    if status == "inspected" and not actor.can(INSPECT_PERMISSION):
        raise Problem(403, _("Only a supervisor marks a room inspected."))
    if status in SERVICE and not actor.can("hotel.room.service"):
        raise Problem(403, _("You do not have the permission this needs (%(permission)s).",
                             permission="hotel.room.service"))
    if status in SERVICE and status != "in_service" and not (reason or "").strip():
        raise invalid("reason", _("Give the reason the room leaves service."))
    outcomes = []
    for room_id, version in targets:
        room = rooms[room_id]
        try:
            if status in SERVICE:
                room = await set_service(kernel, room, status, version, actor, reason=reason, until=until)
            else:
                room = await set_housekeeping(kernel, room, status, version, actor)
        except Problem as problem:
            outcomes.append({"id": room.id, "number": room.number, "ok": False, "status": problem.status,
                             "detail": problem.detail, "current": problem.extra.get("current")})
            continue
        outcomes.append({"id": room.id, "number": room.number, "ok": True, "status": 200,
                         "room": room_out(room, actor.can(GUEST_PERMISSION))})
    return outcomes
