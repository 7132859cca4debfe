"""The live event bus: plugins and core publish, browsers receive (server-sent events).

Within a process, events fan out to subscriber queues. On PostgreSQL they also cross
processes and machines through LISTEN/NOTIFY on one channel, so several workers share
one live view; each process skips its own echoes. On SQLite (one machine, normally one
worker) events stay in the process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

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


@dataclass(frozen=True)
class LiveEvent:
    site_id: int
    name: str
    data: dict[str, Any]
    #: Only subscribers holding this permission at the site receive the event.
    permission: str | None = None
    #: Users who receive it at the site even without ``permission`` (a task's watchers).
    users: tuple[int, ...] = ()


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

    async def start(self, postgres_dsn: str | None) -> None:
        self._loop = asyncio.get_running_loop()
        if not postgres_dsn:
            return
        import asyncpg

        self._connection = await asyncpg.connect(postgres_dsn)
        await self._connection.add_listener(CHANNEL, self._on_notify)
        for channel, callback in self._channels.items():
            await self._connection.add_listener(channel, self._other_channel(callback))

    def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        """Hear ``channel``'s NOTIFY payloads from every process (call before ``start``).
        Only on PostgreSQL; elsewhere nothing crosses processes (``crosses_processes``)."""
        self._channels[channel] = callback

    def crosses_processes(self) -> bool:
        """Whether notices from other processes can reach this one right now."""
        return self._connection is not None and not self._connection.is_closed()

    @staticmethod
    def _other_channel(callback: Callable[[str], None]):
        def heard(_connection, _pid, _channel, payload: str) -> None:
            try:
                callback(payload)
            except Exception:
                log.warning("a listener of %s failed", _channel, exc_info=True)
        return heard

    async def stop(self) -> None:
        for subscription in list(self.subscriptions):
            subscription.offer(None)  # tells each stream to end
        if self._connection is not None:
            try:
                await self._connection.close(timeout=2)
            except Exception:
                log.warning("closing the event bus connection failed", exc_info=True)
            self._connection = None

    def subscribe(self, site_id: int, permissions: set[str], user_id: int | None = None) -> Subscription:
        subscription = Subscription(site_id=site_id, permissions=frozenset(permissions), user_id=user_id)
        self.subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.subscriptions.discard(subscription)

    def _deliver(self, event: LiveEvent) -> None:
        for subscription in list(self.subscriptions):
            if subscription.wants(event):
                subscription.offer(event)

    async def publish(self, event: LiveEvent) -> None:
        """Deliver to this process's subscribers and, on PostgreSQL, to every other process.

        Never raises: a live view that misses an event must not fail the change that
        caused it (the change is already committed).
        """
        self._deliver(event)
        if self._connection is None:
            return
        payload = json.dumps({"origin": self.origin, "site_id": event.site_id, "name": event.name,
                              "data": event.data, "permission": event.permission, "users": list(event.users)},
                             separators=(",", ":"),
                             default=str)
        if len(payload.encode()) > MAX_PAYLOAD:
            payload = json.dumps({"origin": self.origin, "site_id": event.site_id, "name": event.name,
                                  "data": {"id": event.data.get("id"), "truncated": True},
                                  "permission": event.permission, "users": list(event.users)})
        try:
            async with self._lock:
                await self._connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
        except Exception:
            log.warning("could not forward live event %s to other workers", event.name, exc_info=True)

    def _on_notify(self, _connection, _pid, _channel, payload: str) -> None:
        try:
            message = json.loads(payload)
        except ValueError:
            return
        if message.get("origin") == self.origin:
            return
        self._deliver(LiveEvent(site_id=message["site_id"], name=message["name"], data=message["data"],
                                permission=message.get("permission"),
                                users=tuple(message.get("users") or ())))


def format_sse(event: LiveEvent) -> bytes:
    return f"event: {event.name}\ndata: {json.dumps(event.data, separators=(',', ':'), default=str)}\n\n".encode()
