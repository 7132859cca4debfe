"""Event ids and the per-site event log: every live event carries an increasing id; a
stream reconnecting with ``Last-Event-ID`` (or ``?last_event_id=``) first receives what it
missed that it may see, once, then the live events; an id older than the log keeps gives
a ``resync`` event. Both databases; streams are read from a real server on loopback."""

import json
import queue
import threading

import pytest

from core import event_log
from core.entities.models import Site
from core.event_log import LiveEventRecord
from core.events import LiveEvent


class Stream:
    """Reads a site's event stream in a thread: ``next()`` waits for the next event as
    (id, name, data); ``lines`` holds every line read."""

    def __init__(self, client, site="harbour", last_event_id=None, query="", stop_after=None):
        self.events: queue.Queue = queue.Queue()
        self.lines: list[str] = []
        self.connected = threading.Event()
        self.started = threading.Event()  # its first block is read
        self.ended = threading.Event()
        self.stop_after = stop_after  # hang up after so many events
        headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
        self.path = f"/api/v1/sites/{site}/events{query}"
        self.client, self.headers = client, headers
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.connected.wait(10), "the stream did not open"

    def _read(self):
        fields: dict = {}
        try:
            with self.client.stream("GET", self.path, headers=self.headers, timeout=30) as response:
                self.status = response.status_code
                self.connected.set()
                for line in response.iter_lines():
                    self.lines.append(line)
                    if line == "":
                        self.started.set()
                        if "event" in fields:
                            self.events.put((int(fields["id"]) if "id" in fields else None, fields["event"],
                                             json.loads(fields.get("data", "null"))))
                            if self.stop_after is not None and self.events.qsize() >= self.stop_after:
                                return
                        fields = {}
                    elif not line.startswith(":"):
                        key, _, value = line.partition(": ")
                        fields[key] = value
        except Exception:
            self.connected.set()
        finally:
            self.ended.set()

    def next(self, timeout=5.0):
        return self.events.get(timeout=timeout)

    def first_id(self) -> int:
        """The id the stream sent with its first block (the site's newest event)."""
        assert self.started.wait(5)
        for line in self.lines:
            if line.startswith("id: "):
                return int(line[4:])
        raise AssertionError(f"no id line in {self.lines}")


def harbour_id(server):
    return server.call(lambda: Site.get(code="harbour")).id


def publish(server, name, n, permission=None):
    site_id = harbour_id(server)
    server.call(server.app.state.events.publish, LiveEvent(site_id, name, {"n": n}, permission=permission))


def test_every_event_carries_an_increasing_id(live_demo_server):
    stream = Stream(live_demo_server.api_client("agent2"))
    for n in range(3):
        publish(live_demo_server, "public.thing", n)
    received = [stream.next() for _ in range(3)]
    ids = [event_id for event_id, _name, _data in received]
    assert [data["n"] for _id, _name, data in received] == [0, 1, 2]
    assert all(event_id is not None for event_id in ids) and ids == sorted(ids) and len(set(ids)) == 3
    assert stream.lines[0].startswith("retry: ")
    rows = live_demo_server.call(lambda: LiveEventRecord.filter(id__in=ids).order_by("id").values("name", "data"))
    assert [row["data"]["n"] for row in rows] == [0, 1, 2]


@pytest.mark.parametrize("by", ["header", "query"])
def test_a_reconnecting_stream_receives_what_it_missed_once_then_live_events(live_demo_server, by):
    agent2 = live_demo_server.api_client("agent2")
    stream = Stream(agent2, stop_after=1)
    publish(live_demo_server, "public.thing", 1)
    last_id, _name, _data = stream.next()
    assert stream.ended.wait(5)
    # Meanwhile: two events it may see, and one it may not (agents lack core.user.manage).
    publish(live_demo_server, "public.thing", 2)
    publish(live_demo_server, "secret.thing", 3, permission="core.user.manage")
    publish(live_demo_server, "public.thing", 4)
    agent2 = live_demo_server.api_client("agent2")
    if by == "header":
        again = Stream(agent2, last_event_id=last_id)
    else:
        again = Stream(agent2, query=f"?last_event_id={last_id}")
    replayed = [again.next(), again.next()]
    assert [(name, data["n"]) for _id, name, data in replayed] == [("public.thing", 2), ("public.thing", 4)]
    assert all(event_id > last_id for event_id, _name, _data in replayed)
    publish(live_demo_server, "public.thing", 5)
    event_id, name, data = again.next()
    assert (name, data["n"]) == ("public.thing", 5) and event_id > replayed[-1][0]
    with pytest.raises(queue.Empty):  # nothing twice
        again.next(timeout=0.5)


def test_a_stream_that_saw_no_event_misses_nothing_when_it_reconnects(live_demo_server):
    """A new stream starts with the site's newest id, which the browser sends back."""
    stream = Stream(live_demo_server.api_client("agent2"))
    start = stream.first_id()
    publish(live_demo_server, "public.thing", 7)
    again = Stream(live_demo_server.api_client("agent2"), last_event_id=start)
    assert again.next()[1:] == ("public.thing", {"n": 7})


def test_an_id_older_than_the_log_keeps_gives_a_resync(live_demo_server):
    agent2 = live_demo_server.api_client("agent2")
    stream = Stream(agent2, stop_after=1)
    publish(live_demo_server, "public.thing", 0)
    old_id = stream.next()[0]
    for n in range(1, 6):
        publish(live_demo_server, "public.thing", n)
    site_id = harbour_id(live_demo_server)
    dropped = live_demo_server.call(event_log.prune, 2, 0)
    assert dropped >= 4
    kept = live_demo_server.call(lambda: LiveEventRecord.filter(site_id=site_id).count())
    assert kept == 2
    again = Stream(live_demo_server.api_client("agent2"), last_event_id=old_id)
    event_id, name, _data = again.next()
    newest = live_demo_server.call(event_log.newest, site_id)
    assert name == "resync" and event_id == newest  # reconnecting from here misses nothing
    # From the resync's id: nothing to replay, no second resync.
    third = Stream(live_demo_server.api_client("agent2"), last_event_id=event_id)
    with pytest.raises(queue.Empty):
        third.next(timeout=0.5)


def test_pruning_keeps_each_sites_newest_events_and_drops_old_ones(server, clock):
    import datetime as dt

    async def fill():
        for site_id in (1, 2):
            for n in range(5):
                await event_log.append(site_id, "x", {"n": n}, None, (), "test")

    server.call(fill)
    assert server.call(event_log.prune, 3, 0) == 4  # two of each site
    assert server.call(lambda: LiveEventRecord.filter(site_id=1).count()) == 3
    # An hour later with a 30-minute limit: all old, but each site keeps its newest.
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    assert server.call(event_log.prune, 3, 30, later) == 4
    rows = server.call(lambda: LiveEventRecord.all().order_by("site_id").values("site_id", "data"))
    assert [(row["site_id"], row["data"]["n"]) for row in rows] == [(1, 4), (2, 4)]


def test_replay_is_empty_for_a_quiet_site_and_a_resync_beyond_the_limit(server):
    async def fill():
        for n in range(5):
            await event_log.append(1, "x", {"n": n}, None, (), "test")

    assert server.call(event_log.after, 9, 3) == []  # nothing recorded for that site
    server.call(fill)
    first = server.call(lambda: LiveEventRecord.filter(site_id=1).order_by("id").first()).id
    assert [row["data"]["n"] for row in server.call(event_log.after, 1, first)] == [1, 2, 3, 4]
    assert server.call(event_log.after, 1, first, 3) is None  # more than the limit: resync
    assert [row["data"]["n"] for row in server.call(event_log.after, 1, 0)] == [0, 1, 2, 3, 4]


def test_the_bus_stopping_ends_open_streams_with_a_retry_hint(live_demo_server):
    stream = Stream(live_demo_server.api_client("agent2"))
    live_demo_server.call(lambda: _end(live_demo_server))
    assert stream.ended.wait(5), "the stream outlived the bus"
    assert "retry: 1000" in stream.lines


async def _end(server):
    server.app.state.events.end_streams()
