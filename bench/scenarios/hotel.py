"""Hotel benchmarks on a 2,000-room hotel (the size is fixed: the targets are per hotel).

- the live board page and ``GET /board`` JSON with every room;
- a room status change (conditional update, room event, audit entry, live event);
- a change reaching a board (SSE client) served by another worker process (PostgreSQL).
"""

from __future__ import annotations

import json
import statistics
import threading
import time

import httpx

from bench import loadgen, servers
from bench.data import PASSWORD
from bench.scenarios import Section

TITLE = "Hotel room board"
TARGETS = ("2,000-room board page p50 < 50 ms; GET /board JSON p50 < 30 ms; a room status change p50 < 10 ms; "
           "a change reaching a board on another worker within 1 s p95 (PostgreSQL)")
ROOMS = 2000
FLOORS = 40
USER = "benchhotel"


async def prepare(url: str, ids: dict, scale: float) -> dict:
    import random

    from core.actors import Actor
    from core.entities import services as entities
    from core.identity import services as identity
    from core.identity.models import Role
    from plugins.hotel.rooms import _insert

    site = await entities.create_site({"code": "benchhotel", "name": "Benchmark Hotel", "kind": "hotel",
                                       "timezone": "Asia/Taipei", "currency": "TWD"})
    roles = {role.name: role for role in await Role.all()}
    user = await identity.create_user(USER, PASSWORD)
    await identity.grant_membership(user, site, roles["supervisor"])
    rng = random.Random(11)
    rows = []
    for index in range(ROOMS):
        floor = index // (ROOMS // FLOORS) + 1
        occupancy = "occupied" if rng.random() < 0.6 else "vacant"
        rows.append({"number": f"{floor}{index % (ROOMS // FLOORS) + 1:02d}", "floor": floor, "room_type": "Double",
                     "section": f"S{floor % 8}", "occupancy": occupancy,
                     "housekeeping": rng.choice(("dirty", "pickup", "clean", "inspected")),
                     "service": "out_of_order" if rng.random() < 0.02 else "in_service"})
    rooms = await _insert(site, rows, Actor(user, site), "created")
    return {"rooms": len(rooms), "room_ids": [room.id for room in rooms]}


def measure(server_url: str, database_url: str, backend: str, context: dict, seconds: int) -> Section:
    token = servers.token(server_url, USER, PASSWORD)
    auth = {"Authorization": f"Bearer {token}"}
    base = f"{server_url}/api/v1/sites/benchhotel/hotel"
    room_id = context["room_ids"][0]
    change = json.dumps({"occupancy": "occupied"})
    json_headers = {**auth, "Content-Type": "application/json"}
    results = [
        loadgen.wrk(f"GET /board JSON, {ROOMS} rooms (1 connection)", f"{base}/board", seconds=seconds,
                    headers=auth, connections=1),
        loadgen.wrk(f"GET board page, {ROOMS} tiles (1 connection)", f"{server_url}/sites/benchhotel/hotel/",
                    seconds=seconds, headers={**auth, "Accept": "text/html"}, connections=1),
        loadgen.wrk("POST a room status change (observed; event, audit, live event) (1 connection)",
                    f"{base}/rooms/{room_id}/observed", seconds=seconds, method="POST", body=change,
                    headers=json_headers, connections=1),
        loadgen.wrk("POST a room status change (4 connections)", f"{base}/rooms/{room_id}/observed",
                    seconds=seconds, method="POST", body=change, headers=json_headers, connections=4),
    ]
    section = Section(results=results, sizes={"rooms": context["rooms"]})
    if backend == "postgres":
        sse = across_workers(database_url, context["room_ids"])
        if sse.get("received"):
            section.notes.append(
                f"hotel.room.changed across two server processes: {sse['received']}/{sse['sent']} received, "
                f"p50 {sse['p50_ms']:.1f} ms, p95 {sse['p95_ms']:.1f} ms, max {sse['max_ms']:.1f} ms (from the "
                "start of the housekeeping POST on one worker to arrival on the other's board stream).")
        else:
            section.notes.append(f"hotel.room.changed across processes: none of {sse['sent']} arrived.")
    else:
        section.notes.append("Room changes cross processes on PostgreSQL only (LISTEN/NOTIFY); not measured here.")
    return section


def across_workers(database_url: str, room_ids: list[int], count: int = 200) -> dict:
    """Two server processes: housekeeping changes posted to one, the board stream read
    from the other. Latency = arrival on the stream - start of the POST."""
    with servers.serve(database_url) as writer, servers.serve(database_url) as reader:
        token = servers.token(writer, USER, PASSWORD)
        headers = {"Authorization": f"Bearer {token}"}
        arrivals: dict[tuple[int, int], float] = {}
        ready = threading.Event()
        stop = threading.Event()

        def listen():
            with httpx.Client(timeout=60) as client:
                with client.stream("GET", f"{reader}/api/v1/sites/benchhotel/events", headers=headers) as stream:
                    ready.set()
                    name = None
                    for line in stream.iter_lines():
                        if stop.is_set():
                            return
                        if line.startswith("event: "):
                            name = line[7:]
                        elif line.startswith("data: ") and name == "hotel.room.changed":
                            room = json.loads(line[6:])
                            arrivals[(room["id"], room["version"])] = time.perf_counter()

        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        ready.wait(10)
        time.sleep(0.5)
        sent: dict[tuple[int, int], float] = {}
        base = f"{writer}/api/v1/sites/benchhotel/hotel/rooms"
        with httpx.Client(timeout=30) as client:
            for number in range(count):
                room_id = room_ids[(number + 1) % len(room_ids)]
                room = client.get(f"{base}/{room_id}", headers=headers).json()
                status = "clean" if room["housekeeping"] != "clean" else "dirty"
                started = time.perf_counter()
                response = client.post(f"{base}/{room_id}/housekeeping", headers=headers,
                                       json={"status": status, "version": room["version"]})
                if response.status_code == 200:
                    sent[(room_id, response.json()["version"])] = started
        deadline = time.monotonic() + 10
        while len(arrivals) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
    latencies = sorted((arrivals[key] - sent[key]) * 1000 for key in sent if key in arrivals)
    if not latencies:
        return {"received": 0, "sent": len(sent)}
    return {"sent": len(sent), "received": len(latencies), "p50_ms": statistics.median(latencies),
            "p95_ms": latencies[max(0, int(len(latencies) * 0.95) - 1)], "max_ms": latencies[-1]}
