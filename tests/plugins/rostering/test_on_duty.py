"""On-duty assignment: with assign_only_on_duty on, balanced assignment and the hotel's
choice of an attendant pick only people rostered (and clocked in) now, leave departments
without a roster alone, and nothing changes with the setting off or the plugin disabled."""

import datetime as dt

import pytest

from core.clock import utcnow
from tests.plugins.hotel.conftest import BASE as HOTEL, find_room
from tests.plugins.rostering.conftest import add_duty, clock_in, make_roster, make_shift, today

TASKS = "/api/v1/sites/lotus/tasks"


def set_rostering(server, **values):
    admin = server.api_client("admin")
    body = admin.get("/api/v1/sites/lotus/settings").json()
    changed = admin.patch("/api/v1/sites/lotus/settings", json={"version": body["version"],
                                                                  "values": {"rostering": values}})
    assert changed.status_code == 200, changed.text


async def _park_tasks():
    from core.tasks.models import Task

    await Task.all().update(is_open=False, status="closed", assignee_id=None)


@pytest.fixture
def lotus(fresh, user_ids):
    """The demo without rosters or open tasks, on-duty assignment on, housekeeper busier
    than housekeeper2 (so plain balance would choose housekeeper2)."""
    fresh.call(_park_tasks)
    set_rostering(fresh, assign_only_on_duty=True, on_duty_requires_clock_in=True)
    sup = fresh.api_client("hotelsup")
    for number in range(3):
        pickup(sup, assignee_id=user_ids["housekeeper"], title=f"Busy {number}")
    return fresh


def pickup(client, **fields):
    response = client.post(TASKS, json={"type": "hotel.pickup", "title": "Pick-up clean", **fields})
    assert response.status_code == 201, response.text
    return response.json()


def departure_clean(client):
    """Check out a guest in section B (housekeeper2's, by the hotel's own routing) and
    return the departure clean it made."""
    room = find_room(client, occupancy="occupied", service="in_service", section="B")
    checked_out = client.post(f"{HOTEL}/rooms/{room['id']}/check-out", json={"version": room["version"]})
    assert checked_out.status_code == 200, checked_out.text
    tasks = client.get(TASKS, params={"type": "hotel.departure_clean", "limit": 200}).json()["items"]
    return next(t for t in tasks if t["subject"] == {"plugin": "hotel", "kind": "room", "id": room["id"]}
                and t["status"] not in ("closed", "cancelled"))


def test_only_the_attendant_on_duty_and_clocked_in_receives_cleaning(lotus, on_shift_now, user_ids):
    clock_in(lotus, "housekeeper")
    sup = lotus.api_client("hotelsup")
    assert pickup(sup, assign="balanced")["assignee_id"] == user_ids["housekeeper"]
    assert departure_clean(sup)["assignee_id"] == user_ids["housekeeper"]


def test_the_same_without_the_setting_goes_by_plain_balance(lotus, on_shift_now, user_ids):
    clock_in(lotus, "housekeeper")
    set_rostering(lotus, assign_only_on_duty=False)
    sup = lotus.api_client("hotelsup")
    assert pickup(sup, assign="balanced")["assignee_id"] == user_ids["housekeeper2"]
    assert departure_clean(sup)["assignee_id"] == user_ids["housekeeper2"]


def test_nobody_on_duty_leaves_the_task_unassigned_with_the_reason(lotus, on_shift_now):
    """Rostered but not clocked in, while the site requires a clock-in: nobody is on duty."""
    sup = lotus.api_client("hotelsup")
    task = pickup(sup, assign="balanced")
    assert task["assignee_id"] is None
    kinds = [event["kind"] for event in sup.get(f"{TASKS}/{task['id']}/events").json()]
    assert "unassigned" in kinds
    assert departure_clean(sup)["assignee_id"] is None


def test_rostered_is_enough_when_no_clock_in_is_required(lotus, on_shift_now, user_ids):
    set_rostering(lotus, on_duty_requires_clock_in=False)
    sup = lotus.api_client("hotelsup")
    assert pickup(sup, assign="balanced")["assignee_id"] == user_ids["housekeeper"]


def test_a_clock_in_left_open_since_yesterday_does_not_count(lotus, on_shift_now):
    clock_in(lotus, "housekeeper", at=utcnow() - dt.timedelta(hours=20))
    assert pickup(lotus.api_client("hotelsup"), assign="balanced")["assignee_id"] is None


def test_a_draft_roster_narrows_nobody(lotus, user_ids):
    sup = lotus.api_client("hotelsup")
    shift = make_shift(sup, start="00:00", end="23:59")
    roster = make_roster(sup, today(lotus))  # drawn, never published
    add_duty(sup, roster, user_ids["housekeeper"], shift, today(lotus))
    assert pickup(sup, assign="balanced")["assignee_id"] == user_ids["housekeeper2"]


async def _eligible(candidates, at=None):
    from core.entities.models import Site
    from plugins.rostering.on_duty import eligible

    return await eligible(await Site.get(code="lotus"), candidates, at)


def test_departments_without_a_roster_and_people_without_a_department_are_not_narrowed(lotus, on_shift_now,
                                                                                      user_ids):
    """Housekeeping is rostered today: only housekeeper (clocked in) of its people; the
    front desk has no roster and stays whole, as does a user without a department."""
    clock_in(lotus, "housekeeper")
    names = ("housekeeper", "housekeeper2", "frontdesk", "hotelsup", "manager")
    answer = lotus.call(_eligible, [user_ids[name] for name in names])
    assert answer == [user_ids[name] for name in ("housekeeper", "frontdesk", "hotelsup", "manager")]
    # Nobody of a rostered department among the candidates: no opinion at all.
    assert lotus.call(_eligible, [user_ids["frontdesk"], user_ids["hotelsup"]]) is None
    # After the shift ends, housekeeper is off duty (the roster still covers the day).
    later = utcnow() + dt.timedelta(hours=6)
    assert lotus.call(_eligible, [user_ids["housekeeper"], user_ids["frontdesk"]], later) == [user_ids["frontdesk"]]


def test_a_department_without_a_roster_keeps_balanced_assignment(lotus):
    """The front desk draws no roster: a general task at the hotel is still assigned."""
    sup = lotus.api_client("hotelsup")
    created = sup.post(TASKS, json={"type": "core.general", "title": "Call back", "assign": "balanced"})
    assert created.status_code == 201 and created.json()["assignee_id"] is not None


def test_with_the_plugin_disabled_everything_else_works_as_before(make_demo_app, user_ids):
    """The demo's rosters stay in the database and the site asks for on-duty assignment,
    but without the plugin nobody narrows: balanced assignment reaches the staff, and the
    rostering routes are gone."""
    server = make_demo_app(disabled_plugins=["rostering"])
    server.call(_park_tasks)

    async def ask_on_duty():
        from core.entities.models import Site

        site = await Site.get(code="lotus")
        site.settings = {**site.settings, "rostering": {"assign_only_on_duty": True}}
        await site.save(update_fields=["settings"])

    server.call(ask_on_duty)
    sup = server.api_client("hotelsup")
    assert pickup(sup, assign="balanced")["assignee_id"] in (user_ids["housekeeper"], user_ids["housekeeper2"])
    assert departure_clean(sup)["assignee_id"] == user_ids["housekeeper2"]
    assert sup.get("/api/v1/sites/lotus/rostering/rosters").status_code == 404
    assert server.sign_in("hotelsup").get("/sites/lotus/rostering/").status_code == 404
