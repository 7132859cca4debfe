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
        page=lambda room: (f"{PAGES}/rooms/{room['id']}/check-out", {"version": str(room["version"])}))
    assert "hotel.room.changed" in footprint.events
