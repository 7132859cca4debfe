"""A room's state drives the tasks about it, and the task page shows the room."""

from tests.plugins.hotel.conftest import BASE, find_room

TASKS = "/api/v1/sites/lotus/tasks"


def _departure_task(client, room):
    tasks = client.get(TASKS, params={"type": "hotel.departure_clean", "limit": 200}).json()["items"]
    return next(t for t in tasks if t["subject"] == {"plugin": "hotel", "kind": "room", "id": room["id"]}
                and t["status"] not in ("closed", "cancelled"))


def test_cleaning_the_room_resolves_its_task_and_inspecting_closes_it(desk, hk, sup):
    room = find_room(desk, occupancy="occupied", service="in_service")
    vacated = desk.post(f"{BASE}/rooms/{room['id']}/check-out", json={"version": room["version"]}).json()
    task = _departure_task(desk, room)
    assert task["status"] == "open" and task["unit_id"] == room["unit_id"]
    url = f"{BASE}/rooms/{room['id']}/housekeeping"
    cleaned = hk.post(url, json={"status": "clean", "version": vacated["version"]})
    assert cleaned.status_code == 200 and cleaned.json()["code"] == "VC"
    task = desk.get(f"{TASKS}/{task['id']}").json()
    assert task["status"] == "resolved"
    steps = [(e["from_status"], e["to_status"]) for e in desk.get(f"{TASKS}/{task['id']}/events").json()
             if e["kind"] == "transitioned"]
    assert steps == [("open", "in_progress"), ("in_progress", "resolved")]  # every step recorded
    inspected = sup.post(url, json={"status": "inspected", "version": cleaned.json()["version"]})
    assert inspected.status_code == 200 and inspected.json()["code"] == "VI"
    assert desk.get(f"{TASKS}/{task['id']}").json()["status"] == "closed"


def test_the_room_board_refuses_what_the_task_rules_refuse(demo_server, desk, hk):
    """Marking the room clean drives its departure task through the same guards: a site
    that wants the hygiene entry first refuses the clean, and nothing changes."""
    from core.entities.models import Site

    async def require_hygiene():
        site = await Site.get(code="lotus")
        site.settings = {**(site.settings or {}), "hotel": {**(site.settings or {}).get("hotel", {}),
                                                           "hygiene_required_for_departure": True}}
        await site.save(update_fields=["settings"])

    demo_server.call(require_hygiene)
    room = find_room(desk, occupancy="occupied", service="in_service", floor=9)  # no hygiene entry yet
    vacated = desk.post(f"{BASE}/rooms/{room['id']}/check-out", json={"version": room["version"]}).json()
    refused = hk.post(f"{BASE}/rooms/{room['id']}/housekeeping", json={"status": "clean", "version": vacated["version"]})
    assert refused.status_code == 409 and "hygiene" in refused.json()["detail"]
    assert hk.get(f"{BASE}/rooms/{room['id']}").json()["code"] == "VD"
    assert _departure_task(desk, room)["status"] == "open"


def test_the_task_page_shows_its_room_and_the_room_page_its_tasks(demo_server, desk):
    room = find_room(desk, occupancy="occupied", service="in_service")
    desk.post(f"{BASE}/rooms/{room['id']}/check-out", json={"version": room["version"]})
    task = _departure_task(desk, room)
    page = demo_server.sign_in("hotelsup")
    task_page = page.get(f"/sites/lotus/tasks/{task['id']}").text
    assert f'href="/sites/lotus/hotel/rooms/{room["id"]}"' in task_page
    assert 'class="hotel-big-code code-VD"' in task_page
    room_page = page.get(f"/sites/lotus/hotel/rooms/{room['id']}").text
    assert f'/sites/lotus/tasks/{task["id"]}' in room_page
