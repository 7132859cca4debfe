"""Stock, hygiene, CSV import and the structured handover through the API."""

import datetime as dt

from tests.plugins.hotel.conftest import BASE, find_room


def test_stock_movements_and_balances(sup, hk, desk):
    made = sup.post(f"{BASE}/stock/items", json={"code": "TEST-1", "name": "Hand towel", "category": "linen",
                                                 "unit": "pcs", "par_level": 10})
    assert made.status_code == 201, made.text
    item = made.json()
    assert sup.post(f"{BASE}/stock/items", json={"code": "TEST-1", "name": "Again"}).status_code == 422
    assert hk.post(f"{BASE}/stock/items", json={"code": "TEST-2", "name": "x"}).status_code == 403
    move = lambda **body: hk.post(f"{BASE}/stock/movements", json={"item_id": item["id"], **body})  # noqa: E731
    assert move(location="Store", kind="in", quantity=8).status_code == 201
    assert move(location="Store", kind="transfer", quantity=5, to_location="Floor 2").status_code == 201
    assert move(location="Floor 2", kind="consume", quantity=2).status_code == 201
    below = move(location="Floor 2", kind="out", quantity=4)
    assert below.status_code == 409 and below.json()["balance"] == 3
    assert move(location="Nowhere", kind="out", quantity=1).status_code == 409
    no_reason = move(location="Store", kind="loss", quantity=1)
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    assert move(location="Store", kind="loss", quantity=1, reason="Torn").status_code == 201
    assert move(location="Store", kind="transfer", quantity=1).json()["errors"][0]["field"] == "to_location"
    assert move(location="Store", kind="in", quantity=0).status_code == 422
    assert move(location="Store", kind="steal", quantity=1).status_code == 422
    assert hk.post(f"{BASE}/stock/movements", json={"item_id": 999999, "location": "S", "kind": "in",
                                                     "quantity": 1}).status_code == 422
    balances = {b["location"]: b["quantity"] for b in
                desk.get(f"{BASE}/stock/balances", params={"item_id": item["id"]}).json()}
    assert balances == {"Store": 2, "Floor 2": 3}
    low = desk.get(f"{BASE}/stock/items", params={"low": "true"}).json()
    assert any(i["id"] == item["id"] and i["total"] == 5 and i["low"] for i in low)
    movements = desk.get(f"{BASE}/stock/movements", params={"item_id": item["id"]}).json()["items"]
    assert [m["kind"] for m in movements] == ["loss", "consume", "transfer", "in"]
    assert desk.post(f"{BASE}/stock/movements", json={"item_id": item["id"], "location": "Store", "kind": "in",
                                                       "quantity": 1}).status_code == 403


def test_hygiene_records_and_floor_compliance(hk, desk, demo_server):
    room = find_room(hk, floor=4)
    today = dt.date.today().isoformat()
    body = {"room_id": room["id"], "date": today, "linen_changed": True, "cups_disinfected": True,
            "bathroom_cleaned": True, "aired_times": 2}
    made = hk.post(f"{BASE}/hygiene", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["compliant"] is True
    corrected = hk.post(f"{BASE}/hygiene", json={**body, "aired_times": 0})
    assert corrected.json()["id"] == made.json()["id"] and corrected.json()["compliant"] is False
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    assert hk.post(f"{BASE}/hygiene", json={**body, "date": future}).json()["errors"][0]["field"] == "date"
    assert hk.post(f"{BASE}/hygiene", json={**body, "aired_times": 9}).status_code == 422
    assert hk.post(f"{BASE}/hygiene", json={**body, "room_id": 999999}).status_code == 404
    day = hk.get(f"{BASE}/hygiene", params={"date": today}).json()
    floor4 = next(f for f in day["floors"] if f["floor"] == 4)
    assert floor4["recorded"] >= 1 and floor4["rooms"] >= floor4["recorded"] >= floor4["compliant"]
    assert any(item["room_id"] == room["id"] for item in day["items"])
    assert desk.get(f"{BASE}/hygiene").status_code == 403


def test_departure_clean_can_require_hygiene(desk, demo_server):
    from core.entities.models import Site
    from plugins.hotel.services import local_today

    async def require():
        site = await Site.get(code="lotus")
        site.settings = {**site.settings, "hotel": {**site.settings.get("hotel", {}),
                                                    "hygiene_required_for_departure": True}}
        await site.save()

    demo_server.call(require)
    room = find_room(desk, occupancy="occupied", service="in_service", floor=9)  # no hygiene entry yet
    desk.post(f"{BASE}/rooms/{room['id']}/check-out", json={"version": room["version"]})
    tasks = desk.get("/api/v1/sites/lotus/tasks", params={"type": "hotel.departure_clean"}).json()["items"]
    task = next(t for t in tasks if t["unit_id"] == room["unit_id"] and t["status"] == "open")
    attendant = demo_server.api_client("housekeeper" if room["section"] == "A" else "housekeeper2")
    url = f"/api/v1/sites/lotus/tasks/{task['id']}/transition"
    step = attendant.post(url, json={"to": "in_progress", "version": task["version"]}).json()
    refused = attendant.post(url, json={"to": "resolved", "version": step["version"]})
    assert refused.status_code == 409 and "hygiene" in refused.json()["detail"]
    # The hotel's day, not the machine's: the rule asks for the entry of the site's local date.
    today = local_today(demo_server.call(lambda: Site.get(code="lotus")))
    attendant.post(f"{BASE}/hygiene", json={"room_id": room["id"], "date": today.isoformat(),
                                            "linen_changed": True, "cups_disinfected": True,
                                            "bathroom_cleaned": True, "aired_times": 1})
    assert attendant.post(url, json={"to": "resolved", "version": step["version"]}).status_code == 200


CSV_OK = "number,floor,room_type,section\n1001,10,Double,C\n1002,10,Twin,C\n"
CSV_BAD = "number,floor,room_type,section\n1101,11,Double,C\n,11,Twin,C\n1103,eleven,Twin,C\n1101,11,Double,C\n201,2,X,A\n"


def test_csv_import_reports_every_bad_row_and_imports_none(sup, desk):
    url = f"{BASE}/rooms/import"
    checked = sup.post(url, json={"csv": CSV_BAD})
    assert checked.status_code == 200
    report = checked.json()
    assert report["rows"] == 5 and report["valid"] == 1 and report["invalid"] == 4 and not report["applied"]
    assert {(e["line"], e["field"]) for e in report["errors"]} == {(3, "number"), (4, "floor"), (5, "number"),
                                                                    (6, "number")}
    refused = sup.post(url, json={"csv": CSV_BAD, "apply": True})
    assert refused.status_code == 422 and refused.json()["report"]["invalid"] == 4
    assert desk.get(f"{BASE}/rooms", params={"floor": 11}).json()["items"] == []
    consented = sup.post(url, json={"csv": CSV_BAD, "apply": True, "skip_bad_rows": True})
    assert consented.json()["created"] == 1
    assert [r["number"] for r in desk.get(f"{BASE}/rooms", params={"floor": 11}).json()["items"]] == ["1101"]
    done = sup.post(url, json={"csv": CSV_OK, "apply": True})
    assert done.status_code == 200 and done.json()["created"] == 2
    rooms = desk.get(f"{BASE}/rooms", params={"floor": 10}).json()["items"]
    assert [(r["number"], r["code"], r["section"]) for r in rooms] == [("1001", "VD", "C"), ("1002", "VD", "C")]
    assert rooms[0]["unit_id"] is not None
    assert sup.post(url, json={"csv": "floor\n1\n", "apply": True}).json()["errors"][0]["field"] == "csv"
    assert desk.post(url, json={"csv": CSV_OK}).status_code == 403


def test_create_room(sup):
    made = sup.post(f"{BASE}/rooms", json={"number": "1201", "floor": 12, "room_type": "Suite"})
    assert made.status_code == 201 and made.json()["code"] == "VD"
    assert sup.post(f"{BASE}/rooms", json={"number": "1201", "floor": 12}).status_code == 422
    assert sup.post(f"{BASE}/rooms", json={"number": "bad room", "floor": 12}).status_code == 422


def test_structured_handover(desk, hk):
    made = desk.post(f"{BASE}/handovers", json={"body": "Quiet night", "watch_rooms": ["201"], "dnd_rooms": ["305"],
                                                "linen_counts": {"sheets": 40}})
    assert made.status_code == 201, made.text
    labels = [item["label"] for item in made.json()["items"]]
    assert labels == ["Rooms to watch", "Do not disturb", "Linen: sheets"]
    assert desk.post(f"{BASE}/handovers", json={"body": "x", "watch_rooms": ["9999"]}).status_code == 422
    unread = hk.get("/api/v1/sites/lotus/handovers", params={"unread": "true"}).json()["items"]
    handover = next(h for h in unread if h["id"] == made.json()["id"])
    assert hk.post(f"/api/v1/sites/lotus/handovers/{handover['id']}/ack").status_code in (200, 204)
