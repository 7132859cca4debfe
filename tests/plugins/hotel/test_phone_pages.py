"""The floors' page forms in-process (both databases): the task sheet's done tick and the
board's selection of several rooms. The browser side is test_phone_browser.py."""

from tests.plugins.hotel.conftest import BASE
from tests.plugins.hotel.test_phone_browser import my_sheet_rows

PAGES = "/sites/lotus/hotel"


def test_sheet_done_marks_the_room_clean_and_the_sheet_says_done(demo_server):
    hk = demo_server.sign_in("housekeeper")
    api = demo_server.api_client("housekeeper")
    task, room = my_sheet_rows(api)[0]
    sheet = hk.get(f"{PAGES}/sheet")
    assert f'data-sheet-done="{task["id"]}"' in sheet.text and 'class="tick"' in sheet.text
    done = hk.form_post(f"{PAGES}/sheet/done", {"task": task["id"], "version": room["version"], "assignee": "7"})
    assert done.status_code == 303 and done.headers["location"] == f"{PAGES}/sheet?assignee=7"
    assert api.get(f"{BASE}/rooms/{room['id']}").json()["housekeeping"] == "clean"
    assert api.get(f"/api/v1/sites/lotus/tasks/{task['id']}").json()["status"] == "resolved"
    assert f'data-sheet-finished="{task["id"]}"' in hk.get(f"{PAGES}/sheet").text


def test_sheet_done_refuses_a_stale_room_and_a_task_without_one(demo_server):
    hk = demo_server.sign_in("housekeeper")
    api = demo_server.api_client("housekeeper")
    task, room = my_sheet_rows(api)[0]
    assert api.post(f"{BASE}/rooms/{room['id']}/housekeeping",
                    json={"status": "pickup", "version": room["version"]}).status_code == 200
    stale = hk.form_post(f"{PAGES}/sheet/done", {"task": task["id"], "version": room["version"]})
    assert stale.status_code == 409 and f"Someone changed room {room['number']}" in stale.text
    assert api.get(f"/api/v1/sites/lotus/tasks/{task['id']}").json()["status"] != "resolved"
    no_room = hk.form_post(f"{PAGES}/sheet/done", {"task": 999999, "version": 1})
    assert no_room.status_code == 422 and "finished on its own page" in no_room.text
    broken = hk.form_post(f"{PAGES}/sheet/done", {"task": "x", "version": 1})
    assert broken.status_code == 422


def test_board_selection_sets_several_rooms_and_lists_the_refused(demo_server):
    sup = demo_server.sign_in("hotelsup")
    api = demo_server.api_client("hotelsup")
    first, second, third = [r for r in api.get(f"{BASE}/board").json()["rooms"] if r["code"] == "VD"][:3]
    board = sup.get(f"{PAGES}/", params={"select": "1", "floor": first["floor"]})
    assert 'form="hotel-bulk"' in board.text and f'value="{first["id"]}:{first["version"]}"' in board.text
    assert '<option value="inspected">' in board.text and '<option value="out_of_order">' in board.text
    done = sup.form_post(f"{PAGES}/rooms/status", {"status": "clean", "back": f"floor={first['floor']}&select=1",
                                                   "room": [f"{first['id']}:{first['version']}",
                                                            f"{second['id']}:{second['version']}"]})
    assert done.status_code == 303 and done.headers["location"] == f"{PAGES}/?floor={first['floor']}"
    assert {api.get(f"{BASE}/rooms/{r['id']}").json()["code"] for r in (first, second)} == {"VC"}
    # one stale room: the others change, the page names it and stays in selection
    refused = sup.form_post(f"{PAGES}/rooms/status", {"status": "inspected", "room": [
        f"{first['id']}:{first['version'] + 1}", f"{second['id']}:{second['version']}"]})
    assert refused.status_code == 409 and f"Someone changed room {second['number']}" in refused.text
    assert 'id="hotel-bulk"' in refused.text
    assert api.get(f"{BASE}/rooms/{first['id']}").json()["code"] == "VI"
    nothing = sup.form_post(f"{PAGES}/rooms/status", {"status": "clean"})
    assert nothing.status_code == 422 and "Choose at least one room." in nothing.text
    damaged = sup.form_post(f"{PAGES}/rooms/status", {"status": "clean", "room": f"{third['id']}"})
    assert damaged.status_code == 422
    assert api.get(f"{BASE}/rooms/{third['id']}").json()["version"] == third["version"]


def test_selection_is_offered_only_to_who_may_change_rooms(demo_server):
    desk = demo_server.sign_in("frontdesk")
    assert "select=1" not in desk.get(f"{PAGES}/").text
    assert 'id="hotel-bulk"' not in desk.get(f"{PAGES}/", params={"select": "1"}).text
    hk = demo_server.sign_in("housekeeper")
    offered = hk.get(f"{PAGES}/", params={"select": "1"}).text
    assert 'id="hotel-bulk"' in offered and '<option value="inspected">' not in offered
    assert '<option value="out_of_order">' not in offered
