"""Shared helpers of the rostering tests: a clean slate (the demo's rosters removed), shift
patterns and rosters made through the API, days on the site's clock."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.clock import local_today, utcnow

API = "/api/v1/sites/{site}/rostering"
PAGES = "/sites/{site}/rostering"


def api(site: str) -> str:
    return API.format(site=site)


def pages(site: str) -> str:
    return PAGES.format(site=site)


async def _clear():
    from plugins.rostering.models import Attendance, Duty, LeaveRequest, Roster, ShiftPattern, SwapRequest

    await SwapRequest.all().delete()
    await LeaveRequest.all().delete()
    await Attendance.all().delete()
    await Duty.all().delete()
    await Roster.all().delete()
    await ShiftPattern.all().delete()


@pytest.fixture
def fresh(demo_server):
    """The demo without its rosters, shifts, requests and attendance: tests draw their own."""
    demo_server.call(_clear)
    return demo_server


def today(demo_server, site: str = "lotus") -> dt.date:
    from core.entities.models import Site

    return local_today(demo_server.call(lambda: Site.get(code=site)))


def make_shift(client, site: str = "lotus", **fields) -> dict:
    body = {"department": "housekeeping", "code": "E", "name": "早班", "start": "07:00", "end": "15:00"}
    body.update(fields)
    response = client.post(f"{api(site)}/shifts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def make_roster(client, starts_on: dt.date, days: int = 7, site: str = "lotus",
                department: str = "housekeeping") -> dict:
    response = client.post(f"{api(site)}/rosters", json={
        "department": department, "starts_on": starts_on.isoformat(),
        "ends_on": (starts_on + dt.timedelta(days=days - 1)).isoformat()})
    assert response.status_code == 201, response.text
    return response.json()


def add_duty(client, roster: dict, user_id: int, shift: dict, day: dt.date, site: str = "lotus") -> dict:
    response = client.post(f"{api(site)}/rosters/{roster['id']}/duties",
                           json={"user_id": user_id, "shift_id": shift["id"], "day": day.isoformat()})
    assert response.status_code == 201, response.text
    return response.json()


def publish(client, roster_id: int, site: str = "lotus") -> dict:
    current = client.get(f"{api(site)}/rosters/{roster_id}").json()
    response = client.post(f"{api(site)}/rosters/{roster_id}/publish", json={"version": current["version"]})
    assert response.status_code == 200, response.text
    return response.json()


def clock_in(demo_server, username: str, site: str = "lotus", at: dt.datetime | None = None) -> None:
    """An open clock-in written directly (the attendance service is another area's)."""
    from core.entities.models import Site
    from core.identity.models import User
    from plugins.rostering.models import Attendance

    async def write():
        user = await User.get(username=username)
        place = await Site.get(code=site)
        await Attendance.create(site_id=place.id, user_id=user.id, clock_in_at=at or utcnow())

    demo_server.call(write)


@pytest.fixture
def hotelsup(fresh):
    return fresh.api_client("hotelsup")


@pytest.fixture
def on_shift_now(fresh, hotelsup, user_ids):
    """A housekeeping shift around now (site clock) with housekeeper on it, published, and a
    later shift with housekeeper2: (shift now, later shift, roster)."""
    from core.entities.models import Site

    site = fresh.call(lambda: Site.get(code="lotus"))
    local_now = utcnow().astimezone(ZoneInfo(site.timezone))
    start = (local_now - dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    if start.date() != local_now.date():  # just after midnight: start the shift at 00:00 today
        start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + dt.timedelta(hours=4)
    later_start = start + dt.timedelta(hours=5)
    now_shift = make_shift(hotelsup, code="NOW", name="Now shift", start=start.strftime("%H:%M"),
                           end=end.strftime("%H:%M"))
    later = make_shift(hotelsup, code="LATER", name="Later shift", start=later_start.strftime("%H:%M"),
                       end=(later_start + dt.timedelta(hours=3)).strftime("%H:%M"))
    day = local_now.date()
    roster = make_roster(hotelsup, day - dt.timedelta(days=1), days=7)
    add_duty(hotelsup, roster, user_ids["housekeeper"], now_shift, day)
    add_duty(hotelsup, roster, user_ids["housekeeper2"], later, later_start.date())
    publish(hotelsup, roster["id"])
    return now_shift, later, roster
