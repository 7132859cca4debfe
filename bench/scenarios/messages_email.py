"""Outgoing e-mail: how many e-mails a second one delivery worker hands to a local SMTP server.

A real SMTP server on loopback (aiosmtpd, in a process of its own, accepting every e-mail)
and the built-in e-mail channel (one SMTP session per batch). Two measures, in process, on
the bench database:

- the channel alone: N e-mails sent over one session, nothing read or written;
- the delivery worker (``core.messages.worker.deliver_due``): N e-mails queued, then
  delivery rounds timed until the outbox is empty (each round claims a batch, renders,
  sends over one session and records the results and attempts).

Measured in ``prepare``, before the bench server starts: that server runs its own delivery
worker on the same database (without SMTP settings), which would take a share of the
queued e-mails and fail them as "not configured". ``measure`` reports the figures.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from types import SimpleNamespace

from bench.scenarios import Section

TITLE = "Outgoing e-mail"
TARGETS = "one worker delivers ≥ 200 e-mails/s to a local SMTP server"
TARGET_PER_SECOND = 200
N = 2000


#: The SMTP server, in its own process (as a real relay is): accepts everything, counts, and
#: prints the count when terminated.
SINK = """
import asyncio, signal, sys
from aiosmtpd.smtp import SMTP

class Count:
    accepted = 0
    async def handle_DATA(self, server, session, envelope):
        Count.accepted += 1
        return "250 OK"

async def main():
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, done.set)
    server = await loop.create_server(lambda: SMTP(Count()), "127.0.0.1", int(sys.argv[1]))
    print("ready", flush=True)
    await done.wait()
    server.close()
    print(Count.accepted, flush=True)

asyncio.run(main())
"""


async def prepare(url: str, ids: dict, scale: float) -> dict:
    port = _free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        if sink.stdout.readline().strip() != "ready":
            raise RuntimeError("the SMTP sink did not start")
        results = await _measure(url, port)
    finally:
        sink.terminate()
        out, _ = sink.communicate(timeout=30)
    results["accepted"] = int(out.strip() or 0)
    return {"results": results}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _measure(database_url: str, port: int) -> dict[str, float]:
    from bench.data import settings_for
    from core import i18n
    from core.app import locale_dirs
    from core.clock import utcnow
    from core.entities.models import Site
    from core.events import EventBus
    from core.messages import services as messages
    from core.messages.channels import Outgoing
    from core.messages.email import EmailChannel
    from core.messages.models import Message
    from core.messages.worker import deliver_due
    from core.plugins import load_plugins

    settings = settings_for(database_url).model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none", "mail_from": "Bench <bench@example.com>"})
    host = load_plugins()
    messages.install(host)
    app = SimpleNamespace(state=SimpleNamespace(settings=settings, catalogs=i18n.load_catalogs(locale_dirs(host)),
                                                events=EventBus()))
    results: dict[str, float] = {}

    # The channel alone, one session.
    started = time.perf_counter()
    async with EmailChannel().connect(app) as sender:
        for number in range(N):
            await sender.send(Outgoing(message_id=number, site_id=1, site_code="bench", address=f"r{number}@example.com",
                                       subject=f"Bench {number}", body="Your case is closed.\n", language="en"))
    results["channel"] = N / (time.perf_counter() - started)

    # bench.run holds the database context open while it prepares.
    site = await Site.all().order_by("id").first()
    now = utcnow()
    await Message.bulk_create([
        Message(site_id=site.id, channel="email", template="core.text", language="en",
                context={"subject": f"Bench {number}", "text": "Your case is closed."},
                address=f"r{number}@example.com", status="queued", next_attempt_at=now)
        for number in range(N)], batch_size=500)
    started = time.perf_counter()
    rounds = 0
    while await deliver_due(app):
        rounds += 1
    elapsed = time.perf_counter() - started
    results["worker"] = N / elapsed
    results["rounds"] = rounds
    results["sent"] = await Message.filter(channel="email", status="sent", address__startswith="r").count()
    await Message.filter(channel="email", template="core.text", address__startswith="r").delete()
    return results


def measure(server_url: str, database_url: str, backend: str, context: dict, seconds: int) -> Section:
    results = context["results"]
    section = Section(sizes={"e-mails": N})
    section.notes.append(
        f"In process, to aiosmtpd on loopback (a process of its own): the e-mail channel alone "
        f"over one SMTP session {results['channel']:.0f} e-mails/s; through the delivery worker "
        f"({int(results['rounds'])} rounds of outbox_batch_size, one session each, results and attempts recorded) "
        f"{results['worker']:.0f} e-mails/s ({int(results['sent'])} marked sent, {int(results['accepted'])} "
        f"accepted by the server, both measures). Measured before the bench server starts (its own worker would share the queue).")
    section.check("messages", f"one worker delivers ≥ {TARGET_PER_SECOND} e-mails/s to a local SMTP server",
                  f"{results['worker']:.0f} e-mails/s", results["worker"] >= TARGET_PER_SECOND
                  and results["sent"] == N)
    return section
