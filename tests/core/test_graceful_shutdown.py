"""Graceful shutdown: a real `frontdesk serve` holding an open event stream gets SIGTERM;
the stream ends cleanly with a retry hint (the browser reconnects, to another process),
and the process exits 0 within ``shutdown_timeout_seconds``. Both databases."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from core.demo import DEMO_PASSWORD

TIMEOUT = 6  # shutdown_timeout_seconds of the server under test


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _up(base):
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def serve(demo_database_url, tmp_path):
    """Start `frontdesk serve` on a free loopback port; yields (process, base URL)."""
    started = []

    def start(*arguments):
        port = _free_port()
        env = {"PATH": os.environ["PATH"], "FRONTDESK_DATABASE_URL": demo_database_url,
               "FRONTDESK_SECRET_KEY": "k" * 40, "FRONTDESK_PORT": str(port),
               "FRONTDESK_OVERDUE_CHECK_SECONDS": "0", "FRONTDESK_OUTBOX_POLL_SECONDS": "0",
               "FRONTDESK_SHUTDOWN_TIMEOUT_SECONDS": str(TIMEOUT), "FRONTDESK_PASSWORD_TIME_COST": "1",
               "FRONTDESK_PASSWORD_MEMORY_KIB": "8", "FRONTDESK_PASSWORD_PARALLELISM": "1"}
        log = (tmp_path / f"server-{port}.log").open("w", buffering=1)
        process = subprocess.Popen([sys.executable, "-m", "core", "serve", *arguments], env=env, cwd=tmp_path,
                                   stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        workers = int(arguments[arguments.index("--workers") + 1]) if "--workers" in arguments else 1
        while not _up(base) or Path(log.name).read_text().count("Application startup complete") < workers:
            assert process.poll() is None and time.monotonic() < deadline, Path(log.name).read_text()
            time.sleep(0.2)
        return process, base

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def _token(base, username="agent2"):
    response = httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD},
                          timeout=30)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


class OpenStream:
    def __init__(self, base, headers):
        self.lines: list[str] = []
        self.error: Exception | None = None
        self.opened, self.ended = threading.Event(), threading.Event()
        self.ended_at = None
        threading.Thread(target=self._read, args=(base, headers), daemon=True).start()
        assert self.opened.wait(10), "the stream did not open"

    def _read(self, base, headers):
        try:
            with httpx.stream("GET", f"{base}/api/v1/sites/harbour/events", headers=headers, timeout=60) as response:
                assert response.status_code == 200
                for line in response.iter_lines():
                    self.lines.append(line)
                    self.opened.set()
        except Exception as error:  # an incomplete chunked body: not a clean end
            self.error = error
        finally:
            self.ended_at = time.monotonic()
            self.opened.set()
            self.ended.set()


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_with_an_open_stream_ends_it_and_exits_within_the_timeout(serve, database_backend, workers):
    if workers == 2 and database_backend != "postgres":
        pytest.skip("several workers share a database on PostgreSQL")
    process, base = serve("--workers", str(workers))
    headers = _token(base)
    streams = [OpenStream(base, headers) for _ in range(3)]  # with 2 workers: likely on both
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    returncode = process.wait(timeout=TIMEOUT + 5)
    exited = time.monotonic() - sent
    assert returncode == 0
    assert exited < TIMEOUT + 2, f"exited {exited:.1f} s after SIGTERM"
    for stream in streams:
        assert stream.ended.wait(2)
        assert stream.error is None, stream.error
        assert "retry: 1000" in stream.lines, stream.lines  # the browser comes back soon
        assert stream.ended_at - sent < 3, "the stream waited for the timeout instead of ending at once"
    with pytest.raises(httpx.TransportError):  # no longer accepting
        httpx.get(f"{base}/healthz", timeout=2)
