"""Server-sent events: a site's live changes, filtered by site and permission, and
shared between server processes on PostgreSQL. Streams are endless, so these tests read
them from a real server on loopback (``live_demo_server``) while other clients write."""

import json
import queue
import threading
import time

import pytest

from core.events import LiveEvent
from tests.core.tasks.conftest import new_task


class Listener:
    """Reads an SSE stream in a thread; ``next_event()`` waits for the next one."""

    def __init__(self, client, site="harbour"):
        self.events: queue.Queue = queue.Queue()
        self.connected = threading.Event()
        self.client = client
        self.thread = threading.Thread(target=self._read, args=(f"/api/v1/sites/{site}/events",), daemon=True)
        self.thread.start()
        assert self.connected.wait(10), "the stream did not open"

    def _read(self, path):
        name = None
        try:
            with self.client.stream("GET", path, timeout=30) as response:
                self.status = response.status_code
                self.connected.set()
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        name = line[len("event: "):]
                    elif line.startswith("data: "):
                        self.events.put((name, json.loads(line[len("data: "):]), time.monotonic()))
        except Exception:
            self.connected.set()

    def next_event(self, timeout=5.0):
        return self.events.get(timeout=timeout)


def test_a_created_task_reaches_open_streams_of_the_site(live_demo_server):
    listener = Listener(live_demo_server.api_client("agent2"))
    task = new_task(live_demo_server.api_client("agent"))
    name, data, _at = listener.next_event()
    assert name == "task.created" and data["id"] == task["id"]


def test_streams_are_filtered_by_site_and_permission(live_demo_server):
    demo_server = live_demo_server
    admin_stream = Listener(demo_server.api_client("admin"))
    agent_stream = Listener(demo_server.api_client("agent"))
    lotus_stream = Listener(demo_server.api_client("admin"), site="lotus")
    harbour_id = demo_server.call(lambda: __import__("core.entities.models", fromlist=["Site"]).Site.get(code="harbour")).id
    bus = demo_server.app.state.events
    demo_server.call(bus.publish, LiveEvent(harbour_id, "secret.thing", {"n": 1}, permission="core.user.manage"))
    demo_server.call(bus.publish, LiveEvent(harbour_id, "public.thing", {"n": 2}))
    assert admin_stream.next_event()[0] == "secret.thing"
    assert agent_stream.next_event()[0] == "public.thing"  # the secret one was not for agents
    with pytest.raises(queue.Empty):
        lotus_stream.next_event(timeout=1)


def test_a_non_member_cannot_open_another_sites_stream(demo_server):
    assert demo_server.api_client("agent").get("/api/v1/sites/lotus/events").status_code == 404


def test_events_cross_server_processes_on_postgres(make_live_demo_app, database_backend):
    if database_backend != "postgres":
        pytest.skip("events cross processes through PostgreSQL LISTEN/NOTIFY; SQLite keeps them in one process")
    writer, reader = make_live_demo_app(), make_live_demo_app()
    # The reader's app LISTENs from its start, and the stream subscribes before its first byte.
    listener = Listener(reader.api_client("agent2"))
    started = time.monotonic()
    task = new_task(writer.api_client("agent"))
    name, data, arrived = listener.next_event()
    assert name == "task.created" and data["id"] == task["id"]
    assert arrived - started < 2.0
