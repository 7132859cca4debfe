"""Rooms and their statuses through the API: codes, roles, check-in/out, service, history."""

from plugins.hotel.services import discrepancy_kind, room_code
from tests.plugins.hotel.conftest import BASE, find_room


def test_room_code_combines_the_three_statuses():
    assert room_code("vacant", "clean", "in_service") == "VC"
    assert room_code("vacant", "dirty", "in_service") == "VD"
    assert room_code("vacant", "pickup", "in_service") == "VP"
    assert room_code("vacant", "inspected", "in_service") == "VI"
    assert room_code("occupied", "clean", "in_service") == "OC"
    assert room_code("occupied", "dirty", "in_service") == "OD"
    assert room_code("occupied", "pickup", "in_service") == "OP"
    assert room_code("occupied", "inspected", "in_service") == "OI"
    assert room_code("occupied", "clean", "out_of_order") == "OOO"
    assert room_code("vacant", "clean", "out_of_service") == "OOS"


def test_discrepancy_kinds():
    assert discrepancy_kind("occupied", "vacant") == "skip"
    assert discrepancy_kind("vacant", "occupied") == "sleep"
    assert discrepancy_kind("vacant", "vacant") is None
    assert discrepancy_kind("vacant", None) is None


def test_board_has_demo_rooms_and_counts(desk):
    board = desk.get(f"{BASE}/board").json()
    assert len(board["rooms"]) >= 160
    assert len({room["floor"] for room in board["rooms"]}) >= 8
    assert sum(board["counts"].values()) == len(board["rooms"])
    assert set(board["counts"]) == {"VC", "VD", "VP", "VI", "OC", "OD", "OP", "OI", "OOO", "OOS"}
    assert sum(1 for n in board["counts"].values() if n) >= 5  # mixed states
    floor = desk.get(f"{BASE}/board", params={"floor": 3, "code": "OD"}).json()
    assert all(room["floor"] == 3 and room["code"] == "OD" for room in floor["rooms"])
    listed = desk.get(f"{BASE}/rooms", params={"floor": 2}).json()
    assert listed["items"] and all(room["floor"] == 2 for room in listed["items"])
    assert desk.get(f"{BASE}/rooms", params={"code": "XX"}).status_code == 422


def test_housekeepers_see_no_guest_names(desk, hk):
    occupied = find_room(desk, "OD") if any(r["code"] == "OD" for r in desk.get(f"{BASE}/board").json()["rooms"]) \
        else find_room(desk, occupancy="occupied")
    assert occupied["guest_name"]
    seen = hk.get(f"{BASE}/rooms/{occupied['id']}").json()
    assert seen["guest_name"] is None and seen["number"] == occupied["number"]
    assert all("guest_name" not in room for room in hk.get(f"{BASE}/board").json()["rooms"])


def test_housekeeping_status_and_inspection_only_by_supervisor(desk, hk, sup):
    room = find_room(desk, "VD")
    url = f"{BASE}/rooms/{room['id']}/housekeeping"
    done = hk.post(url, json={"status": "clean", "version": room["version"]})
    assert done.status_code == 200, done.text
    assert done.json()["code"] == "VC" and done.json()["version"] == room["version"] + 1
    refused = hk.post(url, json={"status": "inspected", "version": done.json()["version"]})
    assert refused.status_code == 403
    assert desk.post(url, json={"status": "clean", "version": done.json()["version"]}).status_code == 403
    inspected = sup.post(url, json={"status": "inspected", "version": done.json()["version"]})
    assert inspected.status_code == 200 and inspected.json()["code"] == "VI"
    assert hk.post(url, json={"status": "shiny", "version": 1}).json()["errors"][0]["field"] == "status"
    history = desk.get(f"{BASE}/rooms/{room['id']}/history").json()
    assert [event["code"] for event in history][-2:] == ["VC", "VI"]
    assert history[-1]["actor_id"] is not None and history[-1]["from_code"] == "VC"


def test_stale_version_one_wins_other_gets_409_with_current(hk, demo_server):
    room = find_room(hk, "VD")
    other = demo_server.api_client("housekeeper2")
    url = f"{BASE}/rooms/{room['id']}/housekeeping"
    first = hk.post(url, json={"status": "pickup", "version": room["version"]})
    second = other.post(url, json={"status": "clean", "version": room["version"]})
    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["current"]["housekeeping"] == "pickup"
    assert second.json()["current"]["version"] == room["version"] + 1


def test_check_in_only_into_ready_rooms(desk, sup):
    dirty = find_room(desk, "VD")
    refused = desk.post(f"{BASE}/rooms/{dirty['id']}/check-in", json={"guest_name": "Ann", "version": dirty["version"]})
    assert refused.status_code == 409 and refused.json()["current"]["code"] == "VD"
    ooo = find_room(desk, "OOO")
    assert desk.post(f"{BASE}/rooms/{ooo['id']}/check-in",
                     json={"guest_name": "Ann", "version": ooo["version"]}).status_code == 409
    occupied = find_room(desk, occupancy="occupied")
    assert desk.post(f"{BASE}/rooms/{occupied['id']}/check-in",
                     json={"guest_name": "Ann", "version": occupied["version"]}).status_code == 409
    clean = find_room(desk, "VC")
    no_name = desk.post(f"{BASE}/rooms/{clean['id']}/check-in", json={"version": clean["version"]})
    assert no_name.status_code == 422 and no_name.json()["errors"][0]["field"] == "guest_name"
    done = desk.post(f"{BASE}/rooms/{clean['id']}/check-in", json={"guest_name": "Ann Lee", "version": clean["version"]})
    assert done.status_code == 200, done.text
    assert done.json()["code"] == "OC" and done.json()["guest_name"] == "Ann Lee"
    hk = sup  # a supervisor may see names too
    assert hk.get(f"{BASE}/rooms/{clean['id']}").json()["guest_name"] == "Ann Lee"


def test_inspection_required_setting(desk, demo_server):
    from core.entities.models import Site

    async def require():
        site = await Site.get(code="lotus")
        site.settings = {**site.settings, "hotel": {**site.settings.get("hotel", {}), "inspection_required": True}}
        await site.save()

    demo_server.call(require)
    clean = find_room(desk, "VC")
    refused = desk.post(f"{BASE}/rooms/{clean['id']}/check-in", json={"guest_name": "Bo", "version": clean["version"]})
    assert refused.status_code == 409 and "inspected" in refused.json()["detail"]
    inspected = find_room(desk, "VI")
    assert desk.post(f"{BASE}/rooms/{inspected['id']}/check-in",
                     json={"guest_name": "Bo", "version": inspected["version"]}).status_code == 200


def test_check_out_makes_vacant_dirty_and_a_departure_task(desk, user_ids):
    room = find_room(desk, occupancy="occupied", service="in_service")
    done = desk.post(f"{BASE}/rooms/{room['id']}/check-out", json={"version": room["version"]})
    assert done.status_code == 200, done.text
    assert done.json()["code"] == "VD" and done.json()["guest_name"] is None
    tasks = desk.get("/api/v1/sites/lotus/tasks", params={"type": "hotel.departure_clean"}).json()["items"]
    mine = [task for task in tasks if task["unit_id"] == room["unit_id"]]
    assert mine and mine[0]["status"] == "open"
    section_owner = "housekeeper" if room["section"] == "A" else "housekeeper2"
    assert mine[0]["assignee_id"] == user_ids[section_owner]
    again = desk.post(f"{BASE}/rooms/{room['id']}/check-out", json={"version": done.json()["version"]})
    assert again.status_code == 409


def test_finishing_the_clean_makes_the_room_clean(desk, demo_server):
    room = find_room(desk, occupancy="occupied", service="in_service")
    desk.post(f"{BASE}/rooms/{room['id']}/check-out", json={"version": room["version"]})
    tasks = desk.get("/api/v1/sites/lotus/tasks", params={"type": "hotel.departure_clean"}).json()["items"]
    task = next(t for t in tasks if t["unit_id"] == room["unit_id"] and t["status"] == "open")
    attendant = demo_server.api_client("housekeeper" if room["section"] == "A" else "housekeeper2")
    url = f"/api/v1/sites/lotus/tasks/{task['id']}/transition"
    step = attendant.post(url, json={"to": "in_progress", "version": task["version"]})
    assert step.status_code == 200, step.text
    step = attendant.post(url, json={"to": "resolved", "version": step.json()["version"]})
    assert step.status_code == 200, step.text
    assert desk.get(f"{BASE}/rooms/{room['id']}").json()["code"] == "VC"


def test_service_needs_supervisor_and_reason(desk, sup, hk):
    room = find_room(desk, "VC")
    url = f"{BASE}/rooms/{room['id']}/service"
    assert hk.post(url, json={"service": "out_of_order", "reason": "x", "version": room["version"]}).status_code == 403
    no_reason = sup.post(url, json={"service": "out_of_order", "version": room["version"]})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    out = sup.post(url, json={"service": "out_of_order", "reason": "Broken window", "until": "2099-01-01",
                              "version": room["version"]})
    assert out.status_code == 200
    assert out.json()["code"] == "OOO" and out.json()["out_of_service"] == {"reason": "Broken window",
                                                                             "until": "2099-01-01"}
    back = sup.post(url, json={"service": "in_service", "reason": "Fixed", "version": out.json()["version"]})
    assert back.json()["code"] == "VC" and back.json()["out_of_service"] is None


def test_unknown_room_and_other_site_are_404(desk, demo_server):
    assert desk.get(f"{BASE}/rooms/999999").status_code == 404
    assert demo_server.api_client("housekeeper").post(f"{BASE}/rooms/999999/housekeeping", json={"status": "clean", "version": 1}).status_code == 404
    admin = demo_server.api_client("admin")
    room = find_room(admin)
    assert admin.get(f"/api/v1/sites/harbour/hotel/rooms/{room['id']}").status_code == 404
    agent = demo_server.api_client("agent")
    assert agent.get(f"{BASE}/board").status_code == 404


def test_observed_discrepancies(desk, hk):
    listed = desk.get(f"{BASE}/discrepancies").json()
    assert {item["kind"] for item in listed} == {"sleep", "skip"}  # demo has one of each
    room = find_room(desk, "VC")
    seen = hk.post(f"{BASE}/rooms/{room['id']}/observed", json={"occupancy": "occupied"})
    assert seen.status_code == 200
    listed = desk.get(f"{BASE}/discrepancies").json()
    mine = [item for item in listed if item["room_id"] == room["id"]]
    assert mine == [{"room_id": room["id"], "number": room["number"], "floor": room["floor"],
                     "front_desk": "vacant", "housekeeping": "occupied", "kind": "sleep",
                     "observed_at": mine[0]["observed_at"]}]
    assert desk.post(f"{BASE}/rooms/{room['id']}/observed", json={"occupancy": "vacant"}).status_code == 403


def test_damage_report_creates_task_and_takes_room_out(hk, desk):
    room = find_room(desk, "VC")
    made = hk.post(f"{BASE}/damage-reports", json={"room_id": room["id"], "description": "TV does not turn on",
                                                   "take_out_of_order": True})
    assert made.status_code == 201, made.text
    task = desk.get(f"/api/v1/sites/lotus/tasks/{made.json()['task_id']}").json()
    assert task["type"] == "hotel.maintenance" and task["unit_id"] == room["unit_id"]
    assert desk.get(f"{BASE}/rooms/{room['id']}").json()["code"] == "OOO"
    plain = hk.post(f"{BASE}/damage-reports", json={"room_id": room["id"], "description": "Scratch on desk"})
    assert plain.status_code == 201
    empty = hk.post(f"{BASE}/damage-reports", json={"room_id": room["id"], "description": "   "})
    assert empty.status_code == 422
    assert hk.post(f"{BASE}/damage-reports", json={"room_id": 999999, "description": "x"}).status_code == 404


def test_night_audit_makes_occupied_rooms_dirty_once(sup, desk, demo_server):
    before = desk.get(f"{BASE}/board").json()["rooms"]
    occupied = [r for r in before if r["occupancy"] == "occupied" and r["service"] == "in_service"]
    ran = sup.post(f"{BASE}/night-audit", json={"business_date": "2030-01-02"})
    assert ran.status_code == 200 and ran.json()["rooms"] == len(occupied)
    after = {r["id"]: r for r in desk.get(f"{BASE}/board").json()["rooms"]}
    assert all(after[r["id"]]["housekeeping"] == "dirty" for r in occupied)
    tasks = desk.get("/api/v1/sites/lotus/tasks", params={"type": "hotel.stay_over", "limit": 200}).json()["items"]
    assert {r["unit_id"] for r in occupied} <= {t["unit_id"] for t in tasks}
    assert sup.post(f"{BASE}/night-audit", json={"business_date": "2030-01-02"}).json()["rooms"] == 0
    assert desk.post(f"{BASE}/night-audit", json={}).status_code == 403


def test_board_as_it_was(desk, hk, clock):
    import time

    room = find_room(desk, "VD")
    clock.shift(60)
    moment = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    clock.shift(60)
    hk.post(f"{BASE}/rooms/{room['id']}/housekeeping", json={"status": "clean", "version": room["version"]})
    past = {r["id"]: r for r in desk.get(f"{BASE}/board", params={"at": moment}).json()["rooms"]}
    assert past[room["id"]]["code"] == "VD"
    assert desk.get(f"{BASE}/board").json()["counts"] != desk.get(f"{BASE}/board", params={"at": moment}).json()["counts"]
