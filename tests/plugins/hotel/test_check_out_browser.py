"""Check-out in a real browser (issue 22): the button asks first, the confirmation lists
the guest's open request, the check-out needs it acknowledged, and Cancel leaves the guest in."""

import pytest

pytestmark = pytest.mark.browser

BASE = "/api/v1/sites/lotus/hotel"


def test_check_out_asks_lists_open_requests_and_needs_them_acknowledged(browser_as, live_demo_server):
    desk = live_demo_server.api_client("frontdesk")
    room = next(room for room in desk.get(f"{BASE}/board").json()["rooms"]
                if room["occupancy"] == "occupied" and room["service"] == "in_service")
    made = desk.post(f"{BASE}/guest-requests", json={"room_id": room["id"], "title": "Iron and board"})
    assert made.status_code == 201, made.text
    page = browser_as("frontdesk")
    page.goto(f"/sites/lotus/hotel/rooms/{room['id']}")
    page.click("#check-out")
    page.wait_for_url(lambda url: f"/rooms/{room['id']}/check-out" in url)
    assert desk.get(f"{BASE}/rooms/{room['id']}").json()["occupancy"] == "occupied"  # one click did not check out
    confirm = page.locator("#check-out-confirm")
    assert "Iron and board" in confirm.locator("[data-departure-items]").inner_text()
    # Cancel: back to the room, the guest still in
    confirm.get_by_role("link", name="Cancel").click()
    page.wait_for_url(f"**/rooms/{room['id']}")
    page.click("#check-out")
    page.wait_for_selector("#check-out-confirm")
    # Without the acknowledgement the browser does not send the form (the box is required)
    page.click("#check-out-confirm button[type=submit]")
    assert f"/rooms/{room['id']}/check-out" in page.url
    assert page.locator("#check-out-confirm [name=acknowledge]").evaluate("box => !box.validity.valid")
    assert desk.get(f"{BASE}/rooms/{room['id']}").json()["occupancy"] == "occupied"
    page.check("#check-out-confirm [name=acknowledge]")
    page.click("#check-out-confirm button[type=submit]")
    page.wait_for_url(f"**/rooms/{room['id']}")
    assert desk.get(f"{BASE}/rooms/{room['id']}").json()["occupancy"] == "vacant"
