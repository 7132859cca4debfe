"""Guest requests go to an attendant of the room's section, and name rooms by number.

In the demo, rooms on floors 2-5 are section A (``housekeeper`` has the skill
``section:A``), floors 6-9 section B (``housekeeper2``)."""

from tests.plugins.hotel.conftest import BASE

REQUESTS = f"{BASE}/guest-requests"
TASKS = "/api/v1/sites/lotus/tasks"
PAGES = "/sites/lotus/hotel"


def _ids(server, *usernames):
    from core.identity.models import User

    async def read():
        return {u.username: u.id for u in await User.filter(username__in=list(usernames))}

    return server.call(read)


def _open_hotel_tasks(server, user_id):
    from core.tasks.models import Task

    async def count():
        return await Task.filter(assignee_id=user_id, is_open=True, type__startswith="hotel.").count()

    return server.call(count)


def _make_busier(server, busy: str, idle: str) -> None:
    """Give ``busy`` more open hotel tasks than ``idle``: plain balanced assignment would
    then pick ``idle``."""
    from core.tasks.models import Task

    ids = _ids(server, busy, idle)
    extra = _open_hotel_tasks(server, ids[idle]) - _open_hotel_tasks(server, ids[busy]) + 3

    async def pile_up():
        from core.entities.models import Site

        site = await Site.get(code="lotus")
        for number in range(max(extra, 0)):
            await Task.create(site_id=site.id, type="hotel.pickup", title=f"Extra {number}", status="open",
                              priority="normal", assignee_id=ids[busy])

    server.call(pile_up)


def _events(client, task_id, kind):
    return [e for e in client.get(f"{TASKS}/{task_id}/events").json() if e["kind"] == kind]


def _task_count(server):
    from core.tasks.models import Task

    async def count():
        return await Task.all().count()

    return server.call(count)


def test_room_204_in_section_a_goes_to_the_section_a_attendant_every_time(demo_server, desk, sup):
    """The reported case: room 204 (section A) went to the section-B attendant twice,
    because she had fewer open tasks. Now both requests go to section A's attendant."""
    ids = _ids(demo_server, "housekeeper", "housekeeper2")
    _make_busier(demo_server, "housekeeper", "housekeeper2")
    for title in ("Two extra towels", "A kettle"):
        response = desk.post(REQUESTS, json={"room": "204", "title": title})
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["assignee_id"] == ids["housekeeper"]
        assert (created["room"], created["section"], created["in_section"]) == ("204", "A", True)
        assert created["type"] == "hotel.guest_request" and created["unit_id"] is not None
        routed = _events(sup, created["id"], "hotel.routed")
        assert len(routed) == 1 and "section A" in routed[0]["note"]
    listed = desk.get(REQUESTS, params={"room": "204"}).json()
    assert [item["room"] for item in listed] == ["204", "204"]
    assert {item["title"] for item in listed} == {"Two extra towels", "A kettle"}


def test_balanced_among_the_attendants_of_the_section(demo_server, desk):
    """Two attendants in section A: the one with fewer open hotel tasks gets it."""
    from core.identity.models import Membership, Role, User

    async def second_attendant():
        from core.entities.models import Site

        site = await Site.get(code="lotus")
        model = await User.get(username="housekeeper")
        user = await User.create(username="housekeeper3", password_hash=model.password_hash,
                                 skills=["section:A"])
        await Membership.create(user=user, site=site, role=await Role.get(name="housekeeper"))
        return user.id

    newcomer = demo_server.call(second_attendant)
    _make_busier(demo_server, "housekeeper", "housekeeper2")  # housekeeper busy; the newcomer has nothing
    created = desk.post(REQUESTS, json={"room": "204", "title": "Extra pillow"}).json()
    assert created["assignee_id"] == newcomer and created["in_section"] is True


def test_a_section_with_nobody_falls_back_to_every_attendant_and_says_so(demo_server, desk, sup):
    ids = _ids(demo_server, "housekeeper", "housekeeper2")
    added = sup.post(f"{BASE}/rooms", json={"number": "1001", "floor": 10, "section": "C"})
    assert added.status_code == 201, added.text
    _make_busier(demo_server, "housekeeper", "housekeeper2")
    response = desk.post(REQUESTS, json={"room_id": added.json()["id"], "title": "Baby cot"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["assignee_id"] == ids["housekeeper2"]  # the least loaded of all
    assert created["room"] == "1001" and created["in_section"] is False
    (routed,) = _events(sup, created["id"], "hotel.routed")
    assert "nobody attends section C" in routed["note"] and "balanced" in routed["note"]
    assert created["routing"] == routed["note"]


def test_unknown_rooms_are_422_naming_the_field_and_write_nothing(demo_server, desk):
    before = _task_count(demo_server)
    for body, field in (({"room": "999", "title": "Towels"}, "room"),
                        ({"room_id": 987654, "title": "Towels"}, "room_id"),
                        ({"title": "Towels"}, "room")):
        response = desk.post(REQUESTS, json=body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
    room_204 = desk.get(REQUESTS.replace("guest-requests", "rooms"), params={"floor": 2}).json()["items"]
    other = next(room for room in room_204 if room["number"] == "205")
    mismatch = desk.post(REQUESTS, json={"room": "204", "room_id": other["id"], "title": "Towels"})
    assert mismatch.status_code == 422 and mismatch.json()["errors"][0]["field"] == "room"
    assert desk.get(REQUESTS, params={"room": "999"}).status_code == 422
    assert _task_count(demo_server) == before


def test_a_guest_request_made_on_the_generic_task_route_is_routed_too(demo_server, desk, sup):
    """The task route with balanced assignment, or unassigned, ends with section A's
    attendant; a person chosen by name stays."""
    ids = _ids(demo_server, "housekeeper", "housekeeper2")
    _make_busier(demo_server, "housekeeper", "housekeeper2")
    unit_id = next(room["unit_id"] for room in sup.get(f"{BASE}/board").json()["rooms"] if room["number"] == "204")
    balanced = sup.post(TASKS, json={"type": "hotel.guest_request", "title": "Towels", "unit_id": unit_id,
                                     "assign": "balanced"})
    assert balanced.status_code == 201, balanced.text
    assert balanced.json()["assignee_id"] == ids["housekeeper"]
    assert sup.get(f"{TASKS}/{balanced.json()['id']}").json()["assignee_id"] == ids["housekeeper"]
    assert len(_events(sup, balanced.json()["id"], "hotel.routed")) == 1
    unassigned = desk.post(TASKS, json={"type": "hotel.guest_request", "title": "Soap", "unit_id": unit_id})
    assert unassigned.status_code == 201, unassigned.text
    assert sup.get(f"{TASKS}/{unassigned.json()['id']}").json()["assignee_id"] == ids["housekeeper"]
    chosen = sup.post(TASKS, json={"type": "hotel.guest_request", "title": "Iron", "unit_id": unit_id,
                                   "assignee_id": ids["housekeeper2"]})
    assert sup.get(f"{TASKS}/{chosen.json()['id']}").json()["assignee_id"] == ids["housekeeper2"]
    assert _events(sup, chosen.json()["id"], "hotel.routed") == []


def test_the_page_sends_a_request_by_room_number_and_lists_it(demo_server):
    browser = demo_server.sign_in("frontdesk")
    page = browser.get(f"{PAGES}/requests")
    assert page.status_code == 200 and 'name="room"' in page.text
    assert "Who attends each section" in page.text
    sent = browser.form_post(f"{PAGES}/requests", {"room": "204", "title": "Two extra towels",
                                                   "priority": "normal"})
    assert sent.status_code == 303, sent.text
    listed = browser.get(f"{PAGES}/requests", params={"room": "204"}).text
    assert "Two extra towels" in listed and ">204</a>" in listed and "section A" in listed
    refused = browser.form_post(f"{PAGES}/requests", {"room": "999", "title": "Towels", "priority": "normal"})
    assert refused.status_code == 422 and "No room 999 here." in refused.text
    assert 'id="room-error"' in refused.text and 'value="Towels"' in refused.text


def test_the_page_and_the_api_leave_the_same_footprint(parity):
    footprint = parity.check(
        "frontdesk",
        api=("POST", REQUESTS, {"room": "204", "title": "Two extra towels"}),
        page=(f"{PAGES}/requests", {"room": "204", "title": "Two extra towels", "priority": "normal"}))
    assert "hotel.guest_request.route" in footprint.audit and "hotel.routed" in footprint.task_events
