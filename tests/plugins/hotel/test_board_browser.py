"""The live board in headless Chromium: a change made elsewhere shows without reload."""

import pytest

from tests.plugins.hotel.conftest import BASE, find_room

pytestmark = pytest.mark.browser


def test_change_through_api_appears_on_open_boards(browser_as, live_demo_server):
    desk_page = browser_as("frontdesk")
    hk_page = browser_as("housekeeper")
    for page in (desk_page, hk_page):
        page.goto("/sites/lotus/hotel/")
        page.wait_for_selector("[data-hotel-board][data-live-connected]")
    api = live_demo_server.api_client("housekeeper")
    room = find_room(api, "VD", section="A")  # the housekeeper's board shows her section (A) by default
    tile = f'[data-room-id="{room["id"]}"]'
    count_before = int(desk_page.text_content('[data-count="VC"]'))
    marker = desk_page.evaluate("() => (window.__notReloaded = true)")
    assert marker
    changed = api.post(f"{BASE}/rooms/{room['id']}/housekeeping", json={"status": "clean", "version": room["version"]})
    assert changed.status_code == 200
    for page in (desk_page, hk_page):
        page.wait_for_selector(f"{tile}.code-VC", timeout=2000)
        assert page.text_content(f"{tile} [data-code-text]") == "VC"
    assert int(desk_page.text_content('[data-count="VC"]')) == count_before + 1
    assert desk_page.evaluate("() => window.__notReloaded") is True


def test_change_on_one_board_appears_on_the_other(browser_as, live_demo_server):
    sup_page = browser_as("hotelsup")
    desk_page = browser_as("frontdesk")
    desk_page.goto("/sites/lotus/hotel/")
    desk_page.wait_for_selector("[data-hotel-board][data-live-connected]")
    room = find_room(live_demo_server.api_client("hotelsup"), "VC")
    sup_page.goto(f"/sites/lotus/hotel/rooms/{room['id']}")
    sup_page.click("button[name=status][value=inspected]")
    sup_page.wait_for_selector("[data-room-code]:has-text('VI')")
    desk_page.wait_for_selector(f'[data-room-id="{room["id"]}"].code-VI', timeout=2000)
    # keyboard: arrow keys move between tiles
    desk_page.focus(".hotel-tile")
    first = desk_page.evaluate("() => document.activeElement.dataset.roomId")
    desk_page.keyboard.press("ArrowRight")
    assert desk_page.evaluate("() => document.activeElement.dataset.roomId") != first
