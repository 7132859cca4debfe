"""The floors (issue 17): do-not-disturb and service refused stop the cleaning clock and
show on the board; the damage reports list; the daily work report; "my rooms" and the
supervisor's section assignment."""

import csv
import datetime as dt
import io

from tests.plugins.hotel.conftest import BASE, find_room

TASKS = "/api/v1/sites/lotus/tasks"


def _stay_over(client, room):
    tasks = client.get(TASKS, params={"type": "hotel.stay_over", "limit": 200}).json()["items"]
    return next(t for t in tasks if t["subject"] == {"plugin": "hotel", "kind": "room", "id": room["id"]}
                and t["status"] not in ("closed", "cancelled", "resolved"))


def _task_row(demo_server, task_id):
    from core.tasks.models import Task

    return demo_server.call(lambda: Task.get(id=task_id))


def _audit(demo_server, action, object_id=None):
    from core.audit.models import AuditEntry

    async def read():
        rows = AuditEntry.filter(action=action)
        if object_id is not None:
            rows = rows.filter(object_id=str(object_id))
        return await rows.order_by("id").values("action", "site_id", "before", "after", "actor_id")

    return demo_server.call(read)


def test_do_not_disturb_stops_the_cleaning_clock_and_shows_on_the_board(demo_server, desk, hk, sup):
    room = find_room(desk, occupancy="occupied", service="in_service", floor=3)
    assert room["do_not_disturb"] is False and room["service_refused"] is False
    assert sup.post(f"{BASE}/night-audit", json={"business_date": "2031-03-04"}).status_code == 200
    room = desk.get(f"{BASE}/rooms/{room['id']}").json()
    task = _stay_over(desk, room)
    assert task["status"] == "open"
    before = _task_row(demo_server, task["id"])
    url = f"{BASE}/rooms/{room['id']}/do-not-disturb"
    assert hk.get(f"{BASE}/board").json()["rooms"]  # the board is kept now: the change must drop it
    on = hk.post(url, json={"on": True, "version": room["version"]})
    assert on.status_code == 200, on.text
    assert on.json()["do_not_disturb"] is True and on.json()["version"] == room["version"] + 1
    held = _task_row(demo_server, task["id"])
    assert held.status == "waiting" and held.sla_remaining_seconds is not None
    assert abs(held.sla_remaining_seconds - (before.due_at - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 60
    board = {r["id"]: r for r in hk.get(f"{BASE}/board").json()["rooms"]}
    assert board[room["id"]]["do_not_disturb"] is True  # the kept board was dropped
    entries = _audit(demo_server, "hotel.room.do_not_disturb", room["id"])
    assert entries and entries[-1]["after"]["do_not_disturb"] is True
    history = desk.get(f"{BASE}/rooms/{room['id']}/history").json()
    assert history[-1]["kind"] == "do_not_disturb"
    # Stale, and the same again, and a vacant room.
    assert hk.post(url, json={"on": False, "version": room["version"]}).status_code == 409
    again = hk.post(url, json={"on": True, "version": on.json()["version"]})
    assert again.status_code == 200 and again.json()["version"] == on.json()["version"]
    off = hk.post(url, json={"on": False, "version": on.json()["version"]})
    assert off.status_code == 200 and off.json()["do_not_disturb"] is False
    resumed = _task_row(demo_server, task["id"])
    # Nobody had started it: back to open, still nobody's first response.
    assert resumed.status == "open" and resumed.sla_remaining_seconds is None
    assert resumed.first_response_at is None
    # The due time moved by the time the clock stood still (now + what was left).
    expected = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=held.sla_remaining_seconds)
    assert abs((resumed.due_at - expected).total_seconds()) < 60
    vacant = find_room(desk, occupancy="vacant", service="in_service")
    refused = hk.post(f"{BASE}/rooms/{vacant['id']}/do-not-disturb", json={"on": True, "version": vacant["version"]})
    assert refused.status_code == 409
    assert hk.post(url, json={"on": "maybe", "version": 1}).status_code == 422
    assert hk.post(url, json={"on": True}).json()["errors"][0]["field"] == "version"


def test_service_refused_and_dnd_together_hold_until_both_are_off(demo_server, desk, hk, sup):
    room = find_room(desk, occupancy="occupied", service="in_service", floor=4)
    sup.post(f"{BASE}/night-audit", json={"business_date": "2031-03-05"})
    room = desk.get(f"{BASE}/rooms/{room['id']}").json()
    task = _stay_over(desk, room)
    base = f"{BASE}/rooms/{room['id']}"
    step = desk.post(f"{base}/service-refused", json={"on": True, "version": room["version"]}).json()
    assert step["service_refused"] is True and _task_row(demo_server, task["id"]).status == "waiting"
    step = hk.post(f"{base}/do-not-disturb", json={"on": True, "version": step["version"]}).json()
    step = desk.post(f"{base}/service-refused", json={"on": False, "version": step["version"]}).json()
    assert step["service_refused"] is False and step["do_not_disturb"] is True
    assert _task_row(demo_server, task["id"]).status == "waiting"  # DND still on
    step = hk.post(f"{base}/do-not-disturb", json={"on": False, "version": step["version"]}).json()
    assert _task_row(demo_server, task["id"]).status == "open"
    # Check-out takes both down.
    step = desk.post(f"{base}/do-not-disturb", json={"on": True, "version": step["version"]}).json()
    out = desk.post(f"{base}/check-out", json={"version": step["version"]}).json()
    assert out["do_not_disturb"] is False and out["service_refused"] is False
    assert _audit(demo_server, "hotel.room.service_refused", room["id"])


def test_a_clean_made_while_the_clock_is_stopped_waits(demo_server, desk, hk, sup):
    """The night audit's stay-over for a room with the sign already up starts on hold."""
    room = find_room(desk, occupancy="occupied", service="in_service", floor=5)
    hk.post(f"{BASE}/rooms/{room['id']}/do-not-disturb", json={"on": True, "version": room["version"]})
    sup.post(f"{BASE}/night-audit", json={"business_date": "2031-03-06"})
    room = desk.get(f"{BASE}/rooms/{room['id']}").json()
    assert room["do_not_disturb"] is True
    task = _task_row(demo_server, _stay_over(desk, room)["id"])
    assert task.status == "waiting" and task.sla_remaining_seconds is not None


def test_damage_reports_listed_and_filtered(demo_server, desk, hk, sup):
    first = find_room(desk, service="in_service", floor=6)
    second = find_room(desk, service="in_service", floor=7)
    made = [hk.post(f"{BASE}/damage-reports", json={"room_id": room["id"], "description": text}).json()
            for room, text in ((first, "Broken lamp"), (second, "Leaking tap"), (first, "=cmd"))]
    url = f"{BASE}/damage-reports"
    listed = desk.get(url).json()
    ours = [item for item in listed["items"] if item["id"] in {m["id"] for m in made}]
    assert [item["id"] for item in ours] == sorted((m["id"] for m in made), reverse=True)  # newest first
    assert ours[-1]["room"] == first["number"] and ours[-1]["status"] == "open" and ours[-1]["floor"] == 6
    by_room = desk.get(url, params={"room": first["number"]}).json()["items"]
    assert {item["room_id"] for item in by_room} == {first["id"]} and len(by_room) >= 2
    # The status is the maintenance task's.
    task = desk.get(f"{TASKS}/{made[1]['task_id']}").json()
    sup.post(f"{TASKS}/{task['id']}/transition", json={"to": "in_progress", "version": task["version"]})
    in_progress = desk.get(url, params={"status": "in_progress"}).json()["items"]
    assert made[1]["id"] in [item["id"] for item in in_progress]
    assert made[0]["id"] not in [item["id"] for item in in_progress]
    today = _local_today(demo_server)
    dated = desk.get(url, params={"from": (today - dt.timedelta(days=1)).isoformat(),
                                  "to": (today + dt.timedelta(days=1)).isoformat()}).json()["items"]
    assert {m["id"] for m in made} <= {item["id"] for item in dated}
    later = desk.get(url, params={"from": (today + dt.timedelta(days=2)).isoformat()}).json()["items"]
    assert later == []
    # Pages: limit and cursor.
    page = desk.get(url, params={"room": first["number"], "limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = desk.get(url, params={"room": first["number"], "limit": 1, "cursor": page["next_cursor"]}).json()
    assert rest["items"][0]["id"] < page["items"][0]["id"]
    # Bad input: 422 naming the field.
    assert desk.get(url, params={"status": "lost"}).json()["errors"][0]["field"] == "status"
    assert desk.get(url, params={"room": "nope"}).json()["errors"][0]["field"] == "room"
    backwards = desk.get(url, params={"from": today.isoformat(), "to": (today - dt.timedelta(days=3)).isoformat()})
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "to"
    assert desk.get(url, params={"from": "yesterday"}).status_code == 422


def _local_today(demo_server):
    from core.entities.models import Site
    from plugins.hotel.services import local_today

    return local_today(demo_server.call(lambda: Site.get(code="lotus")))


def _clean(client, room_id, version):
    return client.post(f"{BASE}/rooms/{room_id}/housekeeping", json={"status": "clean", "version": version})


def test_work_report_per_attendant_and_floor(demo_server, desk, hk, sup, user_ids):
    """The report's numbers against plain counts of the same rows."""
    attendant = user_ids["housekeeper"]
    rooms = [find_room(desk, occupancy="occupied", service="in_service", section="A", floor=floor)
             for floor in (2, 3)]
    for room in rooms:  # departure cleans, given to the section-A attendant, done by her
        out = desk.post(f"{BASE}/rooms/{room['id']}/check-out", json={"version": room["version"]}).json()
        assert _clean(hk, room["id"], out["version"]).status_code == 200
    # The supervisor sends the floor-2 clean back: an inspection failed.
    fresh = desk.get(f"{BASE}/rooms/{rooms[0]['id']}").json()
    failed = sup.post(f"{BASE}/rooms/{rooms[0]['id']}/housekeeping", json={"status": "dirty",
                                                                           "version": fresh["version"]})
    assert failed.status_code == 200 and failed.json()["code"] == "VD"
    assert desk.get(f"{BASE}/rooms/{rooms[0]['id']}/history").json()[-1]["kind"] == "inspection_failed"
    assert _clean(hk, rooms[0]["id"], failed.json()["version"]).status_code == 200  # cleaned again
    today = _local_today(demo_server).isoformat()
    hk.post(f"{BASE}/hygiene", json={"room_id": rooms[1]["id"], "date": today, "linen_changed": True,
                                     "cups_disinfected": True, "bathroom_cleaned": True, "aired_times": 1})
    hk.post(f"{BASE}/damage-reports", json={"room_id": rooms[1]["id"], "description": "Torn curtain"})
    item = sup.post(f"{BASE}/stock/items", json={"code": "WR-1", "name": "Shampoo", "category": "amenities"}).json()
    sup.post(f"{BASE}/stock/movements", json={"item_id": item["id"], "location": "Floor 3", "kind": "in",
                                              "quantity": 10})
    for quantity in (2, 3):
        hk.post(f"{BASE}/stock/movements", json={"item_id": item["id"], "location": "Floor 3", "kind": "consume",
                                                 "quantity": quantity})

    report = sup.get(f"{BASE}/work-report", params={"date": today})
    assert report.status_code == 200, report.text
    report = report.json()
    mine = next(a for a in report["attendants"] if a["attendant_id"] == attendant)
    floors = {f["floor"]: f for f in mine["floors"]}
    assert floors[2]["inspections_failed"] == 1 and floors[3]["inspections_failed"] == 0
    assert floors[3]["hygiene_records"] >= 1 and floors[3]["damage_reported"] >= 1
    numbers = {r["room"] for f in mine["floors"] for r in f["rooms"]}
    assert {rooms[0]["number"], rooms[1]["number"]} <= numbers
    cleaned = next(r for r in floors[3]["rooms"] if r["room"] == rooms[1]["number"]
                   and r["type"] == "hotel.departure_clean")
    assert len(cleaned["started_local"]) == 5 and cleaned["minutes"] >= 0
    assert {"item_id": item["id"], "code": "WR-1", "name": "Shampoo", "unit": "", "location": "Floor 3",
            "quantity": 5} in mine["stock"]

    # Every number against a plain count of the same rows.
    from core.entities.models import Site
    from core.tasks.models import Task, TaskEvent
    from plugins.hotel.models import DamageReport, HygieneRecord, Room, RoomEvent, StockMovement
    from core.clock import local_day_bounds
    from plugins.hotel.services import CLEANING_TYPES

    async def plain():
        site = await Site.get(code="lotus")
        low, high = local_day_bounds(site, dt.date.fromisoformat(today))
        floor_of = {r.unit_id: r.floor for r in await Room.filter(site_id=site.id)}
        floor_by_id = {r.id: r.floor for r in await Room.filter(site_id=site.id)}
        counts = {}

        def bump(person, floor, name, by=1):
            entry = counts.setdefault((person, floor), {"rooms_cleaned": 0, "inspections_failed": 0,
                                                        "damage_reported": 0, "hygiene_records": 0})
            entry[name] += by

        for task in await Task.filter(site_id=site.id):
            if task.type in CLEANING_TYPES and task.resolved_at and low <= task.resolved_at < high:
                bump(task.assignee_id, floor_of.get(task.unit_id), "rooms_cleaned")
        tasks = {t.id: t for t in await Task.filter(site_id=site.id)}
        sent_back = {e.data["room_event_id"]: tasks[e.task_id].assignee_id
                     for e in await TaskEvent.filter(site_id=site.id, kind="hotel.inspection_failed")}
        for event in await RoomEvent.filter(site_id=site.id, kind="inspection_failed"):
            if low <= event.at < high:
                bump(sent_back.get(event.id), floor_by_id[event.room_id], "inspections_failed")
        for report_ in await DamageReport.filter(site_id=site.id):
            if low <= report_.created_at < high:
                bump(report_.reported_by_id, floor_by_id[report_.room_id], "damage_reported")
        for record in await HygieneRecord.filter(site_id=site.id, date=dt.date.fromisoformat(today)):
            bump(record.recorded_by_id, floor_by_id[record.room_id], "hygiene_records")
        stock = sum(m.quantity for m in await StockMovement.filter(site_id=site.id, kind="consume")
                    if low <= m.at < high)
        return counts, stock

    counts, stock = demo_server.call(plain)
    got = {(f["attendant_id"], f["floor"]): {k: f[k] for k in ("rooms_cleaned", "inspections_failed",
                                                              "damage_reported", "hygiene_records")}
           for a in report["attendants"] for f in a["floors"]}
    assert got == counts
    assert report["totals"]["stock_consumed"] == stock

    # Narrowed by attendant and floor.
    narrowed = sup.get(f"{BASE}/work-report", params={"date": today, "attendant_id": attendant, "floor": 3}).json()
    assert [a["attendant_id"] for a in narrowed["attendants"]] == [attendant]
    assert {f["floor"] for f in narrowed["attendants"][0]["floors"]} == {3}
    # Downloads.
    as_csv = sup.get(f"{BASE}/work-report", params={"date": today, "format": "csv"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(as_csv.text)))
    assert ["Attendant", "Floor", "Rooms cleaned", "Inspections failed", "Damage reported",
            "Hygiene records"] in lines
    assert any(line[2:3] == [rooms[1]["number"]] for line in lines)
    as_xlsx = sup.get(f"{BASE}/work-report", params={"date": today, "format": "xlsx"})
    assert as_xlsx.status_code == 200 and as_xlsx.content[:2] == b"PK"
    # Who may, and bad input.
    assert hk.get(f"{BASE}/work-report").status_code == 403
    assert sup.get(f"{BASE}/work-report", params={"date": "2031-02-30"}).json()["errors"][0]["field"] == "date"
    assert sup.get(f"{BASE}/work-report", params={"format": "pdf"}).status_code == 422
    # A floor no unit can have (units keep it as text of 10 characters) is 422, not a failed lookup.
    too_high = sup.get(f"{BASE}/work-report", params={"floor": "9" * 20})
    assert too_high.status_code == 422 and too_high.json()["errors"][0]["field"] == "floor"
    big_id = sup.get(f"{BASE}/work-report", params={"attendant_id": "9" * 18})
    assert big_id.status_code == 422 and big_id.json()["errors"][0]["field"] == "attendant_id"


def test_supervisor_assigns_sections_and_my_rooms_follow(demo_server, desk, hk, sup, user_ids):
    attendant = user_ids["housekeeper"]
    listing = sup.get(f"{BASE}/sections").json()
    person = next(p for p in listing["attendants"] if p["id"] == attendant)
    assert person["sections"] == ["A"]
    url = f"{BASE}/sections/attendants/{attendant}"
    # "My rooms": her board is section A's rooms.
    mine = hk.get(f"{BASE}/board", params={"mine": "true"}).json()["rooms"]
    assert mine and {r["section"] for r in mine} == {"A"}
    # Someone with no section sees the whole board, on the API as on the page.
    whole = desk.get(f"{BASE}/board").json()["rooms"]
    no_section = desk.get(f"{BASE}/board", params={"mine": "true"}).json()
    assert len(no_section["rooms"]) == len(whole) > 0 and sum(no_section["counts"].values()) == len(whole)
    assert hk.put(url, json={"sections": ["B"]}).status_code == 403
    assert sup.put(url, json={"sections": ["Z"]}).json()["errors"][0]["field"] == "sections"
    assert sup.put(f"{BASE}/sections/attendants/{user_ids['frontdesk']}",
                   json={"sections": ["A"]}).json()["errors"][0]["field"] == "user_id"
    assert sup.put(url, json={"sections": ["B"], "version": person["version"] - 1}).status_code == 409
    done = sup.put(url, json={"sections": ["B"], "version": person["version"]})
    assert done.status_code == 200, done.text
    cover = {s["section"]: s["attendants"] for s in done.json()["sections"]}
    assert attendant in cover["B"] and attendant not in cover["A"]
    entries = _audit(demo_server, "hotel.section.assign", attendant)
    assert entries[-1]["after"] == {"skills": ["section:lotus:B"]} and entries[-1]["site_id"] is not None
    # The cached user was forgotten: her next request's board is section B's.
    mine = hk.get(f"{BASE}/board", params={"mine": "true"}).json()["rooms"]
    assert mine and {r["section"] for r in mine} == {"B"}
    # And guest requests follow: a section-A room no longer goes to her by section.
    room = find_room(desk, section="B", occupancy="occupied")
    made = desk.post(f"{BASE}/guest-requests", json={"room": room["number"], "title": "Towels"}).json()
    assert made["in_section"] is True and made["assignee_id"] in (attendant, user_ids["housekeeper2"])
    # Other skills are kept.
    from core.identity.models import User

    async def give_other():
        await User.filter(id=attendant).update(skills=["section:B", "english"])

    demo_server.call(give_other)
    sup.put(url, json={"sections": ["A", "B"]})
    skills = demo_server.call(lambda: User.get(id=attendant).values_list("skills", flat=True))
    assert skills == ["english", "section:lotus:A", "section:lotus:B"]  # the plain tag became this site's


def test_a_refusal_lasts_a_day_and_a_done_clean_stays_done(demo_server, desk, hk, sup):
    """The night audit takes a refusal down (not the sign); a resolved clean is not put on
    hold; a held clean is never marked overdue, however late."""
    room = find_room(desk, occupancy="occupied", service="in_service", floor=6)
    sup.post(f"{BASE}/night-audit", json={"business_date": "2031-04-01"})
    room = desk.get(f"{BASE}/rooms/{room['id']}").json()
    task = _stay_over(desk, room)
    cleaned = _clean(hk, room["id"], room["version"]).json()
    assert desk.get(f"{TASKS}/{task['id']}").json()["status"] == "resolved"
    step = desk.post(f"{BASE}/rooms/{room['id']}/service-refused", json={"on": True, "version": cleaned["version"]})
    assert step.status_code == 200
    assert desk.get(f"{TASKS}/{task['id']}").json()["status"] == "resolved"  # done stays done
    sup.post(f"{BASE}/night-audit", json={"business_date": "2031-04-02"})
    after = desk.get(f"{BASE}/rooms/{room['id']}").json()
    assert after["service_refused"] is False and after["housekeeping"] == "dirty"
    fresh = _stay_over(desk, after)
    assert fresh["id"] != task["id"] and fresh["status"] == "open"  # the new day's clean runs

    step = hk.post(f"{BASE}/rooms/{room['id']}/do-not-disturb", json={"on": True, "version": after["version"]})
    assert _task_row(demo_server, fresh["id"]).status == "waiting"
    sup.post(f"{BASE}/night-audit", json={"business_date": "2031-04-03"})
    assert desk.get(f"{BASE}/rooms/{room['id']}").json()["do_not_disturb"] is True  # the sign stays

    from core.tasks.models import Task

    async def overdue_run():
        await Task.filter(id=fresh["id"]).update(due_at=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
        await demo_server.app.state.tasks.mark_overdue()
        return await Task.get(id=fresh["id"])

    assert demo_server.call(overdue_run).overdue is False


def _events(demo_server, task_id):
    from core.tasks.models import TaskEvent

    return demo_server.call(lambda: TaskEvent.filter(task_id=task_id).order_by("id")
                            .values("kind", "from_status", "to_status", "data"))


def test_holding_an_unstarted_clean_is_not_its_start(demo_server, desk, hk, sup):
    """The sign holds an open clean straight from open: no first response, no in-progress
    step by whoever put the sign up; taken down, the task is open again."""
    room = find_room(desk, occupancy="occupied", service="in_service", floor=3)
    sup.post(f"{BASE}/night-audit", json={"business_date": "2031-05-01"})
    room = desk.get(f"{BASE}/rooms/{room['id']}").json()
    task = _stay_over(desk, room)
    before = _task_row(demo_server, task["id"])
    assert before.status == "open" and before.first_response_at is None
    on = desk.post(f"{BASE}/rooms/{room['id']}/do-not-disturb", json={"on": True, "version": room["version"]}).json()
    held = _task_row(demo_server, task["id"])
    assert held.status == "waiting" and held.first_response_at is None
    assert held.assignee_id == before.assignee_id
    moves = [(e["from_status"], e["to_status"]) for e in _events(demo_server, task["id"]) if e["to_status"]]
    assert ("open", "in_progress") not in moves and ("open", "waiting") in moves
    desk.post(f"{BASE}/rooms/{room['id']}/do-not-disturb", json={"on": False, "version": on["version"]})
    released = _task_row(demo_server, task["id"])
    assert released.status == "open" and released.first_response_at is None


def test_check_out_and_the_night_audit_release_what_the_sign_held(demo_server, desk, hk, sup):
    """Check-out takes the sign down and the night audit the refusal: the cleans they held
    go back to work (not left waiting for ever); the new departure clean runs."""
    room = find_room(desk, occupancy="occupied", service="in_service", floor=4)
    sup.post(f"{BASE}/night-audit", json={"business_date": "2031-05-02"})
    room = desk.get(f"{BASE}/rooms/{room['id']}").json()
    task = _stay_over(desk, room)
    base = f"{BASE}/rooms/{room['id']}"
    step = hk.post(f"{base}/do-not-disturb", json={"on": True, "version": room["version"]}).json()
    assert _task_row(demo_server, task["id"]).status == "waiting"
    out = desk.post(f"{base}/check-out", json={"version": step["version"]})
    assert out.status_code == 200, out.text
    assert _task_row(demo_server, task["id"]).status == "open"
    departure = [t for t in desk.get(TASKS, params={"type": "hotel.departure_clean", "limit": 200}).json()["items"]
                 if t["subject"]["id"] == room["id"] and t["status"] == "open"]
    assert len(departure) == 1

    other = find_room(desk, occupancy="occupied", service="in_service", floor=5)
    sup.post(f"{BASE}/night-audit", json={"business_date": "2031-05-03"})
    other = desk.get(f"{BASE}/rooms/{other['id']}").json()
    first = _stay_over(desk, other)
    refused = desk.post(f"{BASE}/rooms/{other['id']}/service-refused", json={"on": True, "version": other["version"]})
    assert refused.status_code == 200 and _task_row(demo_server, first["id"]).status == "waiting"
    sup.post(f"{BASE}/night-audit", json={"business_date": "2031-05-04"})
    assert desk.get(f"{BASE}/rooms/{other['id']}").json()["service_refused"] is False
    assert _task_row(demo_server, first["id"]).status == "open"


def test_the_sign_releases_only_what_it_held(demo_server, desk, hk, sup):
    """A clean its attendant paused (waiting for linen, say) stays paused when the sign
    comes down: the release takes back only the sign's own holds."""
    room = find_room(desk, occupancy="occupied", service="in_service", floor=2)
    sup.post(f"{BASE}/night-audit", json={"business_date": "2031-05-05"})
    room = desk.get(f"{BASE}/rooms/{room['id']}").json()
    task = desk.get(f"{TASKS}/{_stay_over(desk, room)['id']}").json()
    worker = hk if task["assignee_id"] != demo_server.call(_user_id("housekeeper2")) else \
        demo_server.api_client("housekeeper2")
    started = worker.post(f"{TASKS}/{task['id']}/transition", json={"to": "in_progress", "version": task["version"]})
    assert started.status_code == 200, started.text
    paused = worker.post(f"{TASKS}/{task['id']}/transition", json={"to": "waiting", "version": started.json()["version"],
                                                                  "note": "No clean linen"})
    assert paused.status_code == 200, paused.text
    base = f"{BASE}/rooms/{room['id']}"
    step = desk.post(f"{base}/do-not-disturb", json={"on": True, "version": room["version"]}).json()
    desk.post(f"{base}/do-not-disturb", json={"on": False, "version": step["version"]})
    assert _task_row(demo_server, task["id"]).status == "waiting"  # still the attendant's pause
    # A held task that was started goes back to in progress.
    resumed = worker.post(f"{TASKS}/{task['id']}/transition",
                          json={"to": "in_progress", "version": _task_row(demo_server, task["id"]).version})
    assert resumed.status_code == 200, resumed.text
    step = desk.post(f"{base}/do-not-disturb", json={"on": True, "version": step["version"] + 1}).json()
    assert _task_row(demo_server, task["id"]).status == "waiting"
    assert [e["data"] for e in _events(demo_server, task["id"]) if e["kind"] == "hotel.held"][-1]["from"] == \
        "in_progress"
    desk.post(f"{base}/do-not-disturb", json={"on": False, "version": step["version"]})
    assert _task_row(demo_server, task["id"]).status == "in_progress"


def _user_id(username):
    async def read():
        from core.identity.models import User

        return (await User.get(username=username)).id

    return read


def test_a_failed_inspection_sends_back_only_the_clean_that_made_the_room_clean(demo_server, desk, hk, sup,
                                                                                user_ids):
    """An older clean (before the room was dirty again) is not reopened; an attendant
    reopening their own clean is no failed inspection in the report."""
    room = find_room(desk, occupancy="occupied", service="in_service", section="A", floor=3)
    out = desk.post(f"{BASE}/rooms/{room['id']}/check-out", json={"version": room["version"]}).json()
    task = next(t for t in desk.get(TASKS, params={"type": "hotel.departure_clean", "limit": 200}).json()["items"]
                if t["subject"]["id"] == room["id"] and t["status"] == "open")
    cleaned = _clean(hk, room["id"], out["version"]).json()
    assert desk.get(f"{TASKS}/{task['id']}").json()["status"] == "resolved"
    # Dirty again and clean again by hand (no task): the departure clean is history now.
    dirty = hk.post(f"{BASE}/rooms/{room['id']}/housekeeping", json={"status": "dirty",
                                                                     "version": cleaned["version"]}).json()
    again = _clean(hk, room["id"], dirty["version"]).json()
    failed = sup.post(f"{BASE}/rooms/{room['id']}/housekeeping", json={"status": "dirty", "version": again["version"]})
    assert failed.status_code == 200, failed.text
    assert desk.get(f"{BASE}/rooms/{room['id']}/history").json()[-1]["kind"] == "inspection_failed"
    assert desk.get(f"{TASKS}/{task['id']}").json()["status"] == "resolved"  # not reopened

    # The clean that did make the room clean goes back, marked.
    other = find_room(desk, occupancy="occupied", service="in_service", section="A", floor=2)
    out = desk.post(f"{BASE}/rooms/{other['id']}/check-out", json={"version": other["version"]}).json()
    second = next(t for t in desk.get(TASKS, params={"type": "hotel.departure_clean", "limit": 200}).json()["items"]
                  if t["subject"]["id"] == other["id"] and t["status"] == "open")
    cleaned = _clean(hk, other["id"], out["version"]).json()
    sup.post(f"{BASE}/rooms/{other['id']}/housekeeping", json={"status": "dirty", "version": cleaned["version"]})
    assert desk.get(f"{TASKS}/{second['id']}").json()["status"] == "in_progress"
    # The attendant finishes it and reopens it herself: no inspection failed by that.
    done = hk.post(f"{TASKS}/{second['id']}/transition", json={
        "to": "resolved", "version": desk.get(f"{TASKS}/{second['id']}").json()["version"]})
    assert done.status_code == 200, done.text
    reopened = hk.post(f"{TASKS}/{second['id']}/transition", json={"to": "in_progress",
                                                                   "version": done.json()["version"]})
    assert reopened.status_code == 200, reopened.text
    today = _local_today(demo_server).isoformat()
    report = sup.get(f"{BASE}/work-report", params={"date": today}).json()
    failed_by = {(a["attendant_id"], f["floor"]): f["inspections_failed"] for a in report["attendants"]
                 for f in a["floors"] if f["inspections_failed"]}
    # Room 3's failure sent no clean back (nobody's); room 2's is the attendant's.
    assert failed_by == {(None, 3): 1, (user_ids["housekeeper"], 2): 1}


def test_sections_are_per_site(demo_server, sup, user_ids):
    """An attendant of two hotels: section A of one is not section A of the other; a plain
    ``section:A`` (before sections were per site) is still read, and assigning sections at
    one hotel keeps it for the other as that hotel's own."""
    from core.actors import Actor
    from core.entities.models import Site
    from core.identity.models import Membership, Role, User
    from plugins.hotel import floors, services
    from plugins.hotel.models import Room

    attendant = user_ids["housekeeper"]

    async def setup():
        other = await Site.create(code="seaside", name="Seaside", kind="hotel")
        await Room.create(site_id=other.id, number="101", floor=1, section="A")
        await Membership.create(user_id=attendant, site=other, role=await Role.get(name="housekeeper"))
        await User.filter(id=attendant).update(skills=["section:A"])
        user = await User.get(id=attendant)
        return services.sections_of(user, "lotus"), services.sections_of(user, "seaside")

    assert demo_server.call(setup) == (["A"], ["A"])  # the plain tag: every site
    assert sup.put(f"{BASE}/sections/attendants/{attendant}", json={"sections": ["B"]}).status_code == 200

    async def after():
        user = await User.get(id=attendant)
        return sorted(user.skills), services.sections_of(user, "lotus"), services.sections_of(user, "seaside")

    skills, lotus, seaside = demo_server.call(after)
    assert skills == ["section:lotus:B", "section:seaside:A"] and lotus == ["B"] and seaside == ["A"]

    async def at_seaside():  # assigning at the other hotel leaves lotus's alone
        other = await Site.get(code="seaside")
        boss = await User.get(username="hotelsup")
        await floors.assign_sections(other, attendant, [], Actor(user=boss, site=other))
        user = await User.get(id=attendant)
        return sorted(user.skills), services.sections_of(user, "lotus"), services.sections_of(user, "seaside")

    assert demo_server.call(at_seaside) == (["section:lotus:B"], ["B"], [])
    mine = demo_server.api_client("housekeeper").get(f"{BASE}/board", params={"mine": "true"}).json()["rooms"]
    assert mine and {r["section"] for r in mine} == {"B"}
