"""Outgoing messages: what queueing adds to the write that causes it.

A service queues a message in its own transaction (``core.messages.services.queue``), so
the cost lands on the request that makes the change. Measured in process, on the bench
database, over the same write with and without the queueing: a party's contact note
changed and audited (the kind of write a reply makes), alternating the two so that a
growing table favours neither.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from bench.scenarios import Section

TITLE = "Outgoing messages"
TARGETS = "queueing a message adds < 2 ms p50 to the write that causes it"
QUEUE_ADDED_MS = 2
CALLS = 400


async def prepare(url: str, ids: dict, scale: float) -> dict:
    return {}


async def _timings(database_url: str) -> dict[str, list[float]]:
    from tortoise.transactions import in_transaction

    from bench.data import settings_for
    from core.audit import services as audit
    from core.database import open_database
    from core.entities.models import Party, Site
    from core.messages import services as messages
    from core.plugins import load_plugins

    host = load_plugins()
    messages.install(host)
    async with open_database(settings_for(database_url), host):
        site = await Site.all().order_by("id").first()
        party = await Party.create(site=site, name="Bench Resident", phones=["0912345678"],
                                   phone_index="0912345678", email="bench@example.com")
        times: dict[str, list[float]] = {"write": [], "write + queue": []}

        async def write(number: int, queue: bool) -> None:
            async with in_transaction():
                await Party.filter(id=party.id).update(notes=f"call {number}")
                await audit.record("party.update", site_id=site.id, object_type="core.party", object_id=party.id,
                                   after={"notes": f"call {number}"})
                if queue:
                    await messages.queue(site, "core.text", {"subject": "", "text": f"Reply {number}"},
                                         party=party, channel="sms")

        for number in range(CALLS):
            for queue in ((False, True) if number % 2 else (True, False)):
                started = time.perf_counter()
                await write(number, queue)
                times["write + queue" if queue else "write"].append((time.perf_counter() - started) * 1000)
        from core.messages.models import Message

        await Message.filter(party_id=party.id).delete()
    return times


def measure(server_url: str, database_url: str, backend: str, context: dict, seconds: int) -> Section:
    times = asyncio.run(_timings(database_url))
    plain, queued = statistics.median(times["write"]), statistics.median(times["write + queue"])
    added = queued - plain
    section = Section(sizes={"writes of each kind": CALLS})
    section.notes.append(f"In process, {CALLS} writes of each kind alternating (a party changed and audited in one "
                         f"transaction): p50 {plain:.2f} ms without a message, {queued:.2f} ms with an SMS queued "
                         f"({added:+.2f} ms).")
    section.check("messages", f"queueing adds < {QUEUE_ADDED_MS} ms p50 to the write that causes it",
                  f"{added:+.2f} ms", added < QUEUE_ADDED_MS)
    return section
