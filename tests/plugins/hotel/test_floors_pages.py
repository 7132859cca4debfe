"""The floors' pages (issue 17): DND / service refused from the room page and on the board,
"my rooms", the damage reports list, the work report and the sections page; in three languages."""

from tests.plugins.hotel.conftest import BASE, find_room

PAGES = "/sites/lotus/hotel"


def test_room_page_sets_do_not_disturb_and_the_board_shows_it(demo_server):
    hk = demo_server.sign_in("housekeeper")
    api = demo_server.api_client("frontdesk")
    room = find_room(api, occupancy="occupied", service="in_service", section="A")
    page = hk.get(f"{PAGES}/rooms/{room['id']}")
    assert page.status_code == 200 and "Sign on the door" in page.text
    done = hk.form_post(f"{PAGES}/rooms/{room['id']}/do-not-disturb", {"on": "1", "version": room["version"]})
    assert done.status_code == 303
    assert api.get(f"{BASE}/rooms/{room['id']}").json()["do_not_disturb"] is True
    page = hk.get(f"{PAGES}/rooms/{room['id']}")
    assert "Take the sign down" in page.text and "The cleaning clock is stopped." in page.text
    board = hk.get(f"{PAGES}/").text
    tile = board[board.index(f'data-room-id="{room["id"]}"'):]
    tile = tile[:tile.index("</a>")]
    assert 'data-flags="d"' in tile and "Do not disturb" in tile
    stale = hk.form_post(f"{PAGES}/rooms/{room['id']}/service-refused", {"on": "1", "version": room["version"]})
    assert stale.status_code == 409 and "Someone changed room" in stale.text
    vacant = find_room(api, occupancy="vacant", service="in_service")
    refused = hk.form_post(f"{PAGES}/rooms/{vacant['id']}/do-not-disturb", {"on": "1", "version": vacant["version"]})
    assert refused.status_code == 409 and "vacant" in refused.text
    hant = demo_server.sign_in("housekeeper", headers={"Accept-Language": "zh-Hant"})
    assert "請勿打擾" in hant.get(f"{PAGES}/rooms/{room['id']}").text
    hans = demo_server.sign_in("housekeeper", headers={"Accept-Language": "zh-Hans"})
    assert "请勿打扰" in hans.get(f"{PAGES}/rooms/{room['id']}").text


def test_my_rooms_is_a_housekeepers_default_board(demo_server):
    hk = demo_server.sign_in("housekeeper")  # section A: floors 2 to 5
    mine = hk.get(f"{PAGES}/").text
    assert "My rooms" in mine and "Show all rooms" in mine
    assert "Floor 3" in mine and "Floor 7" not in mine
    every = hk.get(f"{PAGES}/", params={"all": "1"}).text
    assert "Floor 7" in every and "Floor 3" in every
    desk = demo_server.sign_in("frontdesk")  # no section: the whole board, no toggle
    board = desk.get(f"{PAGES}/").text
    assert "Floor 7" in board and "My rooms" not in board


def test_damage_page_filters_and_bad_dates(demo_server):
    api = demo_server.api_client("housekeeper")
    room = find_room(api, service="in_service", floor=8)
    api.post(f"{BASE}/damage-reports", json={"room_id": room["id"], "description": "Cracked mirror"})
    sup = demo_server.sign_in("hotelsup")
    page = sup.get(f"{PAGES}/damage", params={"room": room["number"]})
    assert page.status_code == 200 and "Cracked mirror" in page.text
    other = find_room(api, service="in_service", floor=2)
    assert "Cracked mirror" not in sup.get(f"{PAGES}/damage", params={"room": other["number"]}).text
    assert "Cracked mirror" not in sup.get(f"{PAGES}/damage", params={"status": "closed"}).text
    bad = sup.get(f"{PAGES}/damage", params={"from": "31/12/2026"})
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
    backwards = sup.get(f"{PAGES}/damage", params={"from": "2026-12-02", "to": "2026-12-01"})
    assert backwards.status_code == 422 and "before the start date" in backwards.text
    unknown = sup.get(f"{PAGES}/damage", params={"room": "nope"})
    assert unknown.status_code == 422 and "No room nope" in unknown.text


def test_work_report_page(demo_server):
    sup = demo_server.sign_in("hotelsup")
    page = sup.get(f"{PAGES}/work-report")
    assert page.status_code == 200 and "Rooms cleaned" in page.text and "format=csv" in page.text
    assert sup.get(f"{PAGES}/work-report", params={"date": "someday"}).status_code == 422
    # A floor (or an attendant) no room can have: the form again with the message, not a 500.
    long_floor = sup.get(f"{PAGES}/work-report", params={"floor": "9" * 18})
    assert long_floor.status_code == 422 and "No floor" in long_floor.text
    big_id = sup.get(f"{PAGES}/work-report", params={"attendant": "9" * 18})
    assert big_id.status_code == 422 and "No attendant" in big_id.text
    assert demo_server.sign_in("housekeeper").get(f"{PAGES}/work-report").status_code == 403
    hant = demo_server.sign_in("hotelsup", headers={"Accept-Language": "zh-Hant"})
    assert hant.get(f"{PAGES}/work-report").status_code == 200  # its words: the translations the report lists


def test_sections_page_assigns(demo_server, user_ids):
    sup = demo_server.sign_in("hotelsup")
    page = sup.get(f"{PAGES}/sections")
    assert page.status_code == 200 and 'name="sections" value="B"' in page.text
    api = demo_server.api_client("hotelsup")
    person = next(p for p in api.get(f"{BASE}/sections").json()["attendants"] if p["id"] == user_ids["housekeeper"])
    done = sup.form_post(f"{PAGES}/sections", {"user_id": person["id"], "version": person["version"],
                                               "sections": ["A", "B"]})
    assert done.status_code == 303
    person = next(p for p in api.get(f"{BASE}/sections").json()["attendants"] if p["id"] == user_ids["housekeeper"])
    assert person["sections"] == ["A", "B"]
    stale = sup.form_post(f"{PAGES}/sections", {"user_id": person["id"], "version": person["version"] - 1,
                                                "sections": ["A"]})
    assert stale.status_code == 409
    hk = demo_server.sign_in("housekeeper")
    assert hk.get(f"{PAGES}/sections").status_code == 200
    assert hk.form_post(f"{PAGES}/sections", {"user_id": person["id"], "sections": ["A"]}).status_code == 403
