"""No input gives a 500, a traceback or a dropped connection (issue 15, finding 7): JSON
nested too deep, control characters on every way in (pages' query strings and forms, the
sign-in form, path parameters), and numbers beyond every column.

Each test failed before: deep JSON raised RecursionError (500); NUL reached PostgreSQL
from page forms, page queries and paths (500); an out-of-range number was answered, then
re-raised to the server ("Exception in ASGI application", the keep-alive connection cut).
"""

import logging

import pytest

from core.testing.servers import hidden_csrf
from core.web.api import MAX_JSON_DEPTH, json_depth

CONTROL = "must not contain control characters"
TOO_LARGE = "99999999999999999999"


# --- Nesting depth ---------------------------------------------------------------------


def nested_array(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def test_depth_counts_brackets_outside_strings_only():
    assert json_depth('{"a": [1, {"b": []}]}') == 4
    assert json_depth('{"a": "[[[[{{{{", "b": "\\"[[[", "c": "\\\\"}') == 1
    assert json_depth(nested_array(1000)) == 1000
    assert json_depth("17") == 0


@pytest.mark.parametrize("body", [nested_array(1000), nested_object(1000), '{"title": ' + nested_array(1000) + "}",
                                  '{"title": ' + nested_object(5000) + "}"], ids=["array", "object", "in-field", "5000"])
@pytest.mark.parametrize("who, method, path", [
    ("agent", "POST", "/api/v1/sites/harbour/tasks"),
    ("admin", "PATCH", "/api/v1/sites/harbour/units/1"),
    (None, "POST", "/api/v1/auth/token"),
    ("cashier", "POST", "/api/v1/sites/lotus/cashier/shifts"),
])
def test_json_nested_deeper_than_the_limit_is_refused_before_parsing(demo_server, who, method, path, body):
    client = demo_server.api_client(who) if who else demo_server.client()
    response = client.request(method, path, content=body,
                              headers={"content-type": "application/json", "Idempotency-Key": "deep-1"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert f"deeper than {MAX_JSON_DEPTH} levels" in response.json()["detail"]


def test_json_as_deep_as_the_limit_reaches_validation(demo_server):
    agent = demo_server.api_client("agent")
    body = '{"type": "core.general", "title": ' + nested_array(MAX_JSON_DEPTH - 1) + "}"
    response = agent.post("/api/v1/sites/harbour/tasks", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["title"]


# --- Control characters on every way in ---------------------------------------------------


@pytest.fixture
def agent_page(demo_server):
    return demo_server.sign_in("agent")


@pytest.mark.parametrize("path", ["/sites/harbour/units", "/sites/harbour/parties", "/sites/harbour/my-work"])
@pytest.mark.parametrize("value", ["A-01\u0000", "bell\u0007"])
def test_page_query_strings_with_control_characters_are_refused_naming_the_field(agent_page, path, value):
    response = agent_page.get(path, params={"q": value})
    assert response.status_code == 422
    assert f"q: {CONTROL}" in response.text


def tasks_of(demo_server):
    return demo_server.api_client("agent").get("/api/v1/sites/harbour/tasks", params={"limit": 200}).json()["items"]


@pytest.mark.parametrize("field, value", [("title", "Leak\u0000in A-0101"), ("description", "bell\u0007"),
                                          ("title", "escape\u001b[31m")])
def test_page_forms_with_control_characters_are_refused_and_nothing_is_written(demo_server, agent_page, field, value):
    before = tasks_of(demo_server)
    response = agent_page.form_post("/sites/harbour/tasks/new",
                                    {"type": "core.general", "title": "Leak", "priority": "normal", field: value})
    assert response.status_code == 422
    assert f"{field}: {CONTROL}" in response.text
    assert tasks_of(demo_server) == before


def test_tabs_and_line_breaks_stay_allowed_in_page_forms(demo_server, agent_page):
    response = agent_page.form_post("/sites/harbour/tasks/new", {"type": "core.general", "title": "Leak",
                                                                 "priority": "normal",
                                                                 "description": "first\tline\r\nsecond line"})
    assert response.status_code == 303, response.text


def test_a_form_read_without_form_action_is_checked_too(demo_server):
    admin = demo_server.sign_in("admin")
    response = admin.form_post("/admin/roles/1", {"permissions": "core.task.read\u0000"})
    assert response.status_code == 422
    assert f"permissions: {CONTROL}" in response.text


def test_an_uploaded_file_name_with_control_characters_is_refused(demo_server):
    """Built by hand: browsers (and httpx) percent-encode control characters in file names."""
    admin = demo_server.sign_in("admin")
    parts = [f'Content-Disposition: form-data; name="csrf_token"\r\n\r\n{admin.csrf}',
             'Content-Disposition: form-data; name="name"\r\n\r\nnight',
             'Content-Disposition: form-data; name="attachment"; filename="evil\u0000.png"\r\n'
             'Content-Type: image/png\r\n\r\nx']
    body = "".join(f"--edge\r\n{part}\r\n" for part in parts) + "--edge--\r\n"
    response = admin.post("/admin/roles", content=body.encode(),
                          headers={"content-type": "multipart/form-data; boundary=edge"})
    assert response.status_code == 422
    assert f"attachment: {CONTROL}" in response.text


@pytest.mark.parametrize("username", ["ag\u0000ent", "agent\u001b"])
def test_the_sign_in_form_refuses_control_characters(demo_server, username):
    client = demo_server.client()
    token = hidden_csrf(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": "frontdesk-demo",
                                           "csrf_token": token, "next": "/"})
    assert response.status_code == 422
    assert f"username: {CONTROL}" in response.text
    api = demo_server.client().post("/api/v1/auth/token", json={"username": username, "password": "x"})
    assert api.status_code == 422 and api.json()["errors"] == [{"field": "username", "message": CONTROL}]


@pytest.mark.parametrize("path", ["/api/v1/sites/har%00bour/tasks", "/api/v1/sites/harbour%07/units",
                                  "/sites/har%00bour/units", "/sites/harbour%1b/board"])
def test_path_parameters_with_control_characters_name_nothing(demo_server, path):
    as_api = demo_server.api_client("agent").get(path)
    as_page = demo_server.sign_in("agent").get(path)
    assert as_api.status_code == 404 and as_page.status_code == 404


def test_a_post_to_a_path_with_control_characters_is_a_quiet_404(demo_server, agent_page):
    """Access checks write the path into the audit log (a refused CSRF token): a NUL there
    failed on PostgreSQL."""
    response = agent_page.post("/sites/har%00bour/tasks/new", data={"title": "x"})
    assert response.status_code == 404


# --- Numbers beyond every column, on a live server ------------------------------------


def connection_of(response):
    return response.extensions["network_stream"].get_extra_info("client_addr")


def test_out_of_range_numbers_are_answered_quietly_on_the_same_connection(live_demo_server, caplog):
    admin_api = live_demo_server.api_client("admin")
    admin_page = live_demo_server.sign_in("admin")
    agent_api = live_demo_server.api_client("agent")
    caplog.set_level(logging.INFO)
    caplog.clear()
    for client, method, path, kwargs, status in [
        (admin_api, "GET", f"/api/v1/users/{TOO_LARGE}", {}, 404),
        (admin_api, "GET", f"/api/v1/users/{2**40}", {}, 404),
        (admin_api, "POST", f"/api/v1/users/{2**40}/password", {"json": {"password": "a long new password 1"}}, 404),
        (admin_page, "GET", f"/admin/users/{TOO_LARGE}", {}, 404),
        (admin_page, "GET", f"/admin/users/{2**40}", {}, 404),
        (agent_api, "POST", "/api/v1/sites/harbour/tasks",
         {"json": {"type": "core.general", "title": "Leak", "assignee_id": 2**70}}, 422),
        (agent_api, "GET", f"/api/v1/sites/harbour/tasks/{TOO_LARGE}", {}, 404),
    ]:
        first = client.request(method, path, **kwargs)
        again = client.get("/healthz")
        assert first.status_code == status, (path, first.text)
        assert again.status_code == 200
        assert connection_of(first) == connection_of(again), f"{method} {path} dropped the connection"
    logged = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not logged, [record.getMessage() for record in logged]
