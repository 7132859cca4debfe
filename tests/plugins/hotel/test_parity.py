"""The room page's forms and the hotel API do the same: same live events, tasks, audit entries, rows."""

from tests.plugins.hotel.conftest import BASE, find_room

PAGES = "/sites/lotus/hotel"


def _room(code: str, **match):
    return lambda server: find_room(server.api_client("frontdesk"), code, **match)


def test_housekeeping_marks_a_dirty_room_clean(parity):
    footprint = parity.check(
        "housekeeper", prepare=_room("VD"),
        api=lambda room: ("POST", f"{BASE}/rooms/{room['id']}/housekeeping", {"status": "clean", "version": room["version"]}),
        page=lambda room: (f"{PAGES}/rooms/{room['id']}/housekeeping", {"status": "clean", "version": str(room["version"])}))
    assert "hotel.room.changed" in footprint.events


def test_check_in_and_check_out(parity):
    parity.check(
        "frontdesk", prepare=_room("VC"),
        api=lambda room: ("POST", f"{BASE}/rooms/{room['id']}/check-in", {"guest_name": "Ms Chen", "version": room["version"]}),
        page=lambda room: (f"{PAGES}/rooms/{room['id']}/check-in", {"guest_name": "Ms Chen", "version": str(room["version"])}))
    footprint = parity.check(
        "frontdesk", prepare=_room("OD"),
        api=lambda room: ("POST", f"{BASE}/rooms/{room['id']}/check-out", {"version": room["version"]}),
        page=lambda room: (f"{PAGES}/rooms/{room['id']}/check-out", {"version": str(room["version"]), "confirmed": "1"}))
    assert "hotel.room.changed" in footprint.events


def test_a_housekeeper_marking_a_room_inspected_is_refused_the_same_way(demo_server):
    """The rule lives in the service (``actor.can("hotel.room.inspect")``), so the room
    page refuses what the API refuses, with the same message, and the room stays clean."""
    hk, desk = demo_server.api_client("housekeeper"), demo_server.api_client("frontdesk")
    room = find_room(desk, "VC")
    refused = hk.post(f"{BASE}/rooms/{room['id']}/housekeeping", json={"status": "inspected", "version": room["version"]})
    assert refused.status_code == 403
    message = refused.json()["detail"]
    browser = demo_server.sign_in("housekeeper")
    page = browser.form_post(f"{PAGES}/rooms/{room['id']}/housekeeping",
                             {"status": "inspected", "version": str(room["version"])})
    assert page.status_code == 403 and message in page.text
    after = desk.get(f"{BASE}/rooms/{room['id']}").json()
    assert after["code"] == "VC" and after["version"] == room["version"]
