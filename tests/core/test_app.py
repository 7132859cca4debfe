"""The app factory's public endpoints, errors and headers."""


def test_healthz_answers_while_the_process_runs(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_database_answers_and_nothing_is_pending(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["pending_migrations"] == []


def test_unknown_api_path_is_problem_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["title"] and body["detail"] and body["type"]


def test_wrong_method_is_problem_json_405(client):
    response = client.post("/api/openapi.json")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 405


def test_unknown_page_is_an_html_page_without_traceback(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text
    assert "Not found" in response.text


def test_every_response_carries_security_headers(client):
    for path in ("/", "/healthz", "/static/theme/css/frontdesk.css", "/missing"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "'unsafe-inline'" not in headers["content-security-policy"].split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"]


def test_pages_are_not_cached_but_static_files_may_be(client):
    assert client.get("/").headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/theme/css/frontdesk.css").headers.get("cache-control", "")


def test_start_page_renders_in_the_base_layout(client):
    response = client.get("/")
    assert response.status_code == 200
    assert '<link rel="stylesheet" href="/static/theme/css/frontdesk.css">' in response.text
    assert 'action="/language"' in response.text


def test_ids_beyond_64_bits_are_404_not_a_crash(demo_server):
    agent = demo_server.api_client("agent")
    assert agent.get("/api/v1/sites/harbour/tasks/80547458499929964544").status_code == 404
    assert agent.get("/api/v1/sites/harbour/units/0").status_code == 404


def test_out_of_range_numbers_in_fields_are_422(demo_server):
    agent = demo_server.api_client("agent")
    response = agent.post("/api/v1/sites/harbour/tasks", json={"type": "core.general", "title": "x",
                                                              "unit_id": -335748976455092600832})
    assert response.status_code == 422


def test_lone_surrogates_in_json_are_400(demo_server):
    agent = demo_server.api_client("agent")
    body = b'{"type": "core.general", "title": "\\ud800 broken"}'
    response = agent.post("/api/v1/sites/harbour/tasks", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_metrics_count_requests_by_route_template_for_admins_only(demo_server):
    agent = demo_server.api_client("agent")
    agent.get("/api/v1/sites/harbour/units/1")
    agent.get("/api/v1/sites/harbour/units/2")
    assert agent.get("/metrics").status_code == 403
    text = demo_server.api_client("admin").get("/metrics").text
    assert 'frontdesk_http_requests_total{method="GET",route="/api/v1/sites/{site}/units/{id:int}",status="200"} 2.0' in text
    assert "frontdesk_http_request_seconds_bucket" in text


def test_ids_beyond_a_32_bit_key_are_404_everywhere(demo_server):
    admin = demo_server.api_client("admin")
    assert admin.post("/api/v1/sites/harbour/handovers/7882031842/ack").status_code == 404
    assert admin.get("/api/v1/users/1269724088247437").status_code == 404
