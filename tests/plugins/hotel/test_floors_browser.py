"""The live board in headless Chromium: do-not-disturb set elsewhere shows on the tile."""

import pytest

from tests.plugins.hotel.conftest import BASE, find_room

pytestmark = pytest.mark.browser


def test_do_not_disturb_appears_on_open_boards(browser_as, live_demo_server):
    desk_page = browser_as("frontdesk")
    desk_page.goto("/sites/lotus/hotel/")
    desk_page.wait_for_selector("[data-hotel-board][data-live-connected]")
    api = live_demo_server.api_client("housekeeper")
    room = find_room(api, occupancy="occupied", service="in_service")
    tile = f'[data-room-id="{room["id"]}"]'
    assert desk_page.get_attribute(tile, "data-flags") == ""
    changed = api.post(f"{BASE}/rooms/{room['id']}/do-not-disturb", json={"on": True, "version": room["version"]})
    assert changed.status_code == 200
    desk_page.wait_for_selector(f'{tile}[data-flags="d"]', timeout=3000)
    assert "Do not disturb" in desk_page.text_content(tile)
