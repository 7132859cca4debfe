"""The distributed picture, tested: two `frontdesk serve` hosts on one PostgreSQL database
behind nginx (docs/examples/nginx/frontdesk.conf). A client's event stream goes through
the proxy to one host; that host is killed (SIGKILL) mid-stream; the client reconnects
through the proxy with Last-Event-ID, lands on the surviving host, and receives every
event created after the kill exactly once; requests through the proxy keep succeeding.
PostgreSQL only (two processes share the database and its LISTEN/NOTIFY bus)."""

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.core.test_graceful_shutdown import _free_port, _token, _up

CONFIG = Path(__file__).resolve().parents[2] / "docs" / "examples" / "nginx" / "frontdesk.conf"
EVENTS = "/api/v1/sites/harbour/events"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(p)), None)


@pytest.fixture
def hosts(database_backend, demo_database_url, tmp_path):
    """Start a `frontdesk serve` host on the shared database; returns (process, base URL)."""
    if database_backend != "postgres":
        pytest.skip("several hosts share a database on PostgreSQL")
    if NGINX is None:
        if os.environ.get("FRONTDESK_TEST_REQUIRE_POSTGRES") == "1":  # CI: .ci/run installs nginx
            pytest.fail("nginx is not installed: .ci/run installs it (apt-get install nginx)")
        pytest.skip("nginx is not installed (.ci/run installs it)")
    started = []

    def start():
        port = _free_port()
        env = {"PATH": os.environ["PATH"], "FRONTDESK_DATABASE_URL": demo_database_url,
               "FRONTDESK_SECRET_KEY": "k" * 40, "FRONTDESK_PORT": str(port),
               "FRONTDESK_TRUSTED_PROXIES": "127.0.0.1",
               "FRONTDESK_OVERDUE_CHECK_SECONDS": "0", "FRONTDESK_OUTBOX_POLL_SECONDS": "0",
               "FRONTDESK_PASSWORD_TIME_COST": "1", "FRONTDESK_PASSWORD_MEMORY_KIB": "8",
               "FRONTDESK_PASSWORD_PARALLELISM": "1"}
        log = (tmp_path / f"host-{port}.log").open("w", buffering=1)
        process = subprocess.Popen([sys.executable, "-m", "core", "serve"], env=env, cwd=tmp_path,
                                   stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while not _up(base) or "Application startup complete" not in Path(log.name).read_text():
            assert process.poll() is None and time.monotonic() < deadline, Path(log.name).read_text()
            time.sleep(0.2)
        return process, base

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


@pytest.fixture
def proxy(tmp_path):
    """Start nginx with the example configuration in front of the given ports; returns its base URL."""
    started = []

    def start(ports):
        prefix = tmp_path / "nginx"
        (prefix / "logs").mkdir(parents=True)
        port = _free_port()
        upstreams = "\n        ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in ports)
        config = prefix / "frontdesk.conf"
        output = (prefix / "output.log").open("w")
        (prefix / "logs" / "error.log").touch()
        config.write_text(CONFIG.read_text().replace("@LISTEN@", f"127.0.0.1:{port}").replace("@UPSTREAMS@", upstreams))
        process = subprocess.Popen([NGINX, "-c", str(config), "-p", f"{prefix}/", "-g", "daemon off;"],
                                   stdout=output, stderr=subprocess.STDOUT)
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while not _up(base):
            assert process.poll() is None and time.monotonic() < deadline, (
                (prefix / "output.log").read_text(), (prefix / "logs" / "error.log").read_text())
            time.sleep(0.1)
        return base

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


class Stream:
    """Reads the event stream through the proxy in a thread; ``upstream`` is the host nginx chose."""

    def __init__(self, base, headers, last_event_id=None):
        self.events: queue.Queue = queue.Queue()
        self.upstream = None
        self.error: Exception | None = None
        self.opened, self.ended = threading.Event(), threading.Event()
        self.headers = {**headers, **({"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {})}
        threading.Thread(target=self._read, args=(base,), daemon=True).start()
        assert self.opened.wait(10), "the stream did not open"
        assert self.error is None, self.error

    def _read(self, base):
        fields: dict = {}
        try:
            with httpx.stream("GET", f"{base}{EVENTS}", headers=self.headers, timeout=60) as response:
                assert response.status_code == 200, response.status_code
                self.upstream = response.headers.get("x-upstream")
                self.opened.set()
                for line in response.iter_lines():
                    if line == "":
                        if "event" in fields:
                            self.events.put((int(fields["id"]), fields["event"], json.loads(fields.get("data", "null")),
                                             time.monotonic()))
                        fields = {}
                    elif not line.startswith(":"):
                        key, _, value = line.partition(": ")
                        fields[key] = value
        except Exception as error:  # the host died: an incomplete chunked body
            self.error = error
        finally:
            self.opened.set()
            self.ended.set()

    def next(self, timeout=10.0):
        return self.events.get(timeout=timeout)


def _create_task(base, headers, title):
    response = httpx.post(f"{base}/api/v1/sites/harbour/tasks", headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                          json={"type": "core.general", "title": title}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_a_host_killed_mid_stream_the_client_reconnects_through_the_proxy_and_misses_nothing(hosts, proxy):
    first, first_base = hosts()
    second, second_base = hosts()
    by_port = {int(first_base.rsplit(":", 1)[1]): first, int(second_base.rsplit(":", 1)[1]): second}
    base = proxy(list(by_port))
    headers = _token(base)  # signed in through the proxy

    stream = Stream(base, headers)
    assert stream.upstream, "the proxy did not say which host serves the stream"
    victim_port = int(stream.upstream.rsplit(":", 1)[1])
    victim = by_port[victim_port]
    survivor = next(process for port, process in by_port.items() if port != victim_port)

    before = _create_task(base, headers, "before the kill")
    last_id, name, data, _at = stream.next()
    assert (name, data["id"]) == ("task.created", before)

    victim.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    victim.wait(timeout=10)
    assert stream.ended.wait(10), "the stream outlived its host"
    assert stream.error is not None  # cut off, not ended cleanly

    # Meanwhile (before the client is back): events are created through the proxy.
    created = [_create_task(base, headers, f"while away {n}") for n in range(3)]
    again = Stream(base, headers, last_event_id=last_id)  # what a browser does, with Last-Event-ID
    assert again.upstream and int(again.upstream.rsplit(":", 1)[-1]) != victim_port, again.upstream
    created += [_create_task(base, headers, f"after the reconnect {n}") for n in range(3)]

    received = []
    for _ in created:
        event_id, name, data, at = again.next()
        received.append((event_id, name, data["id"], at))
    assert [(name, task_id) for _id, name, task_id, _at in received] == [("task.created", task) for task in created]
    ids = [event_id for event_id, *_rest in received]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and ids[0] > last_id
    with pytest.raises(queue.Empty):  # nothing twice
        again.next(timeout=1.0)

    # Requests through the proxy keep succeeding, all on the surviving host.
    for _ in range(6):
        assert httpx.get(f"{base}/api/v1/sites/harbour/tasks", headers=headers, timeout=10).status_code == 200
    assert survivor.poll() is None
    print(f"\nkill -> reconnected stream's first event: {received[0][3] - killed:.3f} s; "
          f"kill -> last of {len(created)} events: {received[-1][3] - killed:.3f} s")
