"""Logs an operator can use: one access line per request (request id, user, site, route
template, status, latency), JSON or text, request ids from trusted proxies only, incident
ids on 500s, client hang-ups as INFO without a traceback; and a real `frontdesk serve`
writing JSON lines with uvicorn's access log replaced."""

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
import types

import httpx
import pytest

from core import PluginMeta, hookimpl, logs
from core.permissions import PUBLIC
from core.web.api import api_route
from core.web.routing import page_route


@pytest.fixture
def json_lines():
    """Frontdesk's loggers at INFO into a JSON-formatting handler (the production one)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.ContextFilter())
    logger = logging.getLogger("frontdesk")
    previous = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)

    def read():
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]

    yield read
    logger.removeHandler(handler)
    logger.setLevel(previous)


def _plugin(name, **hooks):
    module = types.ModuleType(f"logs_test_{name}")
    module.meta = PluginMeta(name=name, version="1.0", core_requires=">=0.1")
    for hook_name, function in hooks.items():
        function.__name__ = hook_name
        setattr(module, hook_name, hookimpl(function))
    return module


def test_one_access_line_per_request_with_id_user_site_route_status_latency(demo_server, json_lines):
    agent = demo_server.api_client("agent")
    response = agent.get("/api/v1/sites/harbour/units/1")
    assert response.status_code == 200
    access = [line for line in json_lines() if line["logger"] == "frontdesk.access"
              and line.get("request_id") == response.headers["x-request-id"]]
    assert len(access) == 1, json_lines()
    line = access[0]
    assert line["level"] == "INFO" and line["time"].endswith("Z") and "T" in line["time"]
    assert line["user"] == "agent" and line["site"] == "harbour"
    assert line["route"] == "/api/v1/sites/{site}/units/{id:int}" and "/units/1" not in json.dumps(line)
    assert line["method"] == "GET" and line["status"] == 200 and isinstance(line["latency_ms"], float)


def test_every_line_inside_a_request_carries_its_id(make_app, json_lines):
    async def chatty(request):
        logging.getLogger("frontdesk.parking").info("looked at the permits")
        return {"ok": True}

    routes = [api_route("/api/v1/chatty", chatty, permission=PUBLIC, response=dict)]
    server = make_app(extra_plugins=[_plugin("chatty", register_api_routes=lambda: routes)])
    response = server.client().get("/api/v1/chatty")
    inside = [line for line in json_lines() if line["message"] == "looked at the permits"]
    assert inside and inside[0]["request_id"] == response.headers["x-request-id"]


def test_request_id_is_taken_only_from_a_trusted_proxy(make_app):
    trusting = make_app(trusted_proxies=["127.0.0.1/32"]).client()
    assert trusting.get("/healthz", headers={"X-Request-ID": "lb-4711.a"}).headers["x-request-id"] == "lb-4711.a"
    forged = trusting.get("/healthz", headers={"X-Request-ID": "two words\nFAKE LINE"}).headers["x-request-id"]
    assert forged != "two words\nFAKE LINE" and " " not in forged
    untrusting = make_app().client()
    generated = untrusting.get("/healthz", headers={"X-Request-ID": "lb-4711.a"}).headers["x-request-id"]
    assert generated != "lb-4711.a" and len(generated) == 16
    assert untrusting.get("/healthz").headers["x-request-id"] != generated


def test_an_unexpected_error_has_an_incident_id_on_the_page_the_problem_and_the_log(make_app, json_lines):
    async def broken(request):
        raise RuntimeError("the flux capacitor")

    async def broken_page(request):
        raise RuntimeError("the flux capacitor")

    module = _plugin("broken", register_api_routes=lambda: [api_route("/api/v1/broken", broken, permission=PUBLIC,
                                                                      response=dict)],
                     register_routes=lambda: [page_route("/broken", broken_page, permission=PUBLIC)])
    server = make_app(extra_plugins=[module])
    client = server.client()
    problem = client.get("/api/v1/broken")
    assert problem.status_code == 500 and problem.headers["content-type"] == "application/problem+json"
    incident = problem.json()["incident"]
    assert incident == problem.headers["x-request-id"]
    page = client.get("/broken")
    assert page.status_code == 500 and page.headers["x-request-id"] in page.text
    errors = [line for line in json_lines() if line["level"] == "ERROR"]
    assert [line["incident"] for line in errors] == [incident, page.headers["x-request-id"]]
    assert "the flux capacitor" in errors[0]["traceback"] and errors[0]["request_id"] == incident
    access = [line for line in json_lines() if line["logger"] == "frontdesk.access"]
    assert [line["status"] for line in access] == [500, 500]


def test_a_client_that_hangs_up_is_an_info_line_without_traceback(make_app, json_lines, caplog):
    async def upload(request):
        await request.body()
        return {"ok": True}

    routes = [api_route("/api/v1/upload", upload, permission=PUBLIC, response=dict, method="POST")]
    server = make_app(extra_plugins=[_plugin("upload", register_api_routes=lambda: routes)])
    sent = []

    async def hang_up():
        messages = iter([{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}])

        async def receive():
            return next(messages)

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
                 "path": "/api/v1/upload", "raw_path": b"/api/v1/upload", "root_path": "", "query_string": b"",
                 "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json")],
                 "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80)}
        await server.app(scope, receive, send)

    caplog.set_level(logging.INFO)
    server._run_in_app_loop(hang_up())
    lines = json_lines()
    assert not [line for line in lines if line["level"] in ("ERROR", "CRITICAL")], lines
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR or record.exc_info]
    assert any(line["level"] == "INFO" and "went away" in line["message"] for line in lines)
    assert any(line["logger"] == "frontdesk.access" and line["status"] == 499 for line in lines)


def test_text_lines_have_a_timestamp_and_the_request():
    record = logging.LogRecord("frontdesk.access", logging.INFO, __file__, 1, "GET %s 200", ("/x",), None)
    token = logs.bind_request("abc123")
    try:
        logs.set_user("mei")
        logs.set_site("harbour")
        logs.ContextFilter().filter(record)
    finally:
        logs.unbind_request(token)
    line = logs.TextFormatter().format(record)
    assert line.endswith(" INFO frontdesk.access [abc123 mei@harbour] GET /x 200")
    assert line[:4].isdigit() and line[10] == "T" and line[23] == "Z"


def test_log_level_governs_frontdesk_loggers_and_uvicorn_access_is_off():
    config = logs.logging_config("json", "warning")
    assert config["loggers"]["frontdesk"]["level"] == "WARNING"
    assert config["loggers"]["uvicorn.access"]["handlers"] == []
    assert logs.logging_config("text", "debug")["loggers"]["frontdesk"]["level"] == "DEBUG"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_writes_json_lines_with_frontdesk_access_and_no_uvicorn_access(database_url, tmp_path):
    port = _free_port()
    env = {"PATH": os.environ["PATH"], "FRONTDESK_DATABASE_URL": database_url, "FRONTDESK_SECRET_KEY": "k" * 40,
           "FRONTDESK_PORT": str(port), "FRONTDESK_LOG_FORMAT": "json", "FRONTDESK_LOG_LEVEL": "info",
           "FRONTDESK_OVERDUE_CHECK_SECONDS": "0", "FRONTDESK_OUTBOX_POLL_SECONDS": "0"}
    log_file = (tmp_path / "server.log").open("w+")
    server = subprocess.Popen([sys.executable, "-m", "core", "serve"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                              stderr=log_file)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.2)
        answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/me", timeout=5)
        assert answer.status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = (tmp_path / "server.log").read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line is JSON
    access = [line for line in lines if line["logger"] == "frontdesk.access"]
    assert [(line["route"], line["status"], line["request_id"]) for line in access] == [
        ("/api/v1/me", 401, answer.headers["x-request-id"])]
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # uvicorn's own lines, as JSON too
