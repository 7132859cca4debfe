"""Several rooms, one status (the board's selection): ``services.set_rooms_status`` through
``POST /rooms/status``: each room changed on its own, audited and announced; a stale room
refused with its message while the others change; a bad request changes nothing."""

from core.audit.models import AuditEntry
from core.entities.models import Site
from core.event_log import LiveEventRecord
from plugins.hotel.models import Room
from tests.plugins.hotel.conftest import BASE

URL = f"{BASE}/rooms/status"


def rooms_with(client, code, count):
    rooms = [room for room in client.get(f"{BASE}/board").json()["rooms"] if room["code"] == code]
    assert len(rooms) >= count, f"the demo has fewer than {count} {code} rooms"
    return rooms[:count]


def test_several_rooms_cleaned_at_once_each_audited_and_announced(hk, demo_server):
    rooms = rooms_with(hk, "VD", 3)
    ids = [room["id"] for room in rooms]
    last_event = demo_server.call(lambda: LiveEventRecord.all().order_by("-id").first())
    answer = hk.post(URL, json={"status": "clean", "rooms": [{"id": r["id"], "version": r["version"]} for r in rooms]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["changed"] == 3 and body["refused"] == 0
    assert [item["id"] for item in body["items"]] == ids
    assert all(item["ok"] and item["room"]["code"] == "VC" for item in body["items"])
    for room in rooms:
        now = hk.get(f"{BASE}/rooms/{room['id']}").json()
        assert now["code"] == "VC" and now["version"] == room["version"] + 1
    audited = demo_server.call(lambda: AuditEntry.filter(action="hotel.room.housekeeping", object_id__in=ids).count())
    assert audited == 3
    after = last_event.id if last_event else 0
    announced = demo_server.call(lambda: LiveEventRecord.filter(id__gt=after, name="hotel.room.changed").all())
    assert {event.data["id"] if isinstance(event.data, dict) else None for event in announced} >= set(ids)


def test_a_stale_room_is_refused_with_its_message_the_others_change(hk, demo_server):
    first, second = rooms_with(hk, "VD", 2)
    moved = hk.post(f"{BASE}/rooms/{second['id']}/housekeeping", json={"status": "pickup", "version": second["version"]})
    assert moved.status_code == 200
    answer = hk.post(URL, json={"status": "clean", "rooms": [{"id": first["id"], "version": first["version"]},
                                                             {"id": second["id"], "version": second["version"]}]})
    assert answer.status_code == 200, answer.text
    ok, stale = answer.json()["items"]
    assert ok["ok"] and ok["room"]["code"] == "VC"
    assert not stale["ok"] and stale["status"] == 409
    assert second["number"] in stale["detail"]
    assert stale["current"]["housekeeping"] == "pickup" and stale["current"]["version"] == second["version"] + 1
    assert answer.json()["changed"] == 1 and answer.json()["refused"] == 1
    assert hk.get(f"{BASE}/rooms/{second['id']}").json()["code"] == "VP"


def _unchanged(client, rooms):
    return all(client.get(f"{BASE}/rooms/{r['id']}").json()["version"] == r["version"] for r in rooms)


def test_a_room_of_another_site_changes_nothing(hk, demo_server):
    rooms = rooms_with(hk, "VD", 1)
    other_site = demo_server.call(lambda: Site.create(code="elsewhere", name="Elsewhere", kind="hotel",
                                                      timezone="UTC", currency="TWD"))
    foreign = demo_server.call(lambda: Room.create(site_id=other_site.id, number="901", floor=9, room_type="std"))
    answer = hk.post(URL, json={"status": "clean", "rooms": [{"id": rooms[0]["id"], "version": rooms[0]["version"]},
                                                             {"id": foreign.id, "version": foreign.version}]})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "rooms.1.id"
    assert _unchanged(hk, rooms)
    assert demo_server.call(lambda: Room.get(id=foreign.id)).version == foreign.version


def test_unknown_status_empty_list_and_a_room_twice_are_422(hk):
    rooms = rooms_with(hk, "VD", 1)
    target = [{"id": rooms[0]["id"], "version": rooms[0]["version"]}]
    unknown = hk.post(URL, json={"status": "shiny", "rooms": target})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "status"
    empty = hk.post(URL, json={"status": "clean", "rooms": []})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "rooms"
    twice = hk.post(URL, json={"status": "clean", "rooms": target * 2})
    assert twice.status_code == 422 and twice.json()["errors"][0]["field"] == "rooms"
    assert _unchanged(hk, rooms)


def test_who_may_set_what(hk, sup, desk):
    rooms = rooms_with(sup, "VC", 2)
    target = [{"id": r["id"], "version": r["version"]} for r in rooms]
    assert hk.post(URL, json={"status": "inspected", "rooms": target}).status_code == 403
    assert hk.post(URL, json={"status": "out_of_order", "reason": "Leak", "rooms": target}).status_code == 403
    assert desk.post(URL, json={"status": "clean", "rooms": target}).status_code == 403
    assert _unchanged(sup, rooms)
    no_reason = sup.post(URL, json={"status": "out_of_order", "rooms": target})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    inspected = sup.post(URL, json={"status": "inspected", "rooms": target})
    assert inspected.status_code == 200 and all(i["room"]["code"] == "VI" for i in inspected.json()["items"])
    target = [{"id": i["id"], "version": i["room"]["version"]} for i in inspected.json()["items"]]
    broken = sup.post(URL, json={"status": "out_of_order", "reason": "Leak on the floor", "rooms": target})
    assert broken.status_code == 200 and all(i["room"]["code"] == "OOO" for i in broken.json()["items"])
