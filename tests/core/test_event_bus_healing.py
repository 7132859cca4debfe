"""The event bus heals (PostgreSQL): its LISTEN connection killed, it reconnects, listens
again and delivers what other processes published meanwhile, none lost, none twice; while
it cannot reconnect, /readyz says so (still 200), its own events still reach other
processes through the pool, with one warning for the outage; a browser reconnecting
with Last-Event-ID receives what it missed. Two server processes' worth of apps (each its
own bus) on one database."""

import logging
import queue
import time

import pytest

from core import events as events_module
from core.entities.models import Site
from core.events import LiveEvent
from tests.core.test_event_replay import Stream


@pytest.fixture(autouse=True)
def postgres_only(database_backend):
    if database_backend != "postgres":
        pytest.skip("the bus listens on PostgreSQL; SQLite keeps events in one process")


def harbour_id(server):
    return server.call(lambda: Site.get(code="harbour")).id


def publish(server, n, name="public.thing"):
    server.call(server.app.state.events.publish, LiveEvent(harbour_id(server), name, {"n": n}))


async def _terminate(pid):
    from tortoise.connection import get_connection

    await get_connection("default").execute_query("SELECT pg_terminate_backend($1)", [pid])


def kill_listening_connection(server, by):
    """What a PostgreSQL restart, a failover or an idle-connection killer does to it."""
    pid = server.app.state.events._connection.get_server_pid()
    by.call(_terminate, pid)
    return pid


def wait_for(condition, within=5.0):
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_killed_listening_connection_heals_and_nothing_is_lost(make_live_demo_app):
    writer, reader = make_live_demo_app(), make_live_demo_app()
    bus = reader.app.state.events
    stream = Stream(reader.api_client("agent2"))
    publish(writer, 0)
    assert stream.next()[2] == {"n": 0}  # crossing processes
    reader.app.state.principals._grants[999] = "kept"  # a cache entry the outage must drop
    killed_at = time.monotonic()
    old_pid = kill_listening_connection(reader, by=writer)
    for n in range(1, 6):  # published at once: most while the reader is not listening
        publish(writer, n)
    received = [stream.next(timeout=5) for _ in range(5)]
    assert time.monotonic() - killed_at < 5
    assert [data["n"] for _id, _name, data in received] == [1, 2, 3, 4, 5]
    with pytest.raises(queue.Empty):  # none twice (caught up from the log and heard live)
        stream.next(timeout=0.5)
    wait_for(lambda: bus.crosses_processes())
    assert bus.reconnects == 1 and bus.outages == 1 and bus.last_outage_seconds < 5
    assert bus._connection.get_server_pid() != old_pid
    assert 999 not in reader.app.state.principals._grants
    publish(writer, 6)  # and live again
    assert stream.next()[2] == {"n": 6}
    metrics = reader.api_client("admin").get("/metrics").text
    assert "frontdesk_event_bus_reconnects 1.0" in metrics and "frontdesk_event_bus_connected 1.0" in metrics


def test_while_it_cannot_reconnect_readyz_says_so_and_publishing_goes_on(make_live_demo_app, monkeypatch, caplog):
    monkeypatch.setattr(events_module, "BACKOFF_CAP", 0.3)
    writer, reader = make_live_demo_app(), make_live_demo_app()
    bus = reader.app.state.events
    writer_stream = Stream(writer.api_client("agent2"))
    agent2 = reader.api_client("agent2")
    reader_stream = Stream(agent2, stop_after=1)
    publish(writer, 0)
    last_id = reader_stream.next()[0]  # then this browser loses its stream
    assert writer_stream.next()[2] == {"n": 0}
    live_stream = Stream(reader.api_client("agent2"))  # stays open through the outage
    good_dsn = bus._dsn
    bus._dsn = "postgresql://nobody@127.0.0.1:9/none"  # PostgreSQL unreachable for this bus
    caplog.set_level(logging.WARNING, logger="frontdesk.events")
    kill_listening_connection(reader, by=writer)
    wait_for(lambda: bus.state == "reconnecting")
    ready = reader.client().get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded" and ready.json()["events"] == "reconnecting"
    assert not bus.crosses_processes()
    for n in range(1, 4):  # the reader's own events still reach the writer (through the pool)
        publish(reader, n)
    assert [writer_stream.next()[2]["n"] for _ in range(3)] == [1, 2, 3]
    for n in range(4, 7):  # the writer's do not reach the reader yet
        publish(writer, n)
    assert [live_stream.next()[2]["n"] for _ in range(3)] == [1, 2, 3]  # its own, locally
    with pytest.raises(queue.Empty):
        live_stream.next(timeout=0.5)
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING
                and record.name == "frontdesk.events"]
    messages = [record.getMessage() for record in warnings]
    # One for the outage (and a few for the failing reconnection), none per event published.
    assert len([m for m in messages if "lost its PostgreSQL connection" in m]) == 1, messages
    assert all("lost its PostgreSQL connection" in m or "reconnecting failed" in m for m in messages), messages
    assert not any(record.exc_info for record in warnings)
    bus._dsn = good_dsn  # PostgreSQL is back
    assert [live_stream.next(timeout=5)[2]["n"] for _ in range(3)] == [4, 5, 6]  # caught up
    assert reader.client().get("/readyz").json() == {"status": "ok", "database": "ok", "pending_migrations": [],
                                                     "events": "connected"}
    # The browser that lost its stream comes back with the last id it saw: all it missed, once.
    again = Stream(reader.api_client("agent2"), last_event_id=last_id)
    assert [again.next()[2]["n"] for _ in range(6)] == [1, 2, 3, 4, 5, 6]
    with pytest.raises(queue.Empty):
        again.next(timeout=0.5)


def test_a_failed_health_check_is_noticed(make_demo_app):
    server = make_demo_app()
    bus = server.app.state.events
    assert bus.crosses_processes()

    async def silent_drop():  # the socket goes away without a word (no termination notice)
        bus._connection._transport.abort()
        await bus._health_check()

    server.call(silent_drop)
    assert bus.state in ("reconnecting", "connected") and bus.outages == 1
    wait_for(lambda: bus.crosses_processes())
    assert bus.reconnects == 1


def test_an_event_too_big_for_a_notify_arrives_whole_from_the_log(make_live_demo_app):
    writer, reader = make_live_demo_app(), make_live_demo_app()
    stream = Stream(reader.api_client("agent2"))
    big = {"id": 5, "text": "x" * 20000}
    writer.call(writer.app.state.events.publish, LiveEvent(harbour_id(writer), "big.thing", big))
    assert stream.next()[1:] == ("big.thing", big)
