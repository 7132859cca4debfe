"""Behind a TLS proxy: the scheme a trusted proxy reports is believed, from anyone else not.

The in-process client connects from 127.0.0.1, so ``trusted_proxies=["127.0.0.1/32"]``
makes it the proxy and the default (no trusted proxies) makes it a client speaking directly.
"""

from __future__ import annotations

from core.testing.servers import DEMO_PASSWORD, hidden_csrf

PROXY = ["127.0.0.1/32"]
HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


def _cookie_line(response, name: str) -> str:
    lines = [line for line in response.headers.get_list("set-cookie") if line.startswith(f"{name}=")]
    assert lines, f"no {name} cookie set"
    return lines[0]


def _sign_in_response(server, headers: dict):
    """The sign-in answer, carrying the anonymous CSRF cookie by hand: a Secure cookie is
    not sent back over the client's own plain-http connection."""
    client = server.client(headers=headers)
    form = client.get("/login")
    csrf_cookie = _cookie_line(form, "frontdesk_csrf").split(";", 1)[0]
    client.cookies.clear()
    return form, client.post("/login", headers={"Cookie": csrf_cookie},
                             data={"username": "agent", "password": DEMO_PASSWORD,
                                   "csrf_token": hidden_csrf(form.text), "next": "/"})


def test_https_from_a_trusted_proxy_makes_cookies_secure_and_sends_hsts(make_demo_app):
    server = make_demo_app(trusted_proxies=PROXY)
    form, signed_in = _sign_in_response(server, HTTPS)
    assert signed_in.status_code == 303
    assert "Secure" in _cookie_line(form, "frontdesk_csrf")
    session = _cookie_line(signed_in, "frontdesk_session")
    assert "Secure" in session and "HttpOnly" in session
    assert form.headers["strict-transport-security"] == "max-age=31536000"


def test_the_forwarded_header_is_believed_from_a_trusted_proxy(make_app):
    server = make_app(trusted_proxies=PROXY)
    response = server.client(headers={"Forwarded": 'for=203.0.113.7;proto="https";host=desk.example.org'}).get("/login")
    assert "Secure" in _cookie_line(response, "frontdesk_csrf")
    assert "strict-transport-security" in response.headers


def test_the_proxy_reporting_plain_http_is_believed_too(make_app):
    server = make_app(trusted_proxies=PROXY)
    response = server.client(headers={"X-Forwarded-Proto": "http", "Forwarded": "proto=https"}).get("/login")
    assert "Secure" not in _cookie_line(response, "frontdesk_csrf")
    assert "strict-transport-security" not in response.headers


def test_a_client_claiming_https_is_not_believed(make_demo_app):
    server = make_demo_app()  # no trusted proxies: the peer is the client itself
    form, signed_in = _sign_in_response(server, {**HTTPS, "Forwarded": "for=203.0.113.7;proto=https"})
    assert signed_in.status_code == 303
    assert "Secure" not in _cookie_line(form, "frontdesk_csrf")
    assert "Secure" not in _cookie_line(signed_in, "frontdesk_session")
    assert "strict-transport-security" not in form.headers


def test_a_peer_outside_the_trusted_networks_is_not_believed(make_app):
    server = make_app(trusted_proxies=["10.0.0.0/8"])
    response = server.client(headers=HTTPS).get("/login")
    assert "Secure" not in _cookie_line(response, "frontdesk_csrf")
    assert "strict-transport-security" not in response.headers


def test_redirects_built_by_the_app_use_the_scheme_the_proxy_reports(make_app):
    server = make_app(trusted_proxies=PROXY)
    # The router's trailing-slash redirect is an absolute address built from the request.
    assert server.client(headers=HTTPS).get("/login/").headers["location"].startswith("https://")
    assert server.client().get("/login/").headers["location"].startswith("http://")


def test_hsts_max_age_is_a_setting(make_app):
    assert make_app(trusted_proxies=PROXY, hsts_max_age_seconds=600).client(headers=HTTPS).get(
        "/login").headers["strict-transport-security"] == "max-age=600"
    assert "strict-transport-security" not in make_app(trusted_proxies=PROXY, hsts_max_age_seconds=0).client(
        headers=HTTPS).get("/login").headers


def test_require_https_redirects_reads_and_refuses_writes_over_plain_http(make_demo_app):
    server = make_demo_app(require_https=True)
    page = server.client().get("/login?next=/tasks")
    assert page.status_code == 308
    assert page.headers["location"] == "https://127.0.0.1/login?next=/tasks"
    write = server.client().post("/api/v1/auth/token", json={"username": "agent", "password": DEMO_PASSWORD})
    assert write.status_code == 403
    assert write.headers["content-type"] == "application/problem+json"
    assert "token" not in write.json()
    # A client claiming https itself is still plain http.
    assert server.client(headers=HTTPS).get("/login").status_code == 308
    # Probes stay open over plain http.
    assert server.client().get("/healthz").status_code == 200
    assert server.client().get("/readyz").status_code == 200


def test_require_https_lets_through_what_a_trusted_proxy_received_over_https(make_demo_app):
    server = make_demo_app(require_https=True, trusted_proxies=PROXY)
    assert server.client(headers=HTTPS).get("/login").status_code == 200
    token = server.client(headers=HTTPS).post("/api/v1/auth/token", json={"username": "agent", "password": DEMO_PASSWORD})
    assert token.status_code == 201
    assert server.client(headers={"X-Forwarded-Proto": "http"}).get("/login").status_code == 308
