"""Incoming-call screen pop benchmark (issue 19).

The telephone system's signed ``ringing`` event is posted to the webhook while the agent
of its extension holds the site's live stream open; latency = arrival of the
``insurance_calls.screen_pop`` event on that stream - start of the POST. The pop carries
the caller's history (20 earlier calls from that number; with the insurance scenario run
first, among its 1,000,000). A second agent's stream must receive none of the pops. On
PostgreSQL the same is measured across two server processes (the webhook on one, the
stream on the other: LISTEN/NOTIFY).
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import threading
import time

import httpx

from bench import servers
from bench.data import PASSWORD
from bench.scenarios import Section

TITLE = "Incoming-call screen pop"
TARGETS = "a screen pop reaches the agent's page < 300 ms p95 after the webhook"
POP_P95_MS = 300
SECRET = "bench-telephony-secret-0123456789"
AGENT, OTHER = "bench00", "bench01"
EXTENSIONS = {AGENT: "5000", OTHER: "5001"}
CALLER = "13800138000"
HISTORY = 20
#: Pops sent per measurement at most (one after another, as calls ring).
MAX_POPS = 300


async def prepare(url: str, ids: dict, scale: float) -> dict:
    from core import site_settings
    from core.entities.models import Site
    from core.identity import services as identity
    from core.identity.models import Role, User
    from core.plugins import load_plugins
    from plugins.insurance_calls.models import Call

    site = await Site.get(id=ids["site_id"])
    role = await Role.get(name="call_agent")
    for username, extension in EXTENSIONS.items():
        user = await User.get(username=username)
        await identity.grant_membership(user, site, role)
        await User.filter(id=user.id).update(extension=extension)
    await site_settings.change(site, {"insurance_calls": {"telephony": {"webhook_secret": SECRET}}}, site.version,
                               load_plugins())
    now = dt.datetime.now(dt.timezone.utc)
    agent = await User.get(username=AGENT)
    await Call.bulk_create([
        Call(site_id=site.id, direction="inbound", started_at=now - dt.timedelta(days=day, minutes=5),
             ended_at=now - dt.timedelta(days=day), handle_seconds=300, agent_id=agent.id, phone=CALLER,
             caller_name="周先生", plate="粤B12345", policy_no="PDAA202644030000012345", call_type="renewal",
             summary=f"Asked about the renewal ({day})", answer="Quoted", outcome="resolved")
        for day in range(HISTORY)])
    return {"history": HISTORY}


def _signed(body: dict) -> tuple[bytes, dict[str, str]]:
    from plugins.insurance_calls import telephony

    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    return raw, {"Content-Type": "application/json", telephony.TIMESTAMP_HEADER: stamp,
                 telephony.SIGNATURE_HEADER: telephony.signature(SECRET, stamp, raw)}


def _listen(url: str, token: str, arrivals: dict, ready: threading.Event, stop: threading.Event) -> None:
    with httpx.Client(timeout=60) as client:
        with client.stream("GET", f"{url}/api/v1/sites/bench/events",
                           headers={"Authorization": f"Bearer {token}"}) as stream:
            name = None
            for line in stream.iter_lines():
                if line.startswith(": connected"):
                    ready.set()
                if stop.is_set():
                    return
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: ") and name == "insurance_calls.screen_pop":
                    arrivals[json.loads(line[6:])["call_id"]] = time.perf_counter()


def pops(webhook_url: str, stream_url: str, seconds: int, label: str) -> dict:
    """Pops sent through ``webhook_url`` for ``seconds`` (at most MAX_POPS), read on the
    agent's stream at ``stream_url``; the other agent's stream must stay silent."""
    arrivals: dict[str, float] = {}
    stray: dict[str, float] = {}
    stop = threading.Event()
    listeners = []
    for username, found in ((AGENT, arrivals), (OTHER, stray)):
        ready = threading.Event()
        thread = threading.Thread(target=_listen, args=(stream_url, servers.token(stream_url, username, PASSWORD),
                                                        found, ready, stop), daemon=True)
        thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"the live stream of {username} did not open")
        listeners.append(thread)
    sent: dict[str, float] = {}
    posts: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    with httpx.Client(timeout=30) as client:
        number = 0
        while time.monotonic() < deadline and number < MAX_POPS:
            call_id = f"{label}-{number}"
            raw, headers = _signed({"event": "ringing", "call_id": call_id, "caller": CALLER,
                                    "extension": EXTENSIONS[AGENT]})
            started = time.perf_counter()
            response = client.post(f"{webhook_url}/api/v1/sites/bench/insurance/telephony/events", content=raw,
                                   headers=headers)
            posts.append((time.perf_counter() - started) * 1000)
            if response.status_code != 202:
                errors += 1
            sent[call_id] = started
            number += 1
            time.sleep(0.02)  # calls ring one after another, not in a flood
    wait_until = time.monotonic() + 5
    while len(arrivals) < len(sent) and time.monotonic() < wait_until:
        time.sleep(0.05)
    stop.set()
    latencies = sorted((arrivals[call_id] - sent[call_id]) * 1000 for call_id in sent if call_id in arrivals)
    posts.sort()
    found = {"sent": len(sent), "received": len(latencies), "errors": errors, "stray": len(stray),
             "post_p50_ms": statistics.median(posts) if posts else 0.0}
    if latencies:
        found.update(p50_ms=statistics.median(latencies), p95_ms=latencies[max(0, int(len(latencies) * 0.95) - 1)],
                     max_ms=latencies[-1])
    return found


def _describe(found: dict, where: str) -> str:
    if not found["received"]:
        return f"{where}: none of {found['sent']} pops arrived ({found['errors']} refused)."
    return (f"{where}: {found['received']}/{found['sent']} pops arrived, p50 {found['p50_ms']:.1f} ms, "
            f"p95 {found['p95_ms']:.1f} ms, max {found['max_ms']:.1f} ms (webhook answered in "
            f"{found['post_p50_ms']:.1f} ms p50); the other agent's stream received {found['stray']}.")


def _check(section: Section, found: dict, target: str) -> None:
    complete = found["received"] == found["sent"] and not found["errors"] and not found["stray"]
    measured = f"{found['p95_ms']:.1f} ms" if found["received"] else "none arrived"
    if found["received"] and not complete:
        measured += f", {found['received']}/{found['sent']} arrived, {found['stray']} stray"
    section.check("telephony", target, measured, complete and found.get("p95_ms", 1e9) < POP_P95_MS)


def measure(server_url: str, database_url: str, backend: str, context: dict, seconds: int) -> Section:
    section = Section(sizes={"earlier calls of the caller": context["history"]})
    one = pops(server_url, server_url, seconds, "same")
    section.notes.append(_describe(one, "One server process"))
    _check(section, one, f"screen pop p95 < {POP_P95_MS} ms after the webhook")
    if backend == "postgres":
        with servers.serve(database_url) as writer, servers.serve(database_url) as reader:
            across = pops(writer, reader, seconds, "across")
        section.notes.append(_describe(across, "Webhook on one server process, agent's stream on another"))
        _check(section, across, f"screen pop across workers p95 < {POP_P95_MS} ms (PostgreSQL)")
    section.notes.append("Each pop reads the caller's history (the desk's lookup, 20 calls) for the agent, writes "
                         "the telephony call, its audit entry and the unmasked-view audit entry.")
    return section
