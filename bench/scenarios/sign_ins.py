"""Sign-ins against the rest: /healthz alone, then while 16 sign-ins run at once.

argon2id with the production parameters (RFC 9106 low memory: 64 MiB, t=3, p=4: the bench
users are created with them) costs a few hundred milliseconds of CPU per sign-in on
purpose. It runs in a bounded thread pool (core/identity/passwords.py), so the event loop
keeps answering other requests meanwhile; this measures how well.
"""

from __future__ import annotations

import statistics
import threading
import time

import httpx

from bench import loadgen
from bench.data import PASSWORD
from bench.scenarios import Section

TITLE = "Sign-ins and the event loop"
TARGETS = "/healthz p99 < 50 ms while 16 sign-ins (production argon2 parameters) run at once"
SIGN_INS = 16
#: Issue 16's target for /healthz while the sign-ins run.
HEALTHZ_P99_MS = 50


async def prepare(url: str, ids: dict, scale: float) -> dict:
    return {}  # the bench users (bench00 ... bench49) are enough


def _result(name: str, latencies: list[float], seconds: float, errors: int) -> loadgen.Result:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
    return loadgen.Result(name, len(ordered), len(ordered) / seconds, statistics.median(ordered) if ordered else 0.0,
                          p99, errors)


def _probe(url: str, stop: threading.Event, latencies: list[float], errors: list[int]) -> None:
    """One connection asking /healthz back to back: each latency is the server's answer time."""
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            started = time.perf_counter()
            response = client.get(f"{url}/healthz")
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors.append(response.status_code)


def _sign_in_loop(url: str, username: str, stop: threading.Event, latencies: list[float], errors: list[int]) -> None:
    with httpx.Client(timeout=60) as client:
        while not stop.is_set():
            started = time.perf_counter()
            response = client.post(f"{url}/api/v1/auth/token", json={"username": username, "password": PASSWORD})
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 201:
                errors.append(response.status_code)


def _healthz(url: str, seconds: int, signing: bool) -> tuple[loadgen.Result, loadgen.Result | None]:
    stop = threading.Event()
    probe_latencies: list[float] = []
    probe_errors: list[int] = []
    sign_in_latencies: list[float] = []
    sign_in_errors: list[int] = []
    threads = [threading.Thread(target=_sign_in_loop, args=(url, f"bench{number:02d}", stop, sign_in_latencies,
                                                            sign_in_errors)) for number in range(SIGN_INS if signing else 0)]
    for thread in threads:
        thread.start()
    if signing:
        time.sleep(1)  # every sign-in under way before the probe starts
    probe = threading.Thread(target=_probe, args=(url, stop, probe_latencies, probe_errors))
    started = time.monotonic()
    probe.start()
    time.sleep(seconds)
    stop.set()
    probe.join()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    name = "GET /healthz while 16 sign-ins run (1 connection)" if signing else "GET /healthz alone (1 connection)"
    healthz = _result(name, probe_latencies, elapsed, len(probe_errors))
    sign_ins = _result(f"POST /api/v1/auth/token, {SIGN_INS} at once", sign_in_latencies, elapsed + 1,
                       len(sign_in_errors)) if signing else None
    return healthz, sign_ins


def measure(server_url: str, database_url: str, backend: str, context: dict, seconds: int) -> Section:
    alone, _none = _healthz(server_url, seconds, signing=False)
    during, sign_ins = _healthz(server_url, seconds, signing=True)
    section = Section(results=[alone, during, sign_ins])
    # Every sign-in must succeed too: a refused one costs no hashing and would flatter the probe.
    section.check("sign-ins", f"/healthz p99 < {HEALTHZ_P99_MS} ms while {SIGN_INS} sign-ins run",
                  f"{during.p99_ms:.1f} ms", during.errors == 0 and sign_ins.errors == 0 and sign_ins.requests > 0
                  and during.p99_ms < HEALTHZ_P99_MS)
    section.notes.append(
        f"/healthz during the sign-ins / alone: p50 {during.p50_ms / alone.p50_ms:.1f}x, "
        f"p99 {during.p99_ms / alone.p99_ms:.1f}x ({during.p99_ms:.1f} ms p99 during, target < {HEALTHZ_P99_MS} ms). "
        f"Sign-ins finished: {sign_ins.requests:,}, {sign_ins.rps:.1f}/s with {SIGN_INS} in flight (argon2 in the "
        "hashing pool of core/identity/passwords.py; the CPU, not the event loop, is the limit).")
    return section
