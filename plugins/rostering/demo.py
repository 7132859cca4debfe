"""Demo data of rostering at the three demo sites: each department's shift patterns, last
month's and this month's rosters published, next month's drawn as a draft, attendance for
the duties already worked (a few late, a few left early, one missed), the housekeepers'
health certificates (one expiring in 20 days, so its reminder shows), a leave request and
an accepted swap waiting for the supervisor.

Every duty passes ``rules.duty_conflicts`` as it is drawn (a planned duty that would break
a rule, such as one after a certificate expires, is left out, as the grid would refuse it),
so the demo breaks no rule. Records are written with the models: no audit trail, as the
other demos.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from core.clock import local_today, rfc3339, utcnow
from core.identity.models import Membership
from plugins.rostering import rules
from plugins.rostering.models import Attendance, Certificate, Duty, LeaveRequest, Roster, ShiftPattern, SwapRequest
from plugins.rostering.site_settings import setting

#: Who draws and publishes each site's rosters.
SUPERVISORS = {"harbour": "supervisor", "lotus": "hotelsup", "sunrise": "callsup"}

# (code, name, start "HH:MM", hours, break minutes, min_staff, required certificates)
SHIFTS: dict[tuple[str, str], list[tuple[str, str, str, int, int, int, list[str]]]] = {
    ("harbour", "service"): [("日", "日班 Day", "08:00", 9, 60, 1, []),
                             ("六", "週六班 Saturday", "09:00", 4, 0, 0, [])],
    ("lotus", "front_desk"): [("早", "早班 Early", "07:00", 8, 30, 0, []),
                              ("中", "中班 Middle", "15:00", 8, 30, 0, []),
                              ("夜", "夜班 Night", "23:00", 8, 30, 0, [])],
    ("lotus", "housekeeping"): [("早", "早班 Early", "08:00", 8, 60, 1, ["health"]),
                                ("中", "中班 Middle", "12:00", 8, 60, 0, ["health"])],
    ("lotus", "cashier"): [("早", "早班 Early", "07:00", 8, 30, 0, []),
                           ("中", "中班 Middle", "15:00", 8, 30, 0, [])],
    ("sunrise", "calls"): [("日", "日班 Day", "09:00", 9, 60, 1, []),
                           ("晚", "晚班 Evening", "18:00", 4, 0, 0, [])],
}


def _plan(username: str, day: dt.date) -> str | None:
    """The shift code ``username`` works on ``day`` in the demo's patterns, or None (a day off)."""
    weekday, week = day.weekday(), day.isocalendar()[1]
    cycle = day.toordinal() % 7  # a rota of five days on, two off, staggered per person
    if username in ("supervisor", "agent", "agent2"):
        if weekday < 5:
            return "日"
        # Saturday mornings: the agents by turns.
        return "六" if weekday == 5 and username == ("agent" if week % 2 else "agent2") else None
    if username == "frontdesk":
        return "早" if cycle not in (0, 1) else None
    if username == "hotelsup":
        return ("夜" if week % 2 else "中") if cycle not in (3, 4) else None
    if username == "housekeeper":
        return "早" if cycle not in (5, 6) else None
    if username == "housekeeper2":
        # The early shift (minimum one) is covered on housekeeper's days off.
        return "早" if cycle in (5, 6) else ("中" if cycle != 2 else None)
    if username == "cashier":
        return "早" if cycle not in (1, 2) else None
    if username == "cashier2":
        return "中" if cycle not in (4, 5) else None
    if username == "callsup":
        return "日" if weekday < 5 else None
    if username == "caller":
        return "日" if cycle not in (2, 3) else None
    if username == "caller2":
        return "晚" if cycle not in (6, 0) else None
    return None


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _months(today: dt.date) -> list[tuple[dt.date, dt.date, str]]:
    """Last month and this one (published) and the next (a draft), as (first, last, status)."""
    this = today.replace(day=1)
    previous = (this - dt.timedelta(days=1)).replace(day=1)
    following = (this + dt.timedelta(days=32)).replace(day=1)
    after = (following + dt.timedelta(days=32)).replace(day=1)
    return [(previous, this - dt.timedelta(days=1), "published"),
            (this, following - dt.timedelta(days=1), "published"),
            (following, after - dt.timedelta(days=1), "draft")]


def _snapshot(duty: Duty, shift: ShiftPattern) -> dict[str, Any]:
    return {"id": duty.id, "user_id": duty.user_id, "day": duty.day.isoformat(), "shift_id": shift.id,
            "shift_code": shift.code, "shift_name": shift.name, "department": shift.department,
            "starts_at": rfc3339(duty.starts_at), "ends_at": rfc3339(duty.ends_at)}


async def _switch_off_on_duty_assignment(site) -> None:
    # The demo's staff must receive tasks at any hour (the walkthroughs, the rest of the
    # suite and acceptance checks create tasks whenever they run), so on-duty assignment
    # is off at the demo sites. Switch it on at /sites/<site>/settings (Rostering: "Give
    # tasks only to people on duty"); the on-duty tests switch it on themselves.
    settings = dict(site.settings or {})
    settings["rostering"] = {**settings.get("rostering", {}), "assign_only_on_duty": False}
    site.settings = settings
    await site.save(update_fields=["settings"])


async def _certificates(demo, today: dt.date) -> None:
    site, users = demo.sites["lotus"], demo.users
    sup = users["hotelsup"]
    for username, number, issued, expires in (
            ("housekeeper", "HC-2026-0412", today - dt.timedelta(days=120), today + dt.timedelta(days=245)),
            ("housekeeper2", "HC-2025-1187", today - dt.timedelta(days=345), today + dt.timedelta(days=20))):
        await Certificate.create(site=site, user=users[username], kind="health", number=number, issued_on=issued,
                                 expires_on=expires, created_by=sup)
    await Certificate.create(site=site, user=users["hotelsup"], kind="fire_safety", number="FS-88231",
                             issued_on=today - dt.timedelta(days=200), expires_on=today + dt.timedelta(days=530),
                             created_by=sup)


async def _rosters(demo, code: str, department: str, today: dt.date, now: dt.datetime) -> list[Duty]:
    """The department's patterns and its three months of rosters; the duties drawn."""
    site = demo.sites[code]
    shifts = {}
    for position, (short, name, start, hours, pause, minimum, certificates) in enumerate(SHIFTS[(code, department)]):
        shifts[short] = await ShiftPattern.create(
            site=site, department=department, code=short, name=name, start_minute=_minutes(start),
            duration_minutes=hours * 60, break_minutes=pause, min_staff=minimum,
            required_certificates=certificates, position=position)
    members = set(await Membership.filter(site_id=site.id).values_list("user_id", flat=True))
    people = [user for user in demo.users.values() if user.department == department and user.id in members]
    supervisor = demo.users[SUPERVISORS[code]]
    duties: list[Duty] = []
    for first, last, status in _months(today):
        published = status == "published"
        roster = await Roster.create(site=site, department=department, starts_on=first, ends_on=last, status=status,
                                     published_at=now - dt.timedelta(days=(today - first).days + 5) if published else None,
                                     published_by=supervisor if published else None, created_by=supervisor)
        day = first
        while day <= last:
            for user in people:
                short = _plan(user.username, day)
                if short is None:
                    continue
                shift = shifts[short]
                if await rules.duty_conflicts(site, user, shift, day):
                    continue  # e.g. after a certificate expires: the grid would refuse it too
                starts_at, ends_at = rules.shift_times(site, shift, day)
                duty = await Duty.create(site=site, roster=roster, user=user, shift=shift, day=day,
                                         starts_at=starts_at, ends_at=ends_at)
                duty.shift = shift
                if published:
                    duties.append(duty)
            day += dt.timedelta(days=1)
    return duties


def _attendance(site, duties: list[Duty], now: dt.datetime, rng: random.Random) -> list[Attendance]:
    """Clock-ins and clock-outs for the duties worked so far: mostly a few minutes early,
    now and then late or gone early, one missed; a duty under way is clocked in, still open."""
    grace = setting(site, "late_grace_minutes")
    rows = []
    for duty in duties:
        if duty.starts_at > now or rng.random() < 0.02:
            continue  # not begun yet, or missed (the sheet shows it absent)
        late = rng.random() < 0.08
        clock_in = duty.starts_at + dt.timedelta(minutes=rng.randint(8, 25) if late else -rng.randint(2, 15))
        after_start = max(0, int((clock_in - duty.starts_at).total_seconds() // 60))
        row = Attendance(site_id=site.id, user_id=duty.user_id, duty_id=duty.id, clock_in_at=clock_in,
                         clock_in_source=rng.choice(("button", "sign_in")),
                         late_minutes=after_start if after_start > grace else 0)  # as attendance.late_minutes
        if duty.ends_at <= now:
            early = rng.random() < 0.05
            row.clock_out_at = duty.ends_at + dt.timedelta(minutes=-rng.randint(10, 40) if early else rng.randint(0, 12))
            row.clock_out_source = "button"
            row.early_minutes = max(0, int((duty.ends_at - row.clock_out_at).total_seconds() // 60))
        elif clock_in > now:
            continue
        rows.append(row)
    return rows


async def _requests(demo, duties: list[Duty], today: dt.date, now: dt.datetime) -> None:
    lotus, users = demo.sites["lotus"], demo.users
    # frontdesk asks for two days of annual leave the week after next (pending).
    start = today + dt.timedelta(days=10)
    await LeaveRequest.create(site=lotus, user=users["frontdesk"], leave_type="annual", starts_on=start,
                              ends_on=start + dt.timedelta(days=1), half_days=4, reason="家庭旅遊 Family trip")
    harbour_day = today + dt.timedelta(days=6)
    await LeaveRequest.create(site=demo.sites["harbour"], user=users["agent2"], leave_type="personal",
                              starts_on=harbour_day, ends_on=harbour_day, start_half="pm", half_days=1,
                              reason="辦理證件 Paperwork at the district office")
    # housekeeper gives an early shift to housekeeper2 and takes her middle shift that day;
    # she accepted, the supervisor has yet to decide.
    mine = {d.day: d for d in duties if d.user_id == users["housekeeper"].id and d.shift.code == "早"}
    theirs = {d.day: d for d in duties if d.user_id == users["housekeeper2"].id and d.shift.code == "中"}
    day = next((d for d in sorted(mine) if d >= today + dt.timedelta(days=3) and d in theirs), None)
    if day is None:
        return
    given, taken = mine[day], theirs[day]
    await SwapRequest.create(site=lotus, requester=users["housekeeper"], duty=given, colleague=users["housekeeper2"],
                             colleague_duty=taken, status="accepted", accepted_at=now - dt.timedelta(hours=3),
                             snapshot={"duty": _snapshot(given, given.shift), "colleague_duty": _snapshot(taken, taken.shift)},
                             reason="孩子學校活動 My child's school event")


async def load(demo) -> None:
    now = utcnow()
    rng = random.Random(18)
    for site in demo.sites.values():
        await _switch_off_on_duty_assignment(site)
    await _certificates(demo, local_today(demo.sites["lotus"], now))
    lotus_duties: list[Duty] = []
    for code, department in SHIFTS:
        site = demo.sites[code]
        duties = await _rosters(demo, code, department, local_today(site, now), now)
        await Attendance.bulk_create(_attendance(site, duties, now, rng))
        if code == "lotus":
            lotus_duties += duties
    await _requests(demo, lotus_duties, local_today(demo.sites["lotus"], now), now)
