"""Check-out is never one click (issue 22): the page asks first and lists the guest's open
requests and the room's repairs; the API refuses the same check-out with a 409 listing them
(``open_items``) unless ``acknowledge`` is given. A room with nothing open checks out with
``{version}`` as before."""

from plugins.hotel.models import Room
from plugins.hotel.services import departure_items
from tests.plugins.hotel.conftest import BASE

PAGES = "/sites/lotus/hotel"


def _occupied_rooms(desk):
    return [room for room in desk.get(f"{BASE}/board").json()["rooms"] if room["occupancy"] == "occupied"
            and room["service"] == "in_service"]


def _open_items(demo_server, room_id):
    async def items():
        room = await Room.get(id=room_id).prefetch_related("site")
        return await departure_items(room.site, room)
    return demo_server.call(items)


def _room_with_nothing_open(demo_server, desk, skip=()):
    return next(room for room in _occupied_rooms(desk)
                if room["id"] not in skip and not _open_items(demo_server, room["id"]))


def test_api_check_out_with_an_open_request_is_a_409_listing_it_until_acknowledged(demo_server, desk):
    room = _room_with_nothing_open(demo_server, desk)
    made = desk.post(f"{BASE}/guest-requests", json={"room_id": room["id"], "title": "Two more towels"})
    assert made.status_code == 201, made.text
    refused = desk.post(f"{BASE}/rooms/{room['id']}/check-out", json={"version": room["version"]})
    assert refused.status_code == 409
    body = refused.json()
    assert [item["title"] for item in body["open_items"]] == ["Two more towels"]
    assert body["open_items"][0]["type"] == "hotel.guest_request" and body["open_items"][0]["url"].endswith(
        f"/tasks/{made.json()['id']}")
    assert desk.get(f"{BASE}/rooms/{room['id']}").json()["occupancy"] == "occupied"  # nothing changed
    done = desk.post(f"{BASE}/rooms/{room['id']}/check-out", json={"version": room["version"], "acknowledge": True})
    assert done.status_code == 200 and done.json()["occupancy"] == "vacant"


def test_api_check_out_without_open_items_keeps_the_old_contract(demo_server, desk):
    room = _room_with_nothing_open(demo_server, desk)
    done = desk.post(f"{BASE}/rooms/{room['id']}/check-out", json={"version": room["version"]})
    assert done.status_code == 200 and done.json()["code"] == "VD"


def test_damage_reported_at_the_room_is_listed_too(demo_server, desk):
    room = _room_with_nothing_open(demo_server, desk)
    reported = demo_server.api_client("frontdesk").post(f"{BASE}/damage-reports",
                                                        json={"room_id": room["id"], "description": "Broken lamp"})
    assert reported.status_code == 201, reported.text
    version = desk.get(f"{BASE}/rooms/{room['id']}").json()["version"]
    refused = desk.post(f"{BASE}/rooms/{room['id']}/check-out", json={"version": version})
    assert refused.status_code == 409 and [item["type"] for item in refused.json()["open_items"]] == ["hotel.maintenance"]


def test_the_page_asks_first_and_lists_what_is_open(demo_server, desk):
    room = _room_with_nothing_open(demo_server, desk)
    desk.post(f"{BASE}/guest-requests", json={"room_id": room["id"], "title": "Late breakfast"})
    browser = demo_server.sign_in("frontdesk")
    page = browser.get(f"{PAGES}/rooms/{room['id']}").text
    # the room page's button only opens the confirmation (a GET): one click cannot check out
    assert f'<form method="get" action="{PAGES}/rooms/{room["id"]}/check-out">' in page
    confirm = browser.get(f"{PAGES}/rooms/{room['id']}/check-out")
    assert confirm.status_code == 200 and 'id="check-out-confirm"' in confirm.text
    items = confirm.text.split("data-departure-items>", 1)[1].split("</ul>", 1)[0]
    assert "Late breakfast" in items and "Guest request" in items
    assert 'name="acknowledge" value="1" required' in confirm.text
    url = f"{PAGES}/rooms/{room['id']}/check-out"
    version = str(room["version"])
    unconfirmed = browser.form_post(url, {"version": version})  # an old page's one-click form
    assert unconfirmed.status_code == 409 and "Confirm the check-out of room" in unconfirmed.text
    assert 'id="check-out-confirm"' in unconfirmed.text
    unacknowledged = browser.form_post(url, {"version": version, "confirmed": "1"})
    assert unacknowledged.status_code == 409 and "has open requests or repairs" in unacknowledged.text
    assert "Late breakfast" in unacknowledged.text  # the confirmation again, with the list
    assert desk.get(f"{BASE}/rooms/{room['id']}").json()["occupancy"] == "occupied"
    done = browser.form_post(url, {"version": version, "confirmed": "1", "acknowledge": "1"})
    assert done.status_code == 303
    assert desk.get(f"{BASE}/rooms/{room['id']}").json()["occupancy"] == "vacant"


def test_a_room_with_nothing_open_says_so_and_checks_out_on_confirmation(demo_server, desk):
    room = _room_with_nothing_open(demo_server, desk)
    browser = demo_server.sign_in("frontdesk")
    confirm = browser.get(f"{PAGES}/rooms/{room['id']}/check-out").text
    assert "No open requests or repairs at this room." in confirm and 'name="acknowledge"' not in confirm
    done = browser.form_post(f"{PAGES}/rooms/{room['id']}/check-out", {"version": str(room["version"]), "confirmed": "1"})
    assert done.status_code == 303
