"""The hotel pages through real HTTP, signed in with a session."""

from core.identity.models import User
from tests.plugins.hotel.conftest import BASE, find_room

PAGES = "/sites/lotus/hotel"


def test_board_page_shows_tiles_by_floor_with_counts(demo_server):
    desk = demo_server.sign_in("frontdesk")
    page = desk.get(f"{PAGES}/")
    assert page.status_code == 200
    assert page.text.count('class="hotel-tile code-') >= 160
    assert 'data-count="VC"' in page.text and "Floor 9" in page.text
    filtered = desk.get(f"{PAGES}/", params={"floor": 3, "code": "VD"})
    assert 'data-room-id' in filtered.text and "Floor 9" not in filtered.text
    assert filtered.text.count('class="hotel-tile code-VD"') == filtered.text.count('class="hotel-tile code-')


def test_room_page_actions_and_errors(demo_server):
    hk = demo_server.sign_in("housekeeper")
    api = demo_server.api_client("frontdesk")
    room = find_room(api, "VD")
    page = hk.get(f"{PAGES}/rooms/{room['id']}")
    assert page.status_code == 200 and "Inspected" not in page.text
    done = hk.form_post(f"{PAGES}/rooms/{room['id']}/housekeeping", {"status": "clean", "version": room["version"]})
    assert done.status_code == 303
    assert api.get(f"{BASE}/rooms/{room['id']}").json()["code"] == "VC"
    stale = hk.form_post(f"{PAGES}/rooms/{room['id']}/housekeeping", {"status": "dirty", "version": room["version"]})
    assert stale.status_code == 409 and "Someone changed room" in stale.text
    refused = hk.form_post(f"{PAGES}/rooms/{room['id']}/check-in", {"guest_name": "X", "version": room["version"] + 1})
    assert refused.status_code == 403
    no_csrf = hk.post(f"{PAGES}/rooms/{room['id']}/housekeeping", data={"status": "dirty", "version": 1})
    assert no_csrf.status_code == 403


def test_other_pages_render(demo_server):
    sup = demo_server.sign_in("hotelsup")
    for path in ("sheet", "discrepancies", "stock", "hygiene", "import"):
        assert sup.get(f"{PAGES}/{path}").status_code == 200, path
    hk = demo_server.sign_in("housekeeper")
    sheet = hk.get(f"{PAGES}/sheet")
    assert sheet.status_code == 200 and "Departure clean" in sheet.text
    assert hk.get(f"{PAGES}/import").status_code == 403
    below = sup.form_post(f"{PAGES}/stock", {"item_id": "1", "kind": "out", "quantity": "999999",
                                              "location": "Main store"})
    assert below.status_code == 409 and "below zero" in below.text
    alert = below.text.split('<div class="form-errors" role="alert">', 1)[1].split("</div>", 1)[0]
    assert "below zero" in alert  # the one error display, on top of the form
    assert 'value="999999"' in below.text and 'value="Main store"' in below.text  # what was typed is kept
    assert '<option value="out" selected>' in below.text
    report = sup.form_post(f"{PAGES}/import", {"csv": "number,floor\n1301,13\n,13\n", "apply": "1"})
    assert report.status_code == 422 and "1 with errors" in report.text.replace("\n", " ")


def test_a_disabled_attendant_is_offered_on_neither_the_board_nor_the_sheet(demo_server):
    sup = demo_server.sign_in("hotelsup")
    zhou = demo_server.call(lambda: User.get(username="housekeeper2"))
    for path in ("", "sheet"):
        assert f'<option value="{zhou.id}">{zhou.display_name}</option>' in sup.get(f"{PAGES}/{path}").text, path
    demo_server.call(lambda: User.filter(id=zhou.id).update(is_active=False))
    for path in ("", "sheet"):
        assert f'<option value="{zhou.id}">{zhou.display_name}</option>' not in sup.get(f"{PAGES}/{path}").text, path


def test_a_rooms_history_names_its_changes_not_their_codes(demo_server):
    sup = demo_server.sign_in("hotelsup")
    room = find_room(demo_server.api_client("hotelsup"))
    history = sup.get(f"{PAGES}/rooms/{room['id']}").text.split("<tbody>")[-1]
    assert "(Created)" in history and "(created)" not in history
