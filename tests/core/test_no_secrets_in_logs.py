"""Secrets are never logged: no password, bearer token, session cookie value or CSRF token
reaches any logger (every logger at DEBUG, uvicorn's and Tortoise's SQL log included) or the
audit log (note, before, after), through sign-in by form and by API, a password change (by
the user and by an admin), bearer calls, token revocation and failed sign-ins."""

import json
import logging
import re

from core.identity.models import User

PASSWORD = "frontdesk-demo"  # the demo users' password
NEW_PASSWORD = "Nw-pass-7c1f9e2a-long"  # noqa: S105
ADMIN_SET_PASSWORD = "Adm-set-3b8d0f61-long"  # noqa: S105
WRONG_PASSWORD = "Wr0ng-guess-55aa71"  # noqa: S105
CLIENT_LOGGERS = ("httpx", "httpcore")


def _hidden_csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]*)"', html).group(1)


def _capture_every_logger(caplog):
    """DEBUG everywhere; loggers that do not propagate (uvicorn's) get caplog's handler too."""
    caplog.set_level(logging.DEBUG)
    attached = []
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        caplog.set_level(logging.DEBUG, logger=name)
        logger.disabled = False
        if not logger.propagate and caplog.handler not in logger.handlers:
            logger.addHandler(caplog.handler)
            attached.append(logger)
    return attached


def test_no_password_token_cookie_or_csrf_token_is_logged_or_audited(live_demo_server, caplog):
    # A real server: its access log (uvicorn.access) is one of the logs searched.
    demo_server = live_demo_server
    user_ids = dict(demo_server.call(lambda: User.all().values_list("username", "id")))
    from core.audit.models import AuditEntry

    attached = _capture_every_logger(caplog)
    secrets: set[str] = {PASSWORD, NEW_PASSWORD, ADMIN_SET_PASSWORD, WRONG_PASSWORD}
    try:
        # The browser: anonymous CSRF, sign-in form, a password change by the user, one refused.
        browser = demo_server.client()
        anonymous_csrf = _hidden_csrf(browser.get("/login").text)
        secrets.add(anonymous_csrf)
        secrets.update(browser.cookies.values())
        signed_in = browser.post("/login", data={"username": "agent", "password": PASSWORD,
                                                 "csrf_token": anonymous_csrf, "next": "/"})
        assert signed_in.status_code == 303
        secrets.update(browser.cookies.values())
        csrf = _hidden_csrf(browser.get("/account/password").text)
        secrets.add(csrf)
        changed = browser.post("/account/password", data={"csrf_token": csrf, "current": PASSWORD,
                                                          "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
        assert changed.status_code == 200, changed.text
        secrets.update(browser.cookies.values())  # the fresh session after the change
        session_csrf = {csrf, _hidden_csrf(browser.get("/account/password").text)}
        secrets.update(session_csrf)
        refused = browser.post("/account/password", data={"csrf_token": max(session_csrf - {csrf}),
                                                          "current": WRONG_PASSWORD, "new": NEW_PASSWORD + "2",
                                                          "repeat": NEW_PASSWORD + "2"})
        assert refused.status_code == 422
        secrets.add(NEW_PASSWORD + "2")
        browser.post("/logout", data={"csrf_token": _hidden_csrf(browser.get("/account").text)})

        # A failed sign-in by form and by API.
        stranger = demo_server.client()
        token = _hidden_csrf(stranger.get("/login").text)
        secrets.add(token)
        secrets.update(stranger.cookies.values())
        failed = stranger.post("/login", data={"username": "agent2", "password": WRONG_PASSWORD,
                                               "csrf_token": token, "next": "/"})
        assert failed.status_code == 401
        assert demo_server.client().post("/api/v1/auth/token", json={"username": "agent2",
                                                                     "password": WRONG_PASSWORD}).status_code == 401

        # API tokens: issue, use, an admin setting a password, revoke, use the revoked token.
        admin = demo_server.api_client("admin")
        secrets.add(admin.token)
        assert admin.get("/api/v1/me").status_code == 200
        assert admin.post(f"/api/v1/users/{user_ids['agent2']}/password",
                          json={"password": ADMIN_SET_PASSWORD}).status_code == 204
        agent2 = demo_server.api_client("agent2", password=ADMIN_SET_PASSWORD)
        secrets.add(agent2.token)
        assert agent2.get("/api/v1/me").status_code == 200
        assert agent2.delete("/api/v1/auth/token").status_code == 204
        assert agent2.get("/api/v1/me").status_code == 401
        assert demo_server.client(headers={"Authorization": f"Bearer {agent2.token}x"}).get(
            "/api/v1/me").status_code == 401
    finally:
        for logger in attached:
            logger.removeHandler(caplog.handler)

    secrets = {secret for secret in secrets if secret}
    # The server's records only: httpx and httpcore are this test's own HTTP client, whose DEBUG
    # trace prints the responses' Set-Cookie headers by design.
    records = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]
    # The search works: every source spoke, and the client's own trace does show a cookie value.
    assert len(secrets) >= 10 and {"tortoise.db_client", "uvicorn.access"} <= {r.name for r in records}
    client_trace = "\n".join(caplog.handler.format(r) for r in caplog.records if r.name.startswith("httpcore"))
    assert any(secret in client_trace for secret in secrets)
    entries = demo_server.call(lambda: AuditEntry.all().values("action", "note", "before", "after",
                                                               "object_id", "actor_name"))
    assert {"auth.login", "auth.login_failed", "auth.token_revoked"} <= {e["action"] for e in entries}
    texts = [(f"logger {r.name} ({r.module}:{r.lineno})", f"{caplog.handler.format(r)} {r.args!r} {r.__dict__!r}")
             for r in records]
    texts += [(f"audit {e['action']}", json.dumps(e, default=str)) for e in entries]
    # Only where a secret leaked and its first characters are shown, never the secret.
    leaks = sorted({(secret, where) for secret in secrets for where, text in texts if secret in text})
    assert not leaks, "secrets leaked:\n" + "\n".join(f"{secret[:4]}… in {where}" for secret, where in leaks)
