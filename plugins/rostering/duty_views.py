"""Read-only views of duties: the roster grid, who is on duty now, the next shift, one
person's coming duties. Hot paths (the grid of a month for 200 people, the panels on every
home page) read plain rows (``core.rows.fetch``) in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from core.clock import rfc3339
from core.entities.models import Site
from core.identity.models import User
from core.identity.services import site_people
from core.rows import fetch
from plugins.rostering.models import Attendance, Duty, LeaveRequest, Roster, ShiftPattern
from plugins.rostering.rosters import days_of
from plugins.rostering.rules import shift_times
from plugins.rostering.site_settings import setting

CELL = "<td>{}</td>"
LEAVE_CELL = '<td class="leave">{}</td>'


def person_name(user: Any) -> str:
    if isinstance(user, dict):
        return user.get("display_name") or user.get("username") or ""
    return user.display_name or user.username


async def grid(site: Site, roster: Roster) -> dict[str, Any]:
    """People (rows) by days (columns), each cell the codes of that person's duties that day;
    approved leave marked; per shift and day the count, flagged under its minimum. Four
    queries whatever the size, one pass over the duties."""
    days = days_of(roster)
    index = {day: n for n, day in enumerate(days)}
    shifts = list(await ShiftPattern.filter(site_id=site.id, department=roster.department)
                  .order_by("position", "start_minute", "id"))
    code_of = {shift.id: shift.code for shift in shifts}
    # By start time, not day: a date column is parsed per row (slow on SQLite, a third of
    # the page for a month of 200 people); each (shift, day)'s start is known beforehand.
    duties = await fetch(Duty.filter(roster_id=roster.id), "user_id", "shift_id", "starts_at")
    starts = {(shift.id, shift_times(site, shift, day)[0]): n for shift in shifts for n, day in enumerate(days)}
    zone = ZoneInfo(site.timezone)
    people = await site_people(site.id)
    rostered = {duty["user_id"] for duty in duties}
    rows_of = {user_id: user for user_id, user in people.items()
               if user_id in rostered or (user.is_active and user.department == roster.department)}
    cells: dict[int, list[list[str]]] = {user_id: [[] for _day in days] for user_id in rows_of}
    counts: dict[int, list[int]] = {shift.id: [0] * len(days) for shift in shifts}
    for duty in duties:
        position = starts.get((duty["shift_id"], duty["starts_at"]))
        if position is None:  # the shift's hours changed after it was drawn
            position = index.get(duty["starts_at"].astimezone(zone).date())
        if position is None or duty["user_id"] not in cells:
            continue
        cells[duty["user_id"]][position].append(code_of.get(duty["shift_id"], "?"))
        counts.setdefault(duty["shift_id"], [0] * len(days))[position] += 1
    leave: dict[int, set[int]] = {}
    for row in await LeaveRequest.filter(site_id=site.id, status="approved", starts_on__lte=roster.ends_on,
                                         ends_on__gte=roster.starts_on, user_id__in=list(rows_of)
                                         ).values("user_id", "starts_on", "ends_on"):
        marked = leave.setdefault(row["user_id"], set())
        for day, position in index.items():
            if row["starts_on"] <= day <= row["ends_on"]:
                marked.add(position)
    rows = []
    for user_id, user in sorted(rows_of.items(), key=lambda item: person_name(item[1])):
        on_leave = leave.get(user_id, ())
        # The cells written here, escaped: ~6,000 of them cost more through the template loop.
        html = "".join(LEAVE_CELL.format(escape("/".join(codes))) if position in on_leave
                       else CELL.format(escape("/".join(codes))) for position, codes in enumerate(cells[user_id]))
        rows.append({"user_id": user_id, "name": person_name(user), "cells": Markup(html)})  # noqa: S704
    totals = [{"shift": shift, "counts": [(count, bool(shift.active and count < shift.min_staff))
                                         for count in counts[shift.id]]} for shift in shifts]
    short = sum(flag for total in totals for _count, flag in total["counts"])
    return {"days": days, "rows": rows, "shifts": shifts, "totals": totals, "short": short,
            "leave_count": sum(len(marked) for marked in leave.values())}


def _published(site: Site):
    return Duty.filter(site_id=site.id, roster__status="published")


async def on_duty(site: Site, at: dt.datetime) -> list[dict[str, Any]]:
    """Per department, the people whose published duty covers ``at``; ``clocked_in`` when
    they have an open clock-in at the site, ``on_duty`` when that or the site does not
    ask for a clock-in (``on_duty_requires_clock_in``)."""
    duties = await fetch(_published(site).filter(starts_at__lte=at, ends_at__gt=at).order_by("starts_at", "id"),
                         "user_id", "shift_id", "starts_at", "ends_at", "shift__code", "shift__department")
    if not duties:
        return []
    ids = list({duty["user_id"] for duty in duties})
    clocked = set(await Attendance.filter(site_id=site.id, user_id__in=ids, clock_out_at__isnull=True,
                                          clock_in_at__lte=at).values_list("user_id", flat=True))
    names = {row["id"]: person_name(row) for row in await User.filter(id__in=ids)
             .values("id", "display_name", "username")}
    needs_clock = setting(site, "on_duty_requires_clock_in")
    departments: dict[str, list[dict[str, Any]]] = {}
    for duty in duties:
        clocked_in = duty["user_id"] in clocked
        departments.setdefault(duty["shift__department"], []).append({
            "user_id": duty["user_id"], "name": names.get(duty["user_id"], ""), "shift_id": duty["shift_id"],
            "shift_code": duty["shift__code"], "starts_at": rfc3339(duty["starts_at"]),
            "ends_at": rfc3339(duty["ends_at"]), "clocked_in": clocked_in,
            "on_duty": clocked_in or not needs_clock})
    return [{"department": name, "people": people} for name, people in sorted(departments.items())]


async def next_shifts(site: Site, now: dt.datetime, within_hours: int = 36) -> list[dict[str, Any]]:
    """Per department, the next published shift to start after ``now`` (within
    ``within_hours``) and the people on it: who the handover goes to."""
    duties = await fetch(_published(site).filter(starts_at__gt=now, starts_at__lt=now + dt.timedelta(
        hours=within_hours)).order_by("starts_at", "shift_id", "user_id").limit(2000),
        "user_id", "shift_id", "starts_at", "ends_at", "shift__code", "shift__name", "shift__department")
    first: dict[str, dict[str, Any]] = {}
    for duty in duties:
        department = duty["shift__department"]
        entry = first.get(department)
        if entry is None:
            entry = first[department] = {"department": department, "starts_at": duty["starts_at"],
                                         "ends_at": duty["ends_at"], "shifts": [], "user_ids": []}
        if duty["starts_at"] != entry["starts_at"]:
            continue
        label = f'{duty["shift__name"]} ({duty["shift__code"]})'
        if label not in entry["shifts"]:
            entry["shifts"].append(label)
        entry["user_ids"].append(duty["user_id"])
    ids = list({user_id for entry in first.values() for user_id in entry["user_ids"]})
    names = {row["id"]: person_name(row) for row in await User.filter(id__in=ids)
             .values("id", "display_name", "username")} if ids else {}
    for entry in first.values():
        entry["people"] = [names.get(user_id, "") for user_id in dict.fromkeys(entry["user_ids"])]
    return [first[name] for name in sorted(first)]


async def my_duties(site: Site, user_id: int, now: dt.datetime, days: int = 14, limit: int = 100
                    ) -> list[dict[str, Any]]:
    """The person's published duties not yet over, starting within ``days``."""
    return await fetch(_published(site).filter(user_id=user_id, ends_at__gt=now,
                                               starts_at__lt=now + dt.timedelta(days=days))
                       .order_by("starts_at").limit(limit),
                       "id", "day", "starts_at", "ends_at", "shift__code", "shift__name", "shift__department")


async def open_clock_in(site: Site, user_id: int) -> dict[str, Any] | None:
    rows = await fetch(Attendance.filter(site_id=site.id, user_id=user_id, clock_out_at__isnull=True)
                       .order_by("-clock_in_at").limit(1), "id", "clock_in_at", "late_minutes", "version")
    return rows[0] if rows else None
