"""Attendance (plugins/rostering/attendance.py, attendance_sheet.py, attendance_api.py):
clock in and out against the published roster, late and early, the supervisor's
correction, clocking in on sign-in, and the monthly sheet with its exports, on both
databases. Duties are made with the models directly (the roster API is another area's)."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import itertools
from zoneinfo import ZoneInfo

import pytest

SITE = "harbour"
API = f"/api/v1/sites/{SITE}/rostering/attendance"
_codes = itertools.count(1)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


async def _make_duty(username: str, starts_at: dt.datetime, minutes: int = 480, break_minutes: int = 0,
                     status: str = "published", department: str = "atd", site_code: str = SITE):
    from core.entities.models import Site
    from core.identity.models import User
    from plugins.rostering.models import Duty, Roster, ShiftPattern

    site, user = await Site.get(code=site_code), await User.get(username=username)
    local = starts_at.astimezone(ZoneInfo(site.timezone))
    number = next(_codes)
    shift = await ShiftPattern.create(site=site, department=department, code=f"T{number}", name=f"Test {number}",
                                      start_minute=local.hour * 60 + local.minute, duration_minutes=minutes,
                                      break_minutes=break_minutes)
    monday = local.date() - dt.timedelta(days=local.weekday())
    roster, _ = await Roster.get_or_create(site=site, department=department, starts_on=monday,
                                           defaults={"ends_on": monday + dt.timedelta(days=6), "status": status})
    return await Duty.create(site=site, roster=roster, user=user, shift=shift, day=local.date(),
                             starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=minutes))


def duty(server, username, starts_at, **kwargs):
    return server.call(_make_duty, username, starts_at, **kwargs).id


async def _clear(*usernames):
    """Leave no duty or attendance of these people (demo rosters must not decide a test)."""
    from core.identity.models import User
    from plugins.rostering.models import Attendance, Duty

    ids = await User.filter(username__in=list(usernames)).values_list("id", flat=True)
    await Attendance.filter(user_id__in=list(ids)).delete()
    await Duty.filter(user_id__in=list(ids)).delete()


@pytest.fixture
def server(demo_server):
    demo_server.call(_clear, "agent", "agent2", "supervisor")
    return demo_server


@pytest.fixture
def agent(server):
    return server.api_client("agent")


@pytest.fixture
def sup(server):
    return server.api_client("supervisor")


def fields(response):
    return [error["field"] for error in response.json()["errors"]]


def test_clock_in_links_the_duty_under_way_and_flags_late(server, agent):
    started = now_utc() - dt.timedelta(minutes=12, seconds=10)
    duty_id = duty(server, "agent", started)
    made = agent.post(f"{API}/clock-in")
    assert made.status_code == 201, made.text
    record = made.json()
    assert record["duty_id"] == duty_id and record["clock_in_source"] == "button"
    assert record["late_minutes"] == 12  # counted from the start once past the 5 minutes' grace
    assert record["clock_out_at"] is None


def test_clock_in_within_grace_or_before_the_duty_is_on_time(server, agent):
    duty_id = duty(server, "agent", now_utc() + dt.timedelta(minutes=30))
    record = agent.post(f"{API}/clock-in").json()
    assert record["duty_id"] == duty_id and record["late_minutes"] == 0
    agent.post(f"{API}/clock-out")
    # Back from a break during the same duty: never late again.
    again = agent.post(f"{API}/clock-in").json()
    assert again["duty_id"] == duty_id and again["late_minutes"] == 0


def test_clock_in_within_the_grace_is_not_late(server, agent):
    duty(server, "agent", now_utc() - dt.timedelta(minutes=4))
    assert agent.post(f"{API}/clock-in").json()["late_minutes"] == 0


def test_clock_in_without_a_duty_in_the_window_is_recorded_unlinked(server, agent):
    duty(server, "agent", now_utc() + dt.timedelta(minutes=90))  # past the 60 minutes' window
    duty(server, "agent", now_utc() - dt.timedelta(minutes=30), status="draft", department="drafted")
    record = agent.post(f"{API}/clock-in").json()
    assert record["duty_id"] is None and record["late_minutes"] == 0


def test_early_clock_out_is_flagged(server, agent):
    duty_id = duty(server, "agent", now_utc() - dt.timedelta(minutes=450))  # 8 hours: ends in 30 minutes
    agent.post(f"{API}/clock-in")
    out = agent.post(f"{API}/clock-out")
    assert out.status_code == 200, out.text
    record = out.json()
    assert record["duty_id"] == duty_id and record["clock_out_at"] is not None
    assert 29 <= record["early_minutes"] <= 30


def test_clock_out_with_nothing_open_is_409(server, agent):
    refused = agent.post(f"{API}/clock-out")
    assert refused.status_code == 409
    assert "clock in first" in refused.json()["detail"]


def test_a_second_clock_in_while_one_is_open_is_409(server, agent):
    assert agent.post(f"{API}/clock-in").status_code == 201
    refused = agent.post(f"{API}/clock-in")
    assert refused.status_code == 409
    assert refused.json()["current"]["clock_out_at"] is None


def test_concurrent_clock_ins_make_one_record(server):
    from core.actors import Actor
    from core.entities.models import Site
    from core.identity.models import User
    from core.problems import Problem
    from plugins.rostering import attendance
    from plugins.rostering.models import Attendance

    async def race():
        site, user = await Site.get(code=SITE), await User.get(username="agent")
        actor = Actor(user=user, site=site)
        results = await asyncio.gather(*(attendance.clock_in(site, user, actor) for _ in range(3)),
                                       return_exceptions=True)
        return results, await Attendance.filter(user_id=user.id, site_id=site.id).count()

    results, count = server.call(race)
    assert count == 1
    refused = [result for result in results if isinstance(result, Problem)]
    assert len(refused) == 2 and all(problem.status == 409 for problem in refused)


def test_supervisor_correction_refuses_clock_out_before_clock_in(server, agent, sup):
    record = agent.post(f"{API}/clock-in").json()
    start = dt.datetime.fromisoformat(record["clock_in_at"].replace("Z", "+00:00"))
    url = f"{API}/{record['id']}"
    before = (start - dt.timedelta(minutes=5)).isoformat()
    refused = sup.patch(url, json={"clock_out_at": before, "reason": "forgot", "version": record["version"]})
    assert refused.status_code == 422 and fields(refused) == ["clock_out_at"]
    same = sup.patch(url, json={"clock_out_at": start.isoformat(), "reason": "forgot", "version": record["version"]})
    assert same.status_code == 422 and fields(same) == ["clock_out_at"]
    future = sup.patch(url, json={"clock_out_at": (now_utc() + dt.timedelta(hours=1)).isoformat(),
                                  "reason": "forgot", "version": record["version"]})
    assert future.status_code == 422 and fields(future) == ["clock_out_at"]
    naive = sup.patch(url, json={"clock_in_at": "2026-01-01T08:00:00", "reason": "x", "version": record["version"]})
    assert naive.status_code == 422 and fields(naive) == ["clock_in_at"]
    # Staff do not correct their own times.
    assert agent.patch(url, json={"clock_in_at": before, "reason": "x", "version": 1}).status_code == 403


def test_supervisor_correction_recomputes_late_is_versioned_and_audited(server, agent, sup):
    started = now_utc() - dt.timedelta(minutes=40)
    duty(server, "agent", started)
    record = agent.post(f"{API}/clock-in").json()
    assert record["late_minutes"] == 40
    url = f"{API}/{record['id']}"
    body = {"clock_in_at": started.isoformat(), "clock_out_at": (started + dt.timedelta(minutes=30)).isoformat(),
            "reason": "Clocked in at the back door", "version": record["version"]}
    fixed = sup.patch(url, json=body)
    assert fixed.status_code == 200, fixed.text
    out = fixed.json()
    assert out["late_minutes"] == 0 and out["early_minutes"] == 450
    assert out["clock_in_source"] == "supervisor" == out["clock_out_source"] and out["version"] == 2
    assert sup.patch(url, json=body).status_code == 409  # the old version: someone corrected it first

    async def audited():
        from core.audit.models import AuditEntry

        return await AuditEntry.filter(action="rostering.attendance.correct", object_id=str(record["id"])) \
            .values_list("note", flat=True)

    assert server.call(audited) == ["Clocked in at the back door"]


def _set_sign_in(server, on: bool):
    admin = server.api_client("admin")
    base = f"/api/v1/sites/{SITE}/settings"
    version = admin.get(base).json()["version"]
    changed = admin.patch(base, json={"version": version, "values": {"rostering": {"clock_in_on_sign_in": on}}})
    assert changed.status_code == 200, changed.text


def _sign_in_clocks(server, username="agent"):
    from core.identity.models import User
    from plugins.rostering import attendance

    async def run():
        made = await attendance.clock_in_on_sign_in(await User.get(username=username), "127.0.0.1")
        return [(record.duty_id, record.clock_in_source) for record in made]

    return server.call(run)


def test_sign_in_clocks_in_only_within_the_window(server, clock):
    duty_id = duty(server, "agent", now_utc() + dt.timedelta(minutes=120))
    assert _sign_in_clocks(server) == []  # two hours early: not yet
    clock.shift(dt.timedelta(minutes=65))  # 55 minutes before the duty
    assert _sign_in_clocks(server) == [(duty_id, "sign_in")]
    assert _sign_in_clocks(server) == []  # already clocked in: nothing more


def test_sign_in_without_a_duty_clocks_no_one_in(server):
    assert _sign_in_clocks(server) == []


def test_sign_in_does_not_clock_in_when_the_site_says_not(server):
    duty(server, "agent", now_utc() - dt.timedelta(minutes=10))
    _set_sign_in(server, False)
    assert _sign_in_clocks(server) == []
    _set_sign_in(server, True)
    assert [source for _, source in _sign_in_clocks(server)] == ["sign_in"]


# --- the monthly sheet ----------------------------------------------------------------------


def _last_month() -> dt.date:
    today = now_utc().astimezone(ZoneInfo("Asia/Taipei")).date()
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo("Asia/Taipei")).astimezone(dt.timezone.utc)


def _month_of_work(server) -> dt.date:
    """Last month at harbour: agent late on the 3rd, early on the 4th, absent on the 5th, and
    2 hours without a duty on the 6th; agent2 on another department's duty on the 3rd."""
    from core.actors import Actor
    from core.entities.models import Site
    from core.identity.models import User
    from plugins.rostering import attendance

    first = _last_month()
    days = [first + dt.timedelta(days=n) for n in (2, 3, 4, 5)]
    for day in days[:3]:
        duty(server, "agent", _at(day, 9), break_minutes=60)
    duty(server, "agent2", _at(days[0], 9), department="other")

    async def work():
        site, user = await Site.get(code=SITE), await User.get(username="agent")
        actor = Actor(user=user, site=site)
        for clock_in, clock_out in ((_at(days[0], 9, 12), _at(days[0], 17)), (_at(days[1], 8, 55), _at(days[1], 16, 30)),
                                    (_at(days[3], 10), _at(days[3], 12))):
            await attendance.clock_in(site, user, actor, now=clock_in)
            await attendance.clock_out(site, user, actor, now=clock_out)

    server.call(work)
    return first


def test_the_sheet_counts_late_early_absent_and_hours(server, sup, user_ids):
    first = _month_of_work(server)
    month = first.strftime("%Y-%m")
    sheet = sup.get(f"{API}/sheet", params={"month": month, "user_id": user_ids["agent"]})
    assert sheet.status_code == 200, sheet.text
    data = sheet.json()
    assert data["month"] == month and data["from"] == first.isoformat()
    [person] = data["people"]
    rows = person["rows"]
    assert [row["day"][-2:] for row in rows] == ["03", "04", "05", "06"]
    assert [(row["late_minutes"], row["early_minutes"], row["worked_minutes"], row["absent"]) for row in rows] == [
        (12, 0, 468 - 60, False), (0, 30, 455 - 60, False), (0, 0, 0, True), (0, 0, 120, False)]
    assert rows[0]["clock_in"] == f"{first.strftime('%Y-%m')}-03 09:12" and rows[0]["duty_hours"] == "09:00-17:00"
    assert rows[3]["duty_id"] is None and rows[3]["shift"] == ""
    assert person["totals"] == {"duties": 3, "days_worked": 3, "late": 1, "late_minutes": 12, "early": 1,
                                "early_minutes": 30, "absences": 1, "worked_minutes": 923, "hours": "15.38"}


def test_the_sheet_of_a_department_keeps_to_its_rosters(server, sup, user_ids):
    month = _month_of_work(server).strftime("%Y-%m")
    everyone = sup.get(f"{API}/sheet", params={"month": month}).json()
    assert {person["user_id"] for person in everyone["people"]} == {user_ids["agent"], user_ids["agent2"]}
    assert everyone["totals"]["duties"] == 4
    department = sup.get(f"{API}/sheet", params={"month": month, "department": "atd"}).json()
    [person] = department["people"]
    # agent's department is "service": their hours without a duty belong to no roster of "atd".
    assert person["totals"]["duties"] == 3 and len(person["rows"]) == 3
    assert department["totals"]["worked_minutes"] == 408 + 395


def test_the_sheet_exports_as_csv_and_xlsx(server, sup):
    from openpyxl import load_workbook

    month = _month_of_work(server).strftime("%Y-%m")
    got = sup.get(f"{API}/sheet", params={"month": month, "department": "atd", "format": "csv"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert f"attendance-{SITE}-{month}.csv" in got.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    detail = [line for line in lines if len(line) == 10 and line[1].startswith(month)]
    assert [(line[6], line[7], line[8], line[9]) for line in detail] == [
        ("12", "0", "6.80", ""), ("0", "30", "6.58", ""), ("0", "0", "0.00", "yes")]
    book = load_workbook(io.BytesIO(sup.get(f"{API}/sheet", params={"month": month, "department": "atd",
                                                                      "format": "xlsx"}).content))
    rows_sheet, totals_sheet = book.worksheets
    values = list(rows_sheet.iter_rows(values_only=True))
    assert values[0][0] == "Person" and len(values) == 4 and values[1][6] == 12
    totals = list(totals_sheet.iter_rows(values_only=True))
    assert totals[1][2:] == (3, 2, 1, 12, 1, 30, 1, "13.38")  # worked the 3rd and 4th


def test_a_bad_month_is_422_naming_month(server, sup):
    for month in ("2026-13", "12-2026", "2026-1", "x"):
        refused = sup.get(f"{API}/sheet", params={"month": month})
        assert refused.status_code == 422 and fields(refused) == ["month"], month


def test_staff_see_only_their_own_attendance(server, agent, user_ids):
    other = server.api_client("agent2")
    theirs = other.post(f"{API}/clock-in").json()
    agent.post(f"{API}/clock-in")
    assert agent.get(f"{API}/sheet", params={"user_id": user_ids["agent2"]}).status_code == 403
    own = agent.get(f"{API}/sheet").json()
    assert [person["user_id"] for person in own["people"]] == [user_ids["agent"]]
    assert agent.get(API, params={"user_id": user_ids["agent2"]}).status_code == 403
    assert {item["user_id"] for item in agent.get(API).json()["items"]} == {user_ids["agent"]}
    assert agent.get(f"{API}/{theirs['id']}").status_code == 404
    assert other.get(f"{API}/{theirs['id']}").status_code == 200


def test_signing_in_on_the_page_or_the_api_clocks_in_during_a_duty(server, user_ids):
    duty_id = duty(server, "agent", now_utc() - dt.timedelta(minutes=2))
    server.sign_in("agent")
    sup = server.api_client("supervisor")
    [record] = sup.get(API, params={"user_id": user_ids["agent"]}).json()["items"]
    assert (record["duty_id"], record["clock_in_source"], record["late_minutes"]) == (duty_id, "sign_in", 0)
    server.api_client("agent")  # a token sign-in while clocked in: nothing more
    assert len(sup.get(API, params={"user_id": user_ids["agent"]}).json()["items"]) == 1
    server.api_client("agent2")  # no duty: not clocked in
    assert sup.get(API, params={"user_id": user_ids["agent2"]}).json()["items"] == []
