"""Metrics for a fleet: a real `frontdesk serve --workers 2` answers every scrape of
/metrics with the sum of both workers (prometheus_client's multiprocess mode), whichever
worker the scrape reaches; the gauges are there; other code can add a scrape gauge."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from core.web.metrics import Metrics

PASSWORD = "a-good-long-password"  # noqa: S105


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _value(text, name, labels=""):
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else None


@pytest.fixture
def two_workers(database_url, tmp_path):
    port = _free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale")  # an earlier run's file: serve empties the folder
    env = {"PATH": os.environ["PATH"], "FRONTDESK_DATABASE_URL": database_url, "FRONTDESK_SECRET_KEY": "k" * 40,
           "FRONTDESK_PORT": str(port), "FRONTDESK_OVERDUE_CHECK_SECONDS": "0", "FRONTDESK_OUTBOX_POLL_SECONDS": "0",
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    created = subprocess.run([sys.executable, "-m", "core", "user", "create", "ops", "--superadmin", "--password-stdin"],
                             input=PASSWORD + "\n", env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "core", "serve", "--workers", "2"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while len({path.name.rsplit("_", 1)[-1] for path in metrics_dir.glob("gauge_live*_*.db")}) < 2 or not _up(base):
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.2)
        yield base, metrics_dir
    finally:
        server.terminate()
        server.wait(timeout=60)


def _up(base):
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_scrape_of_two_workers_gives_the_sum_of_both(two_workers):
    base, metrics_dir = two_workers
    token = httpx.post(f"{base}/api/v1/auth/token", json={"username": "ops", "password": PASSWORD}, timeout=30)
    assert token.status_code == 201, token.text
    bearer = {"Authorization": f"Bearer {token.json()['token']}"}
    counted = '{method="GET",route="/api/v1/me",status="200"}'
    requests = 0
    # A new connection per request: the kernel hands each to either worker. Go on until
    # both have answered some (each worker's counts live in a file named by its pid).
    while requests < 40 or len(list(metrics_dir.glob("counter_*.db"))) < 2:
        assert httpx.get(f"{base}/api/v1/me", headers=bearer, timeout=10).status_code == 200
        requests += 1
        assert requests < 400, "one worker answered every request"
    assert not (metrics_dir / "counter_1.db").exists()
    for _scrape in range(6):  # whichever worker answers, the same sum
        text = httpx.get(f"{base}/metrics", headers=bearer, timeout=10).text
        assert _value(text, "frontdesk_http_requests_total", counted) == requests, text
        assert _value(text, "frontdesk_http_request_seconds_count", '{method="GET",route="/api/v1/me"}') == requests
    assert _value(text, "frontdesk_event_streams_open") == 0
    assert _value(text, "frontdesk_outbox_lag_seconds") == 0
    assert _value(text, "frontdesk_overdue_job_lag_seconds") == 0
    assert _value(text, "frontdesk_event_bus_connected") == 1
    assert _value(text, "frontdesk_db_pool_connections_in_use") is not None


def test_gauges_outbox_and_overdue_lag_and_a_gauge_added_by_other_code(demo_server):
    from core.messages.models import Message
    from core.tasks.models import Task

    async def add_lag():
        import datetime as dt

        now = dt.datetime.now(dt.timezone.utc)
        await Task.filter(is_open=True).update(overdue=True)  # the demo's own late tasks: marked
        task = await Task.filter(is_open=True).first()
        await Task.filter(id=task.id).update(due_at=now - dt.timedelta(minutes=10), overdue=False, status="open")
        await Message.filter().update(status="sent")
        site = await task.site
        await Message.create(site=site, channel="inapp", template="core.text", language="en", status="queued",
                             next_attempt_at=now - dt.timedelta(minutes=3))
        await Message.create(site=site, channel="inapp", template="core.text", language="en", status="queued",
                             next_attempt_at=now + dt.timedelta(hours=1))

    demo_server.call(add_lag)

    async def forty_two(app):
        return 42

    demo_server.app.state.metrics.add_scrape_gauge("frontdesk_test_answer", "A gauge from a plugin", forty_two)
    with pytest.raises(ValueError):
        demo_server.app.state.metrics.add_scrape_gauge("frontdesk_test_answer", "twice", forty_two)
    text = demo_server.api_client("admin").get("/metrics").text
    assert 170 < _value(text, "frontdesk_outbox_lag_seconds") < 400
    assert 590 < _value(text, "frontdesk_overdue_job_lag_seconds") < 900
    assert _value(text, "frontdesk_test_answer") == 42
    assert _value(text, "frontdesk_event_bus_connected") == 1


def test_an_open_event_stream_is_counted_until_it_ends():
    import asyncio

    metrics = Metrics()

    class State:
        pass

    app = type("App", (), {})()
    app.state = State()
    app.state.metrics = metrics

    from core.web.metrics import MetricsMiddleware

    seen = []

    async def stream(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        seen.append(metrics.streams._value.get())
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def run():
        scope = {"type": "http", "method": "GET", "path": "/api/v1/sites/x/events", "headers": [], "client": None,
                 "app": app, "route": type("R", (), {"path": "/api/v1/sites/{site}/events"})()}

        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(_message):
            pass

        app.state.trusted_proxy_networks = []
        app.state.settings = type("S", (), {"is_sqlite": True})()
        await MetricsMiddleware(stream)(scope, receive, send)

    asyncio.run(run())
    assert seen == [1] and metrics.streams._value.get() == 0


def test_serve_empties_the_metrics_folder_only_with_several_workers(tmp_path, monkeypatch):
    from core.cli import _metrics_folder

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "counter_9.db").write_bytes(b"old")
    _metrics_folder(1)
    assert (tmp_path / "counter_9.db").exists()
    _metrics_folder(2)
    assert not (tmp_path / "counter_9.db").exists() and os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(Path(tmp_path))
