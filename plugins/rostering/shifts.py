"""Shift patterns: a department's named shifts (早班 07:00-15:00, 夜班 23:00-07:00) in the
site's local time.

Patterns of one department may overlap (中班 overlaps 早班 on purpose); what may not overlap
is one *person's* duties, which ``rules.duty_conflicts`` refuses when a duty is drawn.
Changing a pattern's times does not move duties already drawn: each duty keeps the UTC
times it was drawn with, so a published roster never shifts under the people on it.
"""

from __future__ import annotations

import re
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import utcnow
from core.entities import code_lists
from core.entities.models import Site
from core.i18n import gettext as _
from core.problems import Problem, invalid
from plugins.rostering.code_lists import CERTIFICATE_KINDS
from plugins.rostering.models import ShiftPattern
from plugins.rostering.rules import clock_text

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
DAY = 24 * 60
AUDITED = ["department", "code", "name", "start_minute", "duration_minutes", "break_minutes", "min_staff",
           "required_certificates", "active", "position"]


def parse_clock(text: Any, field: str) -> int:
    """``"07:00"`` -> 420; anything but HH:MM from 00:00 to 23:59 is a 422 naming ``field``."""
    match = _CLOCK.match(str(text or "").strip())
    if match is None:
        raise invalid(field, _("Enter a time of day as HH:MM, from 00:00 to 23:59."))
    return int(match.group(1)) * 60 + int(match.group(2))


def shift_out(shift: ShiftPattern) -> dict[str, Any]:
    end = (shift.start_minute + shift.duration_minutes) % DAY
    return {"id": shift.id, "department": shift.department, "code": shift.code, "name": shift.name,
            "start": clock_text(shift.start_minute), "end": clock_text(end),
            "crosses_midnight": shift.start_minute + shift.duration_minutes > DAY,
            "duration_minutes": shift.duration_minutes, "break_minutes": shift.break_minutes,
            "min_staff": shift.min_staff, "required_certificates": list(shift.required_certificates or []),
            "active": shift.active, "position": shift.position, "version": shift.version}


async def _clean(site: Site, data: dict[str, Any], current: ShiftPattern | None = None) -> dict[str, Any]:
    """The columns ``data`` sets, checked; ``current`` fills the times not given (an edit)."""
    values: dict[str, Any] = {}
    for name in ("department", "code", "name"):
        if name in data and data[name] is not None:
            text = str(data[name]).strip()
            if not text:
                raise invalid(name, _("This field is required."))
            values[name] = text
    if "code" in values and not re.fullmatch(r"[0-9A-Za-z\u3400-\u9fff_-]+", values["code"]):
        raise invalid("code", _("A shift code is letters or digits, without spaces."))
    start = parse_clock(data["start"], "start") if data.get("start") is not None else None
    end = parse_clock(data["end"], "end") if data.get("end") is not None else None
    if start is not None or end is not None:
        if current is not None:
            start = current.start_minute if start is None else start
            end = (current.start_minute + current.duration_minutes) % DAY if end is None else end
        if start is None or end is None:
            raise invalid("end" if start is not None else "start", _("This field is required."))
        duration = (end - start) % DAY
        if duration == 0:
            raise invalid("end", _("A shift must have a length: its end equals its start."))
        values.update(start_minute=start, duration_minutes=duration)
    duration = values.get("duration_minutes", current.duration_minutes if current else 0)
    for name in ("break_minutes", "min_staff", "position"):
        if data.get(name) is not None:
            values[name] = int(data[name])
    if values.get("break_minutes", current.break_minutes if current else 0) >= duration:
        raise invalid("break_minutes", _("The break must be shorter than the shift."))
    if data.get("required_certificates") is not None:
        kinds = []
        for kind in data["required_certificates"]:
            kinds.append(await code_lists.check(site, CERTIFICATE_KINDS, kind, "required_certificates"))
        values["required_certificates"] = list(dict.fromkeys(kinds))
    if data.get("active") is not None:
        values["active"] = bool(data["active"])
    return values


def _taken(code: str) -> Problem:
    message = _("Shift code %(code)s is already used in this department.", code=code)
    return Problem(409, message, errors=[{"field": "code", "message": message}])


async def create(site: Site, actor: Actor, data: dict[str, Any]) -> ShiftPattern:
    values = await _clean(site, data)
    for name in ("department", "code", "name", "start_minute"):
        if name not in values:
            raise invalid({"start_minute": "start"}.get(name, name), _("This field is required."))
    if await ShiftPattern.filter(site_id=site.id, department=values["department"], code=values["code"]).exists():
        raise _taken(values["code"])
    try:
        async with in_transaction():
            shift = await ShiftPattern.create(site_id=site.id, **values)
            await audit.record("rostering.shift.create", actor=actor.user, site_id=site.id,
                               object_type="rostering_shift", object_id=shift.id,
                               after=audit.snapshot(shift, AUDITED), client_address=actor.client_address)
    except IntegrityError:  # the same code saved by someone else a moment ago
        raise _taken(values["code"]) from None
    return shift


def _stale(shift: ShiftPattern) -> Problem:
    return Problem(409, _("Someone changed this shift since you read it. Reload and try again."),
                   current=shift_out(shift))


async def update(shift: ShiftPattern, site: Site, actor: Actor, data: dict[str, Any], version: int) -> ShiftPattern:
    """A versioned change; the department stays (its duties and roster belong to it)."""
    data = {key: value for key, value in data.items() if key != "department"}
    if version != shift.version:
        await shift.refresh_from_db()
        raise _stale(shift)
    values = await _clean(site, data, shift)
    code = values.get("code")
    if code and code != shift.code and await ShiftPattern.filter(
            site_id=site.id, department=shift.department, code=code).exists():
        raise _taken(code)
    before = audit.snapshot(shift, AUDITED)
    try:
        async with in_transaction():
            changed = await ShiftPattern.filter(id=shift.id, version=version).update(
                **values, version=version + 1, updated_at=utcnow())
            if not changed:
                await shift.refresh_from_db()
                raise _stale(shift)
            await shift.refresh_from_db()
            old, new = audit.changed_fields(before, audit.snapshot(shift, AUDITED))
            await audit.record("rostering.shift.update", actor=actor.user, site_id=site.id,
                               object_type="rostering_shift", object_id=shift.id, before=old, after=new,
                               client_address=actor.client_address)
    except IntegrityError:
        raise _taken(code or shift.code) from None
    return shift


async def of_site(site: Site, department: str | None = None, active: bool | None = None) -> list[ShiftPattern]:
    shifts = ShiftPattern.filter(site_id=site.id)
    if department:
        shifts = shifts.filter(department=department)
    if active is not None:
        shifts = shifts.filter(active=active)
    return list(await shifts.order_by("department", "position", "start_minute", "id"))
