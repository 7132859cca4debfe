"""The rostering demo: three months of rosters at the three demo sites that break no rule,
attendance, certificates, requests, and on-duty assignment left off so the demo's staff
receive tasks at any hour."""

import datetime as dt

from core.clock import local_today, utcnow


async def _rosters():
    from core.entities.models import Site
    from plugins.rostering.models import Roster

    found = {}
    for site in await Site.filter(code__in=["harbour", "lotus", "sunrise"]):
        today = local_today(site)
        rows = await Roster.filter(site_id=site.id).order_by("department", "starts_on").values(
            "department", "starts_on", "ends_on", "status")
        found[site.code] = (today, rows)
    return found


def test_each_site_has_this_month_published_and_the_next_drawn(demo_server):
    found = demo_server.call(_rosters)
    departments = {"harbour": {"service"}, "lotus": {"front_desk", "housekeeping", "cashier"}, "sunrise": {"calls"}}
    for code, (today, rows) in found.items():
        assert {row["department"] for row in rows} == departments[code]
        first = today.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        for department in departments[code]:
            mine = {row["starts_on"]: row for row in rows if row["department"] == department}
            this = mine[first]
            assert this["status"] == "published" and this["ends_on"] == following - dt.timedelta(days=1)
            assert mine[following]["status"] == "draft"
            assert len(mine) == 3  # and last month's, published, for the attendance history


async def _every_conflict():
    from core.entities.models import Site
    from plugins.rostering import rules
    from plugins.rostering.models import Duty

    conflicts, count = [], 0
    sites = {site.id: site for site in await Site.all()}
    for duty in await Duty.all().select_related("user", "shift").order_by("id"):
        count += 1
        found = await rules.duty_conflicts(sites[duty.site_id], duty.user, duty.shift, duty.day, ignore=[duty.id])
        conflicts += [(duty.user.username, duty.day, duty.shift.code, message) for _, message in found]
        assert (duty.starts_at, duty.ends_at) == rules.shift_times(sites[duty.site_id], duty.shift, duty.day)
    return count, conflicts


def test_the_demo_duties_break_no_rule(demo_server):
    count, conflicts = demo_server.call(_every_conflict)
    assert count > 500  # three months of five sites' departments
    assert conflicts == []


async def _records():
    from core.entities.models import Site
    from core.identity.models import User
    from plugins.rostering.models import Attendance, Certificate, Duty, LeaveRequest, SwapRequest
    from plugins.rostering.site_settings import setting

    lotus = await Site.get(code="lotus")
    users = dict(await User.all().values_list("username", "id"))
    certificates = {c.user_id: c for c in await Certificate.filter(site_id=lotus.id, kind="health")}
    swap = await SwapRequest.get(site_id=lotus.id)
    given, taken = await Duty.get(id=swap.duty_id), await Duty.get(id=swap.colleague_duty_id)
    return {
        "off": [setting(site, "assign_only_on_duty") for site in await Site.all()],
        "health": {username: certificates[users[username]].expires_on for username in ("housekeeper", "housekeeper2")},
        "today": local_today(lotus),
        "late": await Attendance.filter(late_minutes__gt=0).count(),
        "worked": await Attendance.filter(clock_out_at__not_isnull=True).count(),
        "future": await Attendance.filter(clock_in_at__gt=utcnow()).count(),
        "leave": await LeaveRequest.filter(status="requested").count(),
        "swap": (swap.status, given.user_id == users["housekeeper"], taken.user_id == users["housekeeper2"],
                 given.day == taken.day, swap.snapshot["duty"]["id"] == given.id),
    }


def test_demo_records_and_on_duty_assignment_off(demo_server):
    found = demo_server.call(_records)
    assert found["off"] == [False, False, False]
    assert found["health"]["housekeeper2"] == found["today"] + dt.timedelta(days=20)  # its reminder shows
    assert found["health"]["housekeeper"] > found["today"] + dt.timedelta(days=60)
    assert found["late"] > 0 and found["worked"] > 100 and found["future"] == 0
    assert found["leave"] == 2
    assert found["swap"] == ("accepted", True, True, True, True)


def test_the_demo_staff_receive_tasks_at_any_hour(demo_server):
    """With the demo's rosters in place, balanced assignment still reaches the staff
    (assign_only_on_duty is off at the demo sites)."""
    sup = demo_server.api_client("hotelsup")
    created = sup.post("/api/v1/sites/lotus/tasks", json={"type": "core.general", "title": "Demo check",
                                                          "assign": "balanced"})
    assert created.status_code == 201, created.text
    assert created.json()["assignee_id"] is not None
