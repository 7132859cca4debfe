"""The live event bus: plugins and core publish, browsers receive (server-sent events).

Within a process, events fan out to subscriber queues. On PostgreSQL they also cross
processes and machines through LISTEN/NOTIFY on one channel, so several workers share
one live view; each process skips its own echoes. On SQLite (one machine, normally one
worker) events stay in the process.

Every event is first recorded in the per-site event log (``core.event_log``): its row id
is the event's id, which streams send so that a browser reconnecting with
``Last-Event-ID`` receives what it missed. On PostgreSQL the record and the NOTIFY are one
statement on the bus's own connection.

The listening connection heals: its loss is noticed (asyncpg's termination listener, a
failed publish, a health check every ``HEALTH_SECONDS``), and the bus reconnects with
capped, jittered exponential backoff, listens again on every channel, tells whoever asked
(``on_reconnect``: the identity and site caches forget what they hold, their notices may
have been missed) and delivers the events other processes published meanwhile, from the
log. While it reconnects, publishing goes on through the app's pool (the events still reach
the log and other processes), with one WARNING for the outage, not one per event.
``state`` and ``reconnects`` report it (``/readyz``, ``/metrics``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from core import event_log

log = logging.getLogger("frontdesk.events")

CHANNEL = "frontdesk_events"
#: PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
MAX_PAYLOAD = 7900
#: A subscriber that falls this far behind loses the oldest events rather than memory.
QUEUE_SIZE = 1000
#: The permission of an event meant only for the users it names (``LiveEvent.users``): no
#: role holds it, so an incoming call pops on one agent's page and a notification rings one
#: person's bell, never their colleagues'.
ONLY_NAMED_USERS = "core.only-named-users"
#: Seconds between two checks that the listening connection still answers (a silent network
#: drop gives no termination notice), and how long the check may take.
HEALTH_SECONDS = 15.0
HEALTH_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
#: A publish on the listening connection that takes longer means the connection is gone
#: (a silent network drop): the event goes through the pool instead.
PUBLISH_TIMEOUT = 2.0
#: Reconnection delays: BACKOFF_BASE × 2^attempt, at most BACKOFF_CAP, times a jitter in [0.5, 1].
BACKOFF_BASE = 0.25
BACKOFF_CAP = 10.0
#: At most this many missed events are delivered after a reconnect.
CATCH_UP_LIMIT = 10000
#: Ids of delivered events remembered, so that an event heard twice (caught up from the
#: log and heard live) reaches subscribers once.
RECENT_IDS = 4096

#: The bus's states: events stay in this process (SQLite, or not started); events cross
#: processes; the listening connection is lost and being re-made; the app is stopping.
LOCAL, CONNECTED, RECONNECTING, STOPPED = "local", "connected", "reconnecting", "stopped"


@dataclass(frozen=True)
class LiveEvent:
    site_id: int
    name: str
    data: dict[str, Any]
    #: Only subscribers holding this permission at the site receive the event.
    permission: str | None = None
    #: Users who receive it at the site even without ``permission`` (a task's watchers).
    users: tuple[int, ...] = ()
    #: Its row in the event log (``core.event_log``): increasing within a site; None when it
    #: could not be recorded (the stream then sends it without an id).
    id: int | None = None


@dataclass(eq=False)
class Subscription:
    site_id: int
    permissions: frozenset[str]
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    #: Whose stream this is (events naming them in ``LiveEvent.users`` reach it).
    user_id: int | None = None

    def wants(self, event: LiveEvent) -> bool:
        return event.site_id == self.site_id and (event.permission is None or event.permission in self.permissions
                                                  or (self.user_id is not None and self.user_id in event.users))

    def offer(self, event: LiveEvent | None) -> None:
        if self.queue.full():
            self.queue.get_nowait()  # drop the oldest: a stalled browser must not grow memory
        self.queue.put_nowait(event)


class EventBus:
    def __init__(self) -> None:
        self.origin = uuid.uuid4().hex
        self.subscriptions: set[Subscription] = set()
        self._connection = None  # asyncpg connection: LISTEN and NOTIFY
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Other channels heard on the same connection (channel -> callback(payload)),
        #: e.g. identity changes for ``core.identity.principals``.
        self._channels: dict[str, Callable[[str], None]] = {}
        self._reconnected: list[Callable[[], None]] = []
        self._dsn: str | None = None
        #: LOCAL, CONNECTED, RECONNECTING or STOPPED (see above).
        self.state = LOCAL
        #: Times the listening connection was lost, and re-made.
        self.outages = 0
        self.reconnects = 0
        #: Seconds the last outage lasted (from its notice to listening again).
        self.last_outage_seconds: float | None = None
        #: Whether events are recorded in the event log (and carry ids).
        self.record = True
        self._lost_at = 0.0
        self._wake: asyncio.Event | None = None
        self._supervisor: asyncio.Task | None = None
        self._closing = False
        self._high_water = 0  # the highest event id this process has delivered
        self._recent: deque[int] = deque(maxlen=RECENT_IDS)
        self._recent_set: set[int] = set()
        self._held: list[LiveEvent] | None = None  # notices heard while catching up
        self._log_failing = False

    async def start(self, postgres_dsn: str | None) -> None:
        self._loop = asyncio.get_running_loop()
        self._closing = False
        if not postgres_dsn:
            self.state = LOCAL
            return
        self._dsn = postgres_dsn
        self._wake = asyncio.Event()
        try:
            await self._connect()
            self._high_water = await self._newest_id()
        except Exception as error:
            log.warning("event bus: cannot listen on PostgreSQL (%s); reconnecting", _reason(error))
            self._lost_at, self.outages = time.monotonic(), self.outages + 1
            self.state = RECONNECTING
        self._supervisor = self._loop.create_task(self._supervise(), name="event bus")

    def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        """Hear ``channel``'s NOTIFY payloads from every process (call before ``start``).
        Only on PostgreSQL; elsewhere nothing crosses processes (``crosses_processes``)."""
        self._channels[channel] = callback

    def on_reconnect(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` each time the bus listens again after losing its connection
        (notices on the channels may have been missed meanwhile: caches forget)."""
        self._reconnected.append(callback)

    def crosses_processes(self) -> bool:
        """Whether notices from other processes can reach this one right now."""
        return self.state == CONNECTED and self._connection is not None and not self._connection.is_closed()

    @staticmethod
    def _other_channel(callback: Callable[[str], None]):
        def heard(_connection, _pid, _channel, payload: str) -> None:
            try:
                callback(payload)
            except Exception:
                log.warning("a listener of %s failed", _channel, exc_info=True)
        return heard

    # --- the listening connection and its healing --------------------------------------

    async def _connect(self) -> None:
        import asyncpg

        # The event log is a convenience for reconnecting browsers, not a record of business:
        # its inserts need not wait for the disk (a crash may lose the last few, never data).
        connection = await asyncpg.connect(self._dsn, timeout=CONNECT_TIMEOUT,
                                           server_settings={"synchronous_commit": "off"})
        try:
            connection.add_termination_listener(self._terminated)
            await connection.add_listener(CHANNEL, self._on_notify)
            for channel, callback in self._channels.items():
                await connection.add_listener(channel, self._other_channel(callback))
        except BaseException:
            connection.terminate()
            raise
        self._connection = connection
        self.state = CONNECTED

    async def _newest_id(self) -> int:
        try:
            async with self._lock:
                return await self._connection.fetchval("SELECT coalesce(max(id), 0) FROM core_live_event") or 0
        except Exception as error:  # no table yet (migrations pending): nothing to catch up
            log.info("event bus: no event log to read (%s)", _reason(error))
            return 0

    def _terminated(self, connection) -> None:
        if connection is self._connection:
            self._lost("the connection was closed")

    def _lost(self, reason: str) -> None:
        """The listening connection is gone: say so once and let the supervisor reconnect."""
        if self.state != CONNECTED:
            return
        self.state = RECONNECTING
        self.outages += 1
        self._lost_at = time.monotonic()
        log.warning("event bus: lost its PostgreSQL connection (%s); events from other processes "
                    "wait until it reconnects", reason)
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            connection.terminate()
        if self._wake is not None:
            self._wake.set()

    async def _supervise(self) -> None:
        attempt = 0
        while not self._closing:
            if self.state == CONNECTED:
                try:
                    await asyncio.wait_for(self._wake.wait(), HEALTH_SECONDS)
                except asyncio.TimeoutError:
                    await self._health_check()
                self._wake.clear()
                continue
            await asyncio.sleep(min(BACKOFF_CAP, BACKOFF_BASE * 2 ** attempt) * random.uniform(0.5, 1.0))  # noqa: S311 (jitter)
            if self._closing:
                return
            try:
                await self._connect()
            except Exception as error:
                attempt += 1
                if attempt in (1, 10) or attempt % 100 == 0:
                    log.warning("event bus: reconnecting failed %d time(s) (%s); trying again", attempt,
                                _reason(error))
                continue
            attempt = 0
            await self._healed()

    async def _health_check(self) -> None:
        connection = self._connection
        if connection is None:
            return
        try:
            async with self._lock:
                await connection.fetchval("SELECT 1", timeout=HEALTH_TIMEOUT)
        except Exception as error:
            if connection is self._connection:
                self._lost(f"health check: {_reason(error)}")

    async def _healed(self) -> None:
        self.reconnects += 1
        self.last_outage_seconds = time.monotonic() - self._lost_at
        log.warning("event bus: listening again after %.1f s", self.last_outage_seconds)
        for callback in self._reconnected:
            try:
                callback()
            except Exception:
                log.warning("event bus: a reconnection callback failed", exc_info=True)
        await self._catch_up()

    async def _catch_up(self) -> None:
        """Deliver what other processes published while this one was not listening (from
        the event log); notices heard meanwhile wait so that order holds."""
        if not self.record or self._high_water <= 0:
            self._high_water = max(self._high_water, await self._newest_id())
            return
        self._held = []
        try:
            async with self._lock:
                rows = await self._connection.fetch(event_log.POSTGRES_AFTER, self._high_water, self.origin,
                                                    CATCH_UP_LIMIT)
            for row in rows:
                self._deliver(LiveEvent(**event_log.row_values(row)))
            if rows:
                log.info("event bus: delivered %d event(s) published while it was reconnecting", len(rows))
        except Exception as error:
            log.warning("event bus: could not read the events missed while reconnecting (%s)", _reason(error))
        finally:
            held, self._held = self._held, None
            for event in held:
                self._deliver(event)

    # --- streams -------------------------------------------------------------------------

    def end_streams(self) -> None:
        """Tell every stream to end (the app is stopping), and each new one at once."""
        self._closing = True
        for subscription in list(self.subscriptions):
            subscription.offer(None)

    async def stop(self) -> None:
        self.end_streams()
        self.state = STOPPED
        if self._wake is not None:
            self._wake.set()
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
            self._supervisor = None
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close(timeout=2)
            except Exception:
                log.warning("closing the event bus connection failed", exc_info=True)
                connection.terminate()

    def subscribe(self, site_id: int, permissions: set[str], user_id: int | None = None) -> Subscription:
        subscription = Subscription(site_id=site_id, permissions=frozenset(permissions), user_id=user_id)
        self.subscriptions.add(subscription)
        if self._closing:
            subscription.offer(None)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.subscriptions.discard(subscription)

    def _deliver(self, event: LiveEvent) -> None:
        if event.id is not None:
            if event.id in self._recent_set:
                return  # heard twice (caught up and live)
            if len(self._recent) == self._recent.maxlen:
                self._recent_set.discard(self._recent[0])
            self._recent.append(event.id)
            self._recent_set.add(event.id)
            self._high_water = max(self._high_water, event.id)
        for subscription in list(self.subscriptions):
            if subscription.wants(event):
                subscription.offer(event)

    # --- publishing ------------------------------------------------------------------------

    async def publish(self, event: LiveEvent) -> None:
        """Record the event in the log (its id), deliver it to this process's subscribers
        and, on PostgreSQL, to every other process.

        Never raises: a live view that misses an event must not fail the change that
        caused it (the change is already committed).
        """
        if self._dsn is None:
            if self.record:
                event = await self._append(event)
        else:
            event = await self._notify(event)
        self._deliver(event)

    async def _append(self, event: LiveEvent) -> LiveEvent:
        """SQLite: the event with its id from the log."""
        try:
            record_id = await event_log.append(event.site_id, event.name, _plain(event.data), event.permission,
                                               event.users, self.origin)
        except Exception as error:
            self._log_failed(error)
            return event
        self._log_failing = False
        return replace(event, id=record_id)

    def _payload(self, event: LiveEvent) -> str:
        """The NOTIFY payload (JSON) without its closing brace: the id completes it."""
        fields = {"origin": self.origin, "site_id": event.site_id, "name": event.name, "data": event.data,
                  "permission": event.permission, "users": list(event.users)}
        payload = json.dumps(fields, separators=(",", ":"), default=str)
        if len(payload.encode()) > MAX_PAYLOAD:
            fields["data"] = {"id": event.data.get("id"), "truncated": True}
            payload = json.dumps(fields, separators=(",", ":"), default=str)
        return payload[:-1]

    async def _notify(self, event: LiveEvent) -> LiveEvent:
        """PostgreSQL: record and NOTIFY in one statement, on the listening connection, or
        through the app's pool while that one is down."""
        payload = self._payload(event)
        data = json.dumps(event.data, separators=(",", ":"), default=str)
        users = json.dumps(list(event.users))
        if not self.record:
            return await self._notify_only(event, payload + "}")
        connection = self._connection
        if connection is not None and self.state == CONNECTED:
            try:
                async with self._lock:
                    record_id = await connection.fetchval(event_log.POSTGRES_APPEND, event.site_id, event.name, data,
                                                          event.permission, users, self.origin, payload, CHANNEL,
                                                          timeout=PUBLISH_TIMEOUT)
            except Exception as error:
                if connection.is_closed() or isinstance(error, (OSError, asyncio.TimeoutError)):
                    self._lost(f"publishing: {_reason(error)}")
                else:  # the statement, not the connection (no event log yet?)
                    self._log_failed(error)
                    return await self._notify_only(event, payload + "}")
            else:
                self._log_failing = False
                return replace(event, id=record_id)
        try:  # reconnecting: through the pool, which other processes still hear
            from tortoise.connection import get_connection

            _count, rows = await get_connection("default").execute_query(
                event_log.POSTGRES_APPEND, [event.site_id, event.name, data, event.permission, users, self.origin,
                                            payload, CHANNEL])
        except Exception as error:
            self._log_failed(error)
            return event
        self._log_failing = False
        return replace(event, id=rows[0]["id"]) if rows else event

    async def _notify_only(self, event: LiveEvent, payload: str) -> LiveEvent:
        connection = self._connection
        if connection is None:
            return event
        try:
            async with self._lock:
                await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
        except Exception as error:
            self._log_failed(error)
        return event

    def _log_failed(self, error: BaseException) -> None:
        """One WARNING while recording or forwarding keeps failing, not one per event."""
        if not self._log_failing:
            self._log_failing = True
            log.warning("live events cannot be recorded or forwarded to other processes (%s); "
                        "they reach this process's streams without an id until it works again", _reason(error))

    def _on_notify(self, _connection, _pid, _channel, payload: str) -> None:
        try:
            message = json.loads(payload)
        except ValueError:
            return
        if message.get("origin") == self.origin:
            return
        event = LiveEvent(site_id=message["site_id"], name=message["name"], data=message["data"],
                          permission=message.get("permission"), users=tuple(message.get("users") or ()),
                          id=message.get("id"))
        if event.id is not None and isinstance(event.data, dict) and event.data.get("truncated"):
            # Too big for a NOTIFY: the whole event is in the log.
            self._loop.create_task(self._deliver_whole(event))
            return
        if self._held is not None:
            self._held.append(event)
        else:
            self._deliver(event)


    async def _deliver_whole(self, event: LiveEvent) -> None:
        try:
            async with self._lock:
                data = await self._connection.fetchval("SELECT data::text FROM core_live_event WHERE id = $1",
                                                       event.id, timeout=PUBLISH_TIMEOUT)
            if data is not None:
                event = replace(event, data=json.loads(data))
        except Exception as error:
            log.info("event bus: could not read event %s from the log (%s); delivered as announced", event.id,
                     _reason(error))
        self._deliver(event)


def _reason(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _plain(data: dict) -> dict:
    """``data`` as JSON holds it (dates and decimals as text, as the stream sends them)."""
    return json.loads(json.dumps(data, default=str))


def format_sse(event: LiveEvent) -> bytes:
    head = f"id: {event.id}\n" if event.id is not None else ""
    return f"{head}event: {event.name}\ndata: {json.dumps(event.data, separators=(',', ':'), default=str)}\n\n".encode()
