"""The monthly attendance sheet (考勤表): per person, per site-local day, the duty and how it
was kept, with totals per person and for everyone shown (a department, when filtered).

A row is a published duty of the month (with the attendance linked to it: first clock-in,
last clock-out) or an attendance linked to no duty. Its numbers:

- late and early minutes as recorded at clock-in and clock-out (``plugins.rostering.attendance``);
- worked minutes: the time clocked in, less the shift's unpaid break (never below 0); a
  record still open counts nothing yet;
- absent: a duty that has ended with no attendance at all.

Read as plain rows (``core.rows.fetch``) in three queries (duties, attendance, people): a month of 200 staff
is some 6,000 duties.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from core.clock import local_day_bounds, local_today, utcnow
from core.entities.models import Site
from core.i18n import gettext as _
from core.identity.models import Membership, User
from core.problems import invalid
from core.rows import fetch
from plugins.rostering.models import Attendance, Duty
from plugins.rostering.rules import clock_text
from plugins.rostering.site_settings import setting

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(site: Site, text: str | None, now: dt.datetime | None = None) -> dt.date:
    """The first day of ``YYYY-MM`` (the site's current month when not given); else 422 naming month."""
    if not text:
        return local_today(site, now).replace(day=1)
    match = MONTH.match(text)
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise invalid("month", _("Give the month as YYYY-MM, e.g. 2026-12."))
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def hours_text(minutes: int) -> str:
    """450 -> ``7.50`` (hours with two decimals, worked out in whole numbers)."""
    hundredths = (minutes * 100 + 30) // 60
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def _worked(records: list[dict], break_minutes: int) -> int:
    clocked = sum(int((r["clock_out_at"] - r["clock_in_at"]).total_seconds() // 60)
                  for r in records if r["clock_out_at"] is not None)
    return max(0, clocked - break_minutes) if clocked else 0


def _local(zone: ZoneInfo, moment: dt.datetime) -> str:
    """``core.clock.local_time`` for many rows: the zone looked up once, no strftime."""
    m = moment.astimezone(zone)
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d} {m.hour:02d}:{m.minute:02d}"


def _row(zone: ZoneInfo, day: dt.date, duty: dict | None, records: list[dict], now: dt.datetime) -> dict[str, Any]:
    records = sorted(records, key=lambda r: r["clock_in_at"])
    closed = [r for r in records if r["clock_out_at"] is not None]
    last = records[-1] if records else None
    start = duty["shift__start_minute"] if duty else None
    return {
        "day": day.isoformat(),
        "duty_id": duty["id"] if duty else None,
        "shift": duty["shift__code"] if duty else "",
        "shift_name": duty["shift__name"] if duty else "",
        "duty_hours": f"{clock_text(start)}-{clock_text(start + duty['shift__duration_minutes'])}" if duty else "",
        "clock_in": _local(zone, records[0]["clock_in_at"]) if records else "",
        "clock_out": _local(zone, last["clock_out_at"]) if last and last["clock_out_at"] else "",
        "clocked_in_now": bool(last and last["clock_out_at"] is None),
        "late_minutes": records[0]["late_minutes"] if records else 0,
        "early_minutes": closed[-1]["early_minutes"] if closed and last["clock_out_at"] else 0,
        "worked_minutes": _worked(records, duty["shift__break_minutes"] if duty else 0),
        "absent": bool(duty and not records and duty["ends_at"] <= now),
        "attendance_ids": [r["id"] for r in records],
    }


def _totals(rows: list[dict]) -> dict[str, Any]:
    worked = sum(row["worked_minutes"] for row in rows)
    return {"duties": sum(1 for row in rows if row["duty_id"]),
            "days_worked": len({row["day"] for row in rows if row["attendance_ids"]}),
            "late": sum(1 for row in rows if row["late_minutes"]),
            "late_minutes": sum(row["late_minutes"] for row in rows),
            "early": sum(1 for row in rows if row["early_minutes"]),
            "early_minutes": sum(row["early_minutes"] for row in rows),
            "absences": sum(1 for row in rows if row["absent"]),
            "worked_minutes": worked, "hours": hours_text(worked)}


async def _members_of(site: Site, department: str, users: set[int]) -> set[int]:
    """Of ``users``, those whose department is ``department`` (every one, without a filter):
    attendance with no duty belongs to the person's own department."""
    if not department or not users:
        return users
    return set(await Membership.filter(site_id=site.id, user_id__in=list(users), user__department=department)
               .values_list("user_id", flat=True))


async def monthly_sheet(site: Site, first: dt.date, *, department: str = "", user_id: int | None = None,
                        now: dt.datetime | None = None) -> dict[str, Any]:
    """The sheet of the month starting ``first`` at ``site``: ``people`` (each with its rows
    and totals) and ``totals``; narrowed to ``department`` and/or one ``user_id``."""
    now = now or utcnow()
    days = calendar.monthrange(first.year, first.month)[1]
    last = first + dt.timedelta(days=days - 1)
    start, end = local_day_bounds(site, first, days)
    duties = Duty.filter(site_id=site.id, roster__status="published", day__gte=first, day__lte=last)
    if department:
        duties = duties.filter(roster__department=department)
    if user_id is not None:
        duties = duties.filter(user_id=user_id)
    duty_rows = await fetch(duties.order_by("starts_at"),
        "id", "user_id", "day", "starts_at", "ends_at", "shift__code", "shift__name", "shift__start_minute",
        "shift__duration_minutes", "shift__break_minutes")
    # A clock-in may come up to the window before a duty starting just after midnight on the 1st.
    window = dt.timedelta(minutes=setting(site, "early_clock_in_minutes"))
    records = Attendance.filter(site_id=site.id, clock_in_at__gte=start - window, clock_in_at__lt=end)
    if user_id is not None:
        records = records.filter(user_id=user_id)
    record_rows = await fetch(records, "id", "user_id", "duty_id", "clock_in_at", "clock_out_at", "late_minutes",
                                       "early_minutes")
    duty_ids = {duty["id"] for duty in duty_rows}
    by_duty: dict[int, list[dict]] = {}
    loose: list[dict] = []
    for record in record_rows:
        if record["duty_id"] in duty_ids:
            by_duty.setdefault(record["duty_id"], []).append(record)
        elif record["duty_id"] is None and start <= record["clock_in_at"] < end:
            loose.append(record)
    loose_people = await _members_of(site, department, {r["user_id"] for r in loose})
    people = sorted({d["user_id"] for d in duty_rows} | loose_people)
    rows: dict[int, list[dict]] = {person: [] for person in people}
    zone = ZoneInfo(site.timezone)
    for duty in duty_rows:
        rows[duty["user_id"]].append(_row(zone, duty["day"], duty, by_duty.get(duty["id"], []), now))
    for record in loose:
        if record["user_id"] in loose_people:
            rows[record["user_id"]].append(_row(zone, record["clock_in_at"].astimezone(zone).date(), None,
                                                [record], now))
    users = {u["id"]: u for u in await User.filter(id__in=people).values("id", "username", "display_name",
                                                                           "department")}
    out = []
    for person in sorted(people, key=lambda p: (users[p]["display_name"] or users[p]["username"]).lower()):
        person_rows = sorted(rows[person], key=lambda row: (row["day"], row["clock_in"] or row["duty_hours"]))
        out.append({"user_id": person, "name": users[person]["display_name"] or users[person]["username"],
                    "department": users[person]["department"], "rows": person_rows, "totals": _totals(person_rows)})
    return {"month": first.strftime("%Y-%m"), "department": department, "user_id": user_id,
            "from": first.isoformat(), "to": last.isoformat(), "people": out,
            "totals": _totals([row for person in out for row in person["rows"]])}


def sheet_tables(sheet: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The sheet as two tables (every row; one line per person's totals) for CSV and XLSX."""
    yes = _("yes")
    rows = [[person["name"], row["day"], row["shift"], row["duty_hours"], row["clock_in"], row["clock_out"],
             row["late_minutes"], row["early_minutes"], hours_text(row["worked_minutes"]),
             yes if row["absent"] else ""]
            for person in sheet["people"] for row in person["rows"]]
    totals = [[person["name"], person["department"], t["duties"], t["days_worked"], t["late"], t["late_minutes"],
               t["early"], t["early_minutes"], t["absences"], t["hours"]]
              for person in sheet["people"] for t in [person["totals"]]]
    return [
        (_("Attendance %(month)s", month=sheet["month"]),
         [_("Person"), _("Day"), _("Shift"), _("Shift hours"), _("Clock-in"), _("Clock-out"), _("Late (minutes)"),
          _("Early (minutes)"), _("Hours worked"), _("Absent")], rows),
        (_("Totals"),
         [_("Person"), _("Department"), _("Duties"), _("Days worked"), _("Times late"), _("Late (minutes)"),
          _("Times early"), _("Early (minutes)"), _("Absences"), _("Hours worked")], totals),
    ]
