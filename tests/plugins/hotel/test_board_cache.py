"""The board is kept per site in each process (``plugins.hotel.board``): every way a room
changes shows on the next board, in this process at once and in another one through the
bus (PostgreSQL) or within ``MAX_AGE_ALONE`` where the bus cannot reach it; masking stays
the caller's. Unversioned observations never answer 409, however many run at once."""

import asyncio

import httpx
import pytest

from core.audit.models import AuditEntry
from core.entities.models import Site
from core.identity.models import User
from plugins.hotel import board as boards
from plugins.hotel import services
from plugins.hotel.models import Room, RoomEvent
from tests.plugins.hotel.conftest import BASE, find_room

PAGES = "/sites/lotus/hotel"
TASKS = "/api/v1/sites/lotus/tasks"


def board_room(client, room_id):
    return next(room for room in client.get(f"{BASE}/board").json()["rooms"] if room["id"] == room_id)


def tile(page_text, room_id):
    return page_text.split(f'data-room-id="{room_id}"', 1)[1].split(">", 1)[0]


class Recorder:
    """Stands among the bus's subscriptions: every event of every site."""

    def __init__(self):
        self.events = []

    def wants(self, _event):
        return True

    def offer(self, event):
        if event is not None:
            self.events.append(event)


# --- every way in shows on the next board ----------------------------------------------


def test_a_change_through_the_api_shows_on_the_next_board_and_page(demo_server, desk, hk):
    page = demo_server.sign_in("hotelsup")
    room = find_room(desk, "VD")  # the board is kept from here on
    counts = desk.get(f"{BASE}/board").json()["counts"]
    assert 'data-code="VD"' in tile(page.get(f"{PAGES}/").text, room["id"])
    cleaned = hk.post(f"{BASE}/rooms/{room['id']}/housekeeping", json={"status": "clean", "version": room["version"]})
    assert cleaned.status_code == 200
    board = desk.get(f"{BASE}/board").json()
    assert next(r for r in board["rooms"] if r["id"] == room["id"])["code"] == "VC"
    assert board["counts"] == {**counts, "VD": counts["VD"] - 1, "VC": counts["VC"] + 1}
    assert f'data-code="VC" data-version="{room["version"] + 1}"' in tile(page.get(f"{PAGES}/").text, room["id"])


def test_a_change_through_the_room_page_shows_on_the_next_board(demo_server, desk):
    room = find_room(desk, "VD")
    hk = demo_server.sign_in("housekeeper")
    done = hk.form_post(f"{PAGES}/rooms/{room['id']}/observed", {"occupancy": "occupied"})
    assert done.status_code == 303
    assert board_room(desk, room["id"])["observed"] == "occupied"
    tile_html = hk.get(f"{PAGES}/").text.split(f'data-room-id="{room["id"]}"', 1)[1].split("</a>", 1)[0]
    assert 'class="hotel-flag"' in tile_html


def test_the_nightly_job_shows_on_the_next_board(demo_server, desk):
    room = find_room(desk, occupancy="occupied", service="in_service", housekeeping="clean")
    site = demo_server.call(lambda: Site.get(code="lotus"))
    kernel = demo_server.app.state.tasks
    assert demo_server.call(services.night_audit, kernel, site) > 0
    assert board_room(desk, room["id"])["code"] == "OD"


def test_finishing_a_task_from_the_sheet_and_reassigning_it_show_on_the_next_board(demo_server, desk, hk, sup):
    housekeeper = demo_server.call(lambda: User.get(username="housekeeper"))
    other = demo_server.call(lambda: User.get(username="housekeeper2"))
    tasks = hk.get(TASKS, params={"type": "hotel.departure_clean", "assignee_id": housekeeper.id,
                                  "limit": 200}).json()["items"]
    task = next(t for t in tasks if t["status"] == "open" and t["subject"])
    room_id = task["subject"]["id"]
    assert board_room(desk, room_id)["assignee_id"] == housekeeper.id
    moved = sup.post(f"{TASKS}/{task['id']}/assign", json={"assignee_id": other.id, "version": task["version"]})
    assert moved.status_code == 200, moved.text
    assert board_room(desk, room_id)["assignee_id"] == other.id
    attendant = demo_server.api_client("housekeeper2")
    version = moved.json()["version"]
    for status in ("in_progress", "resolved"):
        step = attendant.post(f"{TASKS}/{task['id']}/transition", json={"to": status, "version": version})
        assert step.status_code == 200, step.text
        version = step.json()["version"]
    assert board_room(desk, room_id)["housekeeping"] == "clean"


def test_new_and_imported_rooms_show_on_the_next_board(desk, sup):
    before = len(desk.get(f"{BASE}/board").json()["rooms"])
    assert sup.post(f"{BASE}/rooms", json={"number": "1401", "floor": 14}).status_code == 201
    assert len(desk.get(f"{BASE}/board").json()["rooms"]) == before + 1
    imported = sup.post(f"{BASE}/rooms/import", json={"csv": "number,floor\n1402,14\n1403,14\n", "apply": True})
    assert imported.json()["created"] == 2
    assert {"1401", "1402", "1403"} <= {room["number"] for room in desk.get(f"{BASE}/board").json()["rooms"]}


def test_a_damage_report_shows_on_the_next_board(desk, hk):
    room = find_room(desk, "VC")
    made = hk.post(f"{BASE}/damage-reports", json={"room_id": room["id"], "description": "Window cracked",
                                                  "take_out_of_order": True})
    assert made.status_code == 201, made.text
    assert board_room(desk, room["id"])["code"] == "OOO"


# --- masking is the caller's ---------------------------------------------------------------


def test_the_kept_board_is_masked_for_each_caller(desk, hk):
    occupied = find_room(desk, occupancy="occupied")  # kept with guests' names, read by the desk
    assert occupied["guest_name"]
    for query in ({}, {"floor": occupied["floor"]}, {"code": occupied["code"]}):
        seen = hk.get(f"{BASE}/board", params=query).json()["rooms"]
        assert seen and all("guest_name" not in room and "party_id" not in room for room in seen), query
        again = desk.get(f"{BASE}/board", params=query).json()["rooms"]
        assert next(r for r in again if r["id"] == occupied["id"])["guest_name"] == occupied["guest_name"]


# --- the kept board and its age --------------------------------------------------------------


def test_a_board_read_while_a_change_committed_is_not_kept(demo_server, desk, monkeypatch):
    site_id = demo_server.call(lambda: Site.get(code="lotus")).id
    cache = boards.attach(demo_server.app)
    cache.forget(site_id)
    real = boards.assignees_by_unit

    async def change_meanwhile(site):
        cache.forget(site)  # as the bus does when a change commits during the read
        return await real(site)

    monkeypatch.setattr(boards, "assignees_by_unit", change_meanwhile)
    desk.get(f"{BASE}/board")
    assert site_id not in cache.boards
    monkeypatch.setattr(boards, "assignees_by_unit", real)
    desk.get(f"{BASE}/board")
    assert site_id in cache.boards


def test_a_change_by_another_process_shows_once_the_bus_is_down_within_the_short_age(make_demo_app):
    """Two apps on one database (two workers). Where the reader hears nothing from the
    writer (SQLite; PostgreSQL with its bus connection down) its board may be stale, but
    no longer than ``MAX_AGE_ALONE``."""
    writer, reader = make_demo_app(), make_demo_app()
    bus = reader.app.state.events
    if bus.crosses_processes():
        reader.call(bus.stop)  # the bus is down (a lost connection alone now heals within a second)
    assert not bus.crosses_processes()
    cache = boards.attach(reader.app)
    now = [1000.0]
    cache.clock = lambda: now[0]
    desk, hk = reader.api_client("frontdesk"), writer.api_client("housekeeper")
    room = find_room(desk, "VD")
    assert hk.post(f"{BASE}/rooms/{room['id']}/housekeeping",
                   json={"status": "clean", "version": room["version"]}).status_code == 200
    assert board_room(desk, room["id"])["code"] == "VD"  # kept: nothing told this process
    now[0] += boards.MAX_AGE_ALONE
    assert board_room(desk, room["id"])["code"] == "VC"


def test_a_change_by_another_process_reaches_the_kept_board_through_the_bus(make_demo_app, database_backend,
                                                                            monkeypatch):
    if database_backend != "postgres":
        pytest.skip("changes cross processes through PostgreSQL LISTEN/NOTIFY; SQLite relies on the short age")
    monkeypatch.setattr(boards, "MAX_AGE", 3600.0)  # only the event can refresh it
    writer, reader = make_demo_app(), make_demo_app()
    assert reader.app.state.events.crosses_processes()
    desk, hk = reader.api_client("frontdesk"), writer.api_client("housekeeper")
    room = find_room(desk, "VD")
    assert hk.post(f"{BASE}/rooms/{room['id']}/housekeeping",
                   json={"status": "clean", "version": room["version"]}).status_code == 200
    for _attempt in range(100):  # the NOTIFY travels on its own connection: wait for it
        if board_room(desk, room["id"])["code"] == "VC":
            break
        reader.call(asyncio.sleep, 0.05)
    assert board_room(desk, room["id"])["code"] == "VC"


# --- room events wait for the commit ------------------------------------------------------------


def test_a_room_change_rolled_back_with_its_outer_transaction_is_never_announced(demo_server, desk):
    room = find_room(desk, "VD")
    kernel = demo_server.app.state.tasks
    recorder = Recorder()
    kernel.bus.subscriptions.add(recorder)

    async def observe_then_fail():
        row = await Room.get(id=room["id"])
        user = await User.get(username="housekeeper")
        site = await Site.get(code="lotus")
        from core.actors import Actor

        async with services.room_transaction(kernel):
            await services.observe(kernel, row, "occupied", Actor(user, site))
            assert not recorder.events  # not before the outermost commit
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        demo_server.call(observe_then_fail)
    assert not [event for event in recorder.events if event.name == services.ROOM_EVENT]
    assert board_room(desk, room["id"])["observed"] is None


# --- observations ------------------------------------------------------------------------------------


def test_sixteen_concurrent_observations_all_apply_once_each(demo_server, desk):
    room = find_room(desk, "VD")
    token = demo_server.api_client("housekeeper").token
    recorder = Recorder()
    demo_server.app.state.events.subscriptions.add(recorder)

    async def observe_sixteen_at_once():
        transport = httpx.ASGITransport(app=demo_server.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1",
                                     headers={"Authorization": f"Bearer {token}"}) as client:
            url = f"{BASE}/rooms/{room['id']}/observed"
            return await asyncio.gather(*(client.post(url, json={"occupancy": ("occupied", "vacant")[n % 2]})
                                          for n in range(16)))

    answers = demo_server.call(observe_sixteen_at_once)
    assert [answer.status_code for answer in answers] == [200] * 16, [a.text for a in answers if a.status_code != 200]
    assert sorted(answer.json()["version"] for answer in answers) == list(range(room["version"] + 1,
                                                                                room["version"] + 17))
    events = demo_server.call(lambda: RoomEvent.filter(room_id=room["id"], kind="observed").count())
    audits = demo_server.call(lambda: AuditEntry.filter(action="hotel.room.observed", object_id=str(room["id"])).count())
    live = [event for event in recorder.events if event.name == services.ROOM_EVENT and event.data["id"] == room["id"]]
    assert (events, audits, len(live)) == (16, 16, 16)
    assert board_room(desk, room["id"])["version"] == room["version"] + 16
