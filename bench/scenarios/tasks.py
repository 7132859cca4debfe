"""Task kernel benchmarks.

- listing one user's open tasks (a page of 50) with 1,000,000 tasks and 10,000,000 events;
- creating a task (with its history event, audit entry and live event);
- an event published by one worker reaching an SSE client of another (PostgreSQL).
"""

from __future__ import annotations

import json
import statistics
import threading
import time

import httpx

from pathlib import Path

from bench import data, loadgen, servers
from bench.data import PASSWORD
from bench.scenarios import Section

TITLE = "Task kernel"
TARGETS = ("a user's open tasks (page of 50) p50 < 20 ms; creating a task (event, audit entry and live event in "
           "one transaction) p50 < 10 ms; an event from one worker reaching another worker's SSE client within "
           "200 ms p95")
FULL_TASKS = 1_000_000
EVENTS_PER_TASK = 10
#: The targets, in milliseconds.
LIST_P50_MS = 20
CREATE_P50_MS = 10
LIVE_EVENT_P95_MS = 200


async def prepare(url: str, ids: dict, scale: float) -> dict:
    tasks = max(1000, int(FULL_TASKS * scale))
    if url.startswith("sqlite://"):
        data.fill_sqlite(Path(url[len("sqlite://"):].partition("?")[0]), tasks, EVENTS_PER_TASK, ids)
    else:
        await data.fill_postgres(url, tasks, EVENTS_PER_TASK, ids)
    return {"tasks": tasks}


def measure(server_url: str, database_url: str, backend: str, context: dict, seconds: int) -> Section:
    results = list_and_create(server_url, context["ids"], seconds)
    section = Section(results=results,
                      sizes={"tasks": context["tasks"], "task events": context["tasks"] * EVENTS_PER_TASK})
    listing, creating = results[0], results[1]
    section.check("tasks", f"my open tasks (page of 50) p50 < {LIST_P50_MS} ms", f"{listing.p50_ms:.1f} ms",
                  listing.errors == 0 and listing.p50_ms < LIST_P50_MS)
    section.check("tasks", f"creating a task p50 < {CREATE_P50_MS} ms", f"{creating.p50_ms:.1f} ms",
                  creating.errors == 0 and creating.p50_ms < CREATE_P50_MS)
    section.notes.append("Throughput of the same list at 8 connections, beside the raw driver's: see \"Framework "
                         "and ORM overhead\".")
    if backend == "postgres":
        sse = sse_across_workers(database_url)
        target = f"live event across workers p95 < {LIVE_EVENT_P95_MS} ms (PostgreSQL)"
        if sse.get("received"):
            section.notes.append(
                f"Live event across two server processes (LISTEN/NOTIFY): {sse['received']}/{sse['sent']} received, "
                f"p50 {sse['p50_ms']:.1f} ms, p95 {sse['p95_ms']:.1f} ms, max {sse['max_ms']:.1f} ms (from the start "
                "of the POST on one worker to arrival on the other's stream).")
            complete = sse["received"] == sse["sent"]
            section.check("tasks", target, f"{sse['p95_ms']:.1f} ms" + ("" if complete else
                                                                       f", {sse['received']}/{sse['sent']} arrived"),
                          complete and sse["p95_ms"] < LIVE_EVENT_P95_MS)
        else:
            section.notes.append(f"Live event across processes: none of {sse['sent']} arrived.")
            section.check("tasks", target, f"none of {sse['sent']} arrived", False)
    else:
        section.notes.append("Live events cross processes on PostgreSQL only (LISTEN/NOTIFY); not measured here.")
    return section


def list_and_create(url: str, ids: dict, seconds: int) -> list[loadgen.Result]:
    """The list and the create at 1 connection (the server's own time per request: the
    targets), then the create at 4 (throughput, where latency includes waiting in line).
    The list's throughput is measured beside the raw driver's (bench.run.measure_baselines)."""
    agent_token = servers.token(url, "bench00", PASSWORD)
    auth = {"Authorization": f"Bearer {agent_token}"}
    agent_id = ids["agent_ids"][0]
    listing_url = f"{url}/api/v1/sites/bench/tasks?assignee_id={agent_id}&open=true&limit=50"
    create_body = json.dumps({"type": "core.general", "title": "Benchmark task"})
    json_headers = {**auth, "Content-Type": "application/json"}
    return [
        loadgen.wrk("GET my open tasks, page of 50 (1 connection)", listing_url, seconds=seconds, headers=auth,
                    connections=1),
        loadgen.wrk("POST create a task (1 connection)", f"{url}/api/v1/sites/bench/tasks", seconds=seconds,
                    method="POST", body=create_body, headers=json_headers, connections=1),
        loadgen.wrk("POST create a task (4 connections)", f"{url}/api/v1/sites/bench/tasks", seconds=seconds,
                    method="POST", body=create_body, headers=json_headers, connections=4),
    ]


def sse_across_workers(database_url: str, count: int = 200) -> dict:
    """Two server processes on one PostgreSQL database: tasks created through the first,
    events read from the second. Latency = arrival on the stream - start of the POST."""
    with servers.serve(database_url) as writer, servers.serve(database_url) as reader:
        token = servers.token(writer, "bench01", PASSWORD)
        headers = {"Authorization": f"Bearer {token}"}
        arrivals: dict[int, float] = {}
        ready = threading.Event()
        stop = threading.Event()

        def listen():
            with httpx.Client(timeout=60) as client:
                with client.stream("GET", f"{reader}/api/v1/sites/bench/events", headers=headers) as stream:
                    ready.set()
                    name = None
                    for line in stream.iter_lines():
                        if stop.is_set():
                            return
                        if line.startswith("event: "):
                            name = line[7:]
                        elif line.startswith("data: ") and name == "task.created":
                            arrivals[json.loads(line[6:])["id"]] = time.perf_counter()

        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        ready.wait(10)
        time.sleep(0.5)
        sent: dict[int, float] = {}
        with httpx.Client(timeout=30) as client:
            for number in range(count):
                started = time.perf_counter()
                response = client.post(f"{writer}/api/v1/sites/bench/tasks", headers=headers,
                                       json={"type": "core.general", "title": f"SSE probe {number}"})
                sent[response.json()["id"]] = started
        deadline = time.monotonic() + 10
        while len(arrivals) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
    latencies = sorted((arrivals[task_id] - sent[task_id]) * 1000 for task_id in sent if task_id in arrivals)
    if not latencies:
        return {"received": 0, "sent": len(sent)}
    return {"sent": len(sent), "received": len(latencies), "p50_ms": statistics.median(latencies),
            "p95_ms": latencies[max(0, int(len(latencies) * 0.95) - 1)], "max_ms": latencies[-1]}
