"""The floors on a phone (issue 22), in headless Chromium at 360 px: every page a
housekeeper or floor supervisor uses fits the screen (tables become cards), the task
sheet's targets are finger-sized and its done box ticks, a filtered board drops a room
that stops matching and recounts, the room page and the task sheet update live, and the
board's selection changes several rooms at once."""

import pytest

from tests.plugins.hotel.conftest import BASE, find_room

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


def on_phone(browser_as, username):
    page = browser_as(username)
    page.set_viewport_size(PHONE)
    return page


def my_sheet_rows(api):
    """The housekeeper's open hotel tasks about a room, as the sheet lists them."""
    me = api.get("/api/v1/me").json()
    tasks = api.get("/api/v1/sites/lotus/tasks", params={"assignee_id": me["id"], "limit": 200}).json()["items"]
    rooms = {room["unit_id"]: room for room in api.get(f"{BASE}/board").json()["rooms"]}
    return [(task, rooms[task["unit_id"]]) for task in tasks
            if task["type"] in ("hotel.departure_clean", "hotel.stay_over", "hotel.pickup")
            and task["status"] not in ("resolved", "closed", "cancelled") and task["unit_id"] in rooms]


def test_floor_pages_fit_a_360_px_phone(browser_as, live_demo_server):
    room = find_room(live_demo_server.api_client("hotelsup"), "OD")
    pages = {
        "housekeeper": ["/sites/lotus/hotel/", "/sites/lotus/hotel/?select=1", f"/sites/lotus/hotel/rooms/{room['id']}",
                        "/sites/lotus/hotel/sheet", "/sites/lotus/hotel/hygiene", "/sites/lotus/hotel/stock",
                        "/sites/lotus/hotel/damage", "/sites/lotus/hotel/requests",
                        "/sites/lotus/hotel/discrepancies", "/sites/lotus/my-work"],
        "hotelsup": ["/sites/lotus/hotel/", "/sites/lotus/hotel/sheet", "/sites/lotus/board",
                     "/sites/lotus/cashier/review", "/sites/lotus/hotel/work-report", "/sites/lotus/my-work"],
    }
    too_wide = []
    for username, urls in pages.items():
        page = on_phone(browser_as, username)
        for url in urls:
            response = page.goto(url)
            assert response.status == 200, url
            if not page.evaluate(FITS):
                too_wide.append((username, url, page.evaluate("() => document.documentElement.scrollWidth")))
    assert too_wide == []


def test_task_sheet_targets_are_44_px_and_done_ticks(browser_as, live_demo_server):
    api = live_demo_server.api_client("housekeeper")
    task, room = my_sheet_rows(api)[0]
    page = on_phone(browser_as, "housekeeper")
    page.goto("/sites/lotus/hotel/sheet")
    small = page.evaluate("""() => Array.from(document.querySelectorAll(
        '.hotel-sheet a, .hotel-sheet button, .hotel-sheet label.tick'))
      .map(el => el.getBoundingClientRect()).filter(r => r.width > 0)
      .filter(r => r.height < 44 || r.width < 44).length""")
    assert small == 0
    box = page.locator(f'[data-sheet-done="{task["id"]}"]')
    # The tick submits (click, not check(): the page it lands on has the row done, no box).
    box.click()
    page.wait_for_selector(f'[data-sheet-finished="{task["id"]}"]')  # the row now says done
    assert page.evaluate(FITS)
    now = api.get(f"{BASE}/rooms/{room['id']}").json()
    assert now["housekeeping"] == "clean" and now["version"] > room["version"]
    assert api.get(f"/api/v1/sites/lotus/tasks/{task['id']}").json()["status"] == "resolved"


def test_filtered_board_drops_a_room_that_stops_matching_and_recounts(browser_as, live_demo_server):
    page = on_phone(browser_as, "hotelsup")
    page.goto("/sites/lotus/hotel/?code=VD")
    page.wait_for_selector("[data-hotel-board][data-live-connected]")
    shown = page.locator(".hotel-tile:visible").count()
    assert shown > 1
    assert page.text_content("[data-board-shown]").strip().startswith(f"{shown} ")
    api = live_demo_server.api_client("hotelsup")
    room = find_room(api, "VD")
    tile = page.locator(f'[data-room-id="{room["id"]}"]')
    assert tile.is_visible()
    changed = api.post(f"{BASE}/rooms/{room['id']}/housekeeping", json={"status": "clean", "version": room["version"]})
    assert changed.status_code == 200
    tile.wait_for(state="hidden", timeout=3000)
    assert page.locator(".hotel-tile:visible").count() == shown - 1
    assert page.text_content("[data-board-shown]").strip().startswith(f"{shown - 1} ")


def test_room_page_and_task_sheet_update_live(browser_as, live_demo_server):
    api = live_demo_server.api_client("hotelsup")
    (task, room), (other_task, other_room) = my_sheet_rows(live_demo_server.api_client("housekeeper"))[:2]
    room_page = on_phone(browser_as, "housekeeper")
    room_page.goto(f"/sites/lotus/hotel/rooms/{room['id']}")
    room_page.wait_for_selector("[data-live-region][data-live-connected]")
    sheet = on_phone(browser_as, "housekeeper")
    sheet.goto("/sites/lotus/hotel/sheet")
    sheet.wait_for_selector("[data-live-region][data-live-connected]")
    for page in (room_page, sheet):
        page.evaluate("() => (window.__notReloaded = true)")
    assert sheet.locator(f'[data-sheet-done="{other_task["id"]}"]').count() == 1
    # the supervisor sets the room to pick-up: the room page shows the new code
    moved = api.post(f"{BASE}/rooms/{room['id']}/housekeeping", json={"status": "pickup", "version": room["version"]})
    assert moved.status_code == 200
    room_page.wait_for_selector(f"[data-room-code]:has-text('{moved.json()['code']}')", timeout=3000)
    # another room cleaned elsewhere: its row on the sheet says done (its task is resolved)
    cleaned = api.post(f"{BASE}/rooms/{other_room['id']}/housekeeping",
                       json={"status": "clean", "version": other_room["version"]})
    assert cleaned.status_code == 200
    sheet.wait_for_selector(f'[data-sheet-finished="{other_task["id"]}"]', timeout=3000)
    # the room page heard it too, and let it pass: another room (data-live-match)
    room_page.wait_for_timeout(800)
    assert room_page.get_attribute("[data-live-region]", "data-live-refreshed") == "1"
    for page in (room_page, sheet):
        assert page.evaluate("() => window.__notReloaded") is True


def test_board_selection_changes_several_rooms(browser_as, live_demo_server):
    api = live_demo_server.api_client("hotelsup")
    *dirty, gone = [room for room in api.get(f"{BASE}/board").json()["rooms"] if room["code"] == "VD"][:3]
    page = on_phone(browser_as, "hotelsup")
    page.goto("/sites/lotus/hotel/?select=1&code=VD")
    page.wait_for_selector("[data-hotel-board][data-live-connected]")
    for room in (*dirty, gone):
        page.locator(f'[data-room-id="{room["id"]}"] [data-bulk-room]').check()
    # a ticked room changed elsewhere leaves the filter, and the selection with it
    assert api.post(f"{BASE}/rooms/{gone['id']}/housekeeping",
                    json={"status": "pickup", "version": gone["version"]}).status_code == 200
    page.locator(f'[data-room-id="{gone["id"]}"]').wait_for(state="hidden", timeout=3000)
    assert not page.locator(f'[data-room-id="{gone["id"]}"] [data-bulk-room]').is_checked()
    page.select_option("#bulk-status", "clean")
    page.click("#hotel-bulk button[type=submit]")
    page.wait_for_url(lambda url: "select=1" not in url)
    for room in dirty:
        assert api.get(f"{BASE}/rooms/{room['id']}").json()["code"] == "VC"
    assert api.get(f"{BASE}/rooms/{gone['id']}").json()["code"] == "VP"  # not cleaned out of sight
    assert page.locator(f'[data-room-id="{dirty[0]["id"]}"]').count() == 0  # the board still shows VD only


def test_my_work_and_the_cashier_review_update_live(browser_as, live_demo_server):
    import uuid

    my_work = on_phone(browser_as, "housekeeper")
    my_work.goto("/sites/lotus/my-work")
    review = on_phone(browser_as, "hotelsup")
    review.goto("/sites/lotus/cashier/review")
    for page in (my_work, review):
        page.wait_for_selector("[data-live-region][data-live-connected]")
        page.evaluate("() => (window.__notReloaded = true)")
    sup = live_demo_server.api_client("hotelsup")
    housekeeper = live_demo_server.api_client("housekeeper").get("/api/v1/me").json()
    created = sup.post("/api/v1/sites/lotus/tasks", json={"type": "core.general", "title": "Refill the ice machine",
                                                          "assignee_id": housekeeper["id"]})
    assert created.status_code == 201, created.text
    my_work.wait_for_selector("text=Refill the ice machine", timeout=3000)
    cashier = live_demo_server.api_client("cashier2")
    cash = "/api/v1/sites/lotus/cashier"

    def post(url, body):
        return cashier.post(cash + url, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})

    shift = post("/shifts", {"register_id": 3, "opening_count": {"1000": 2}})
    assert shift.status_code == 201, shift.text
    closed = post(f"/shifts/{shift.json()['id']}/close", {"counted": {"1000": 1}, "float_left": "0",
                                                         "version": shift.json()["version"]})
    assert closed.status_code == 200 and closed.json()["status"] == "pending_review"
    review.wait_for_selector(f"#review-queue a[href$='/shifts/{shift.json()['id']}']", timeout=3000)
    for page in (my_work, review):
        assert page.evaluate(FITS)
        assert page.evaluate("() => window.__notReloaded") is True
