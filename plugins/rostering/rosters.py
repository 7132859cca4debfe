"""Rosters and their duties: draw, copy last week, publish.

A roster is a department's week or month (at most 31 days; rosters of one department never
overlap). Every change of its duties goes through ``rules.duty_conflicts`` (overlap at any
site, rest, approved leave, certificates) and bumps the roster's version, so a publication
decided on what someone saw is refused (409) when the duties changed meanwhile. A published
roster stays editable by its supervisors: each change is audited like a draft's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import rfc3339, utcnow
from core.entities.models import Site
from core.i18n import code_label
from core.i18n import gettext as _
from core.problems import Problem, invalid
from core.rows import fetch
from plugins.rostering import rules
from plugins.rostering.models import Duty, Roster, ShiftPattern

MAX_DAYS = 31
DUTY_COLUMNS = ("id", "roster_id", "user_id", "shift_id", "day", "starts_at", "ends_at", "origin", "note", "version")


def roster_out(roster: Roster) -> dict[str, Any]:
    return {"id": roster.id, "department": roster.department, "starts_on": roster.starts_on,
            "ends_on": roster.ends_on, "status": roster.status, "published_at": rfc3339(roster.published_at),
            "published_by_id": roster.published_by_id, "created_by_id": roster.created_by_id,
            "version": roster.version}


def duty_out(duty: dict[str, Any] | Duty) -> dict[str, Any]:
    """A duty (model or ``DUTY_COLUMNS`` row) for the API."""
    row = duty if isinstance(duty, dict) else {name: getattr(duty, name) for name in DUTY_COLUMNS}
    return {**{name: row[name] for name in DUTY_COLUMNS}, "starts_at": rfc3339(row["starts_at"]),
            "ends_at": rfc3339(row["ends_at"])}


def days_of(roster: Roster) -> list[dt.date]:
    return [roster.starts_on + dt.timedelta(days=n) for n in range((roster.ends_on - roster.starts_on).days + 1)]


async def create(site: Site, actor: Actor, data: dict[str, Any]) -> Roster:
    department = str(data.get("department") or "").strip()
    if not department:
        raise invalid("department", _("This field is required."))
    starts_on, ends_on = data["starts_on"], data["ends_on"]
    if ends_on < starts_on:
        raise invalid("ends_on", _("A roster cannot end before it starts."))
    if (ends_on - starts_on).days + 1 > MAX_DAYS:
        raise invalid("ends_on", _("A roster covers at most %(days)s days.", days=MAX_DAYS))
    clash = await Roster.filter(site_id=site.id, department=department, starts_on__lte=ends_on,
                                ends_on__gte=starts_on).first()
    if clash is not None:
        raise _overlap(clash)
    try:
        async with in_transaction():
            roster = await Roster.create(site_id=site.id, department=department, starts_on=starts_on, ends_on=ends_on,
                                         created_by_id=actor.user_id)
            await audit.record("rostering.roster.create", actor=actor.user, site_id=site.id,
                               object_type="rostering_roster", object_id=roster.id,
                               after={"department": department, "starts_on": starts_on.isoformat(),
                                      "ends_on": ends_on.isoformat()}, client_address=actor.client_address)
    except IntegrityError:  # the same start drawn by someone else a moment ago
        raise _overlap(await Roster.get(site_id=site.id, department=department, starts_on=starts_on)) from None
    return roster


def _overlap(clash: Roster) -> Problem:
    message = _("The %(department)s department already has a roster from %(start)s to %(end)s.",
                department=code_label(clash.department, "core.department"), start=clash.starts_on.isoformat(), end=clash.ends_on.isoformat())
    return Problem(409, message, errors=[{"field": "starts_on", "message": message}], roster_id=clash.id)


async def _touch(roster: Roster) -> None:
    """A duty changed: a publication decided before it is stale."""
    await Roster.filter(id=roster.id).update(version=F("version") + 1, updated_at=utcnow())


async def shift_of(site: Site, roster: Roster, shift_id: int, field: str = "shift_id") -> ShiftPattern:
    shift = await ShiftPattern.get_or_none(id=shift_id, site_id=site.id)
    if shift is None or shift.department != roster.department:
        raise invalid(field, _("No shift %(id)s of the %(department)s department here.", id=shift_id,
                               department=roster.department))
    if not shift.active:
        raise invalid(field, _("Shift %(code)s is no longer in use.", code=shift.code))
    return shift


async def add_duty(site: Site, actor: Actor, roster: Roster, data: dict[str, Any]) -> Duty:
    day = data["day"]
    if not roster.starts_on <= day <= roster.ends_on:
        raise invalid("day", _("Choose a day from %(start)s to %(end)s.", start=roster.starts_on.isoformat(),
                               end=roster.ends_on.isoformat()))
    user = await rules.member_of(site, data["user_id"], "user_id")
    shift = await shift_of(site, roster, data["shift_id"])
    if conflicts := await rules.duty_conflicts(site, user, shift, day, field="user_id"):
        raise rules.refuse(422, conflicts)
    starts_at, ends_at = rules.shift_times(site, shift, day)
    try:
        async with in_transaction():
            duty = await Duty.create(site_id=site.id, roster_id=roster.id, user_id=user.id, shift_id=shift.id,
                                     day=day, starts_at=starts_at, ends_at=ends_at, origin="drawn",
                                     note=str(data.get("note") or "").strip()[:200])
            await _touch(roster)
            await audit.record("rostering.duty.add", actor=actor.user, site_id=site.id,
                               object_type="rostering_roster", object_id=roster.id,
                               after={"duty_id": duty.id, "user_id": user.id, "shift": shift.code,
                                      "day": day.isoformat(), "roster_status": roster.status},
                               client_address=actor.client_address)
    except IntegrityError:  # the same cell drawn twice at once
        raise invalid("user_id", _("%(name)s already works %(shift)s on %(day)s.",
                                   name=user.display_name or user.username, shift=shift.name,
                                   day=day.isoformat())) from None
    return duty


async def remove_duty(site: Site, actor: Actor, roster: Roster, duty_id: int) -> None:
    duty = await Duty.get_or_none(id=duty_id, roster_id=roster.id, site_id=site.id).select_related("shift")
    if duty is None:
        raise Problem(404, _("No duty %(id)s on this roster.", id=duty_id))
    async with in_transaction():
        removed = await Duty.filter(id=duty.id).delete()
        if not removed:
            raise Problem(404, _("No duty %(id)s on this roster.", id=duty_id))
        await _touch(roster)
        await audit.record("rostering.duty.remove", actor=actor.user, site_id=site.id,
                           object_type="rostering_roster", object_id=roster.id,
                           before={"duty_id": duty.id, "user_id": duty.user_id, "shift": duty.shift.code,
                                   "day": duty.day.isoformat(), "roster_status": roster.status},
                           client_address=actor.client_address)


async def copy_previous(site: Site, actor: Actor, roster: Roster) -> tuple[int, list[dict[str, Any]]]:
    """Repeat the department's last week (the 7 days before the roster starts, whichever
    roster holds them) over the roster's days, weekday by weekday. A duty that would now
    conflict (leave, rest, an expired certificate, a shift out of use, someone no longer a
    member) is skipped and reported; the others are added."""
    first = roster.starts_on - dt.timedelta(days=7)
    source = await (Duty.filter(site_id=site.id, shift__department=roster.department, day__gte=first,
                                day__lt=roster.starts_on).order_by("day", "shift_id", "user_id")
                    .values("user_id", "shift_id", "day"))
    by_weekday: dict[int, list[dict[str, Any]]] = {}
    for row in source:
        by_weekday.setdefault(row["day"].weekday(), []).append(row)
    shifts = {shift.id: shift for shift in await ShiftPattern.filter(site_id=site.id, department=roster.department)}
    copied, skipped = 0, []
    async with in_transaction():
        for day in days_of(roster):
            for row in by_weekday.get(day.weekday(), []):
                shift = shifts[row["shift_id"]]
                reason = await _copy_refusal(site, shift, row["user_id"], day)
                if reason:
                    skipped.append({"user_id": row["user_id"], "shift_id": shift.id, "day": day, "reason": reason})
                    continue
                starts_at, ends_at = rules.shift_times(site, shift, day)
                await Duty.create(site_id=site.id, roster_id=roster.id, user_id=row["user_id"], shift_id=shift.id,
                                  day=day, starts_at=starts_at, ends_at=ends_at, origin="copied")
                copied += 1
        await _touch(roster)
        await audit.record("rostering.roster.copy", actor=actor.user, site_id=site.id,
                           object_type="rostering_roster", object_id=roster.id,
                           after={"from": first.isoformat(), "copied": copied, "skipped": len(skipped),
                                  "roster_status": roster.status}, client_address=actor.client_address)
    await roster.refresh_from_db()
    return copied, skipped


async def _copy_refusal(site: Site, shift: ShiftPattern, user_id: int, day: dt.date) -> str:
    if not shift.active:
        return _("Shift %(code)s is no longer in use.", code=shift.code)
    try:
        user = await rules.member_of(site, user_id)
    except Problem as problem:
        return problem.detail
    conflicts = await rules.duty_conflicts(site, user, shift, day)
    return conflicts[0][1] if conflicts else ""


async def shortfalls(site: Site, roster: Roster) -> list[dict[str, Any]]:
    """Each (shift, day) of the roster under its shift's minimum: active shifts of the
    department with a minimum, counted on every day of the roster."""
    shifts = [shift for shift in await ShiftPattern.filter(site_id=site.id, department=roster.department,
                                                           active=True, min_staff__gt=0).order_by("position", "id")]
    if not shifts:
        return []
    counts = {(row["shift_id"], row["day"]): row["n"] for row in await (
        Duty.filter(roster_id=roster.id).annotate(n=Count("id")).group_by("shift_id", "day")
        .values("shift_id", "day", "n"))}
    return [{"shift_id": shift.id, "shift": shift.code, "day": day, "count": counts.get((shift.id, day), 0),
             "minimum": shift.min_staff}
            for day in days_of(roster) for shift in shifts if counts.get((shift.id, day), 0) < shift.min_staff]


def _stale(roster: Roster) -> Problem:
    current = {**roster_out(roster), "starts_on": roster.starts_on.isoformat(), "ends_on": roster.ends_on.isoformat()}
    return Problem(409, _("Someone changed this roster since you read it. Reload and try again."), current=current)


async def publish(site: Site, actor: Actor, roster: Roster, version: int) -> Roster:
    if version != roster.version:
        await roster.refresh_from_db()
        raise _stale(roster)
    if roster.status == "published":
        raise Problem(409, _("This roster is already published."))
    if short := await shortfalls(site, roster):
        errors = [{"field": "duties", "message": _("%(shift)s on %(day)s: %(count)s of at least %(minimum)s.",
                                                   shift=item["shift"], day=item["day"].isoformat(),
                                                   count=item["count"], minimum=item["minimum"])}
                  for item in short]
        raise Problem(409, _("The roster is under the minimum staffing on %(count)s shifts: %(first)s",
                             count=len(short), first=errors[0]["message"]), errors=errors,
                      shortfalls=[{**item, "day": item["day"].isoformat()} for item in short])
    async with in_transaction():
        changed = await Roster.filter(id=roster.id, version=version, status="draft").update(
            status="published", published_at=utcnow(), published_by_id=actor.user_id, version=version + 1,
            updated_at=utcnow())
        if not changed:
            await roster.refresh_from_db()
            raise _stale(roster)
        await audit.record("rostering.roster.publish", actor=actor.user, site_id=site.id,
                           object_type="rostering_roster", object_id=roster.id,
                           after={"status": "published"}, client_address=actor.client_address)
    await roster.refresh_from_db()
    return roster


async def duties_of(roster: Roster) -> list[dict[str, Any]]:
    return await fetch(Duty.filter(roster_id=roster.id).order_by("day", "shift_id", "user_id"), *DUTY_COLUMNS)
