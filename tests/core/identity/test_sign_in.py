"""Sign-in for browsers: sessions on the server, timeouts, and what ends them."""

import datetime as dt

import pytest

from core.identity.models import User
from core.web.authentication import SESSION_COOKIE


def test_sign_in_sets_a_new_http_only_lax_session_cookie(demo_server):
    client = demo_server.client()
    client.cookies.set(SESSION_COOKIE, "attacker-chosen-id")
    form = client.get("/login")
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/login", data={"username": "agent", "password": "frontdesk-demo", "csrf_token": token})
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "attacker-chosen-id" not in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie


def test_wrong_password_reshows_the_form_with_a_message(demo_server):
    client = demo_server.client()
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/login", data={"username": "agent", "password": "nope", "csrf_token": token})
    assert response.status_code == 401
    assert '<div class="form-errors" role="alert">' in response.text and "Wrong username or password" in response.text
    assert 'value="agent"' in response.text


def test_a_refused_password_change_shows_each_message_beside_its_field(demo_server):
    client = demo_server.sign_in("agent")
    refused = client.form_post("/account/password", {"current": "wrong-password", "new": "a-new-long-password",
                                                     "repeat": "another-long-password"})
    assert refused.status_code == 422
    assert '<p class="field-error" id="current-error">The current password is wrong.</p>' in refused.text
    assert '<p class="field-error" id="repeat-error">The two new passwords differ.</p>' in refused.text
    assert "wrong-password" not in refused.text and "a-new-long-password" not in refused.text
    short = client.form_post("/account/password", {"current": "frontdesk-demo", "new": "short", "repeat": "short"})
    assert short.status_code == 422 and 'id="new-error"' in short.text  # the service's "password" is this "new"


def test_sign_in_form_without_csrf_token_is_refused(demo_server):
    response = demo_server.client().post("/login", data={"username": "agent", "password": "frontdesk-demo"})
    assert response.status_code == 403


def test_logout_ends_the_session_on_the_server(demo_server):
    client = demo_server.sign_in("agent")
    stolen = client.cookies.get(SESSION_COOKIE)
    assert client.form_post("/logout").status_code == 303
    replay = demo_server.client(cookies={SESSION_COOKIE: stolen})
    assert replay.get("/api/v1/me").status_code == 401


def test_password_change_ends_every_other_session(demo_server):
    first = demo_server.sign_in("agent")
    second = demo_server.sign_in("agent")
    response = first.form_post("/account/password", {"current": "frontdesk-demo", "new": "a-new-long-password",
                                                      "repeat": "a-new-long-password"})
    assert response.status_code == 200
    assert second.get("/api/v1/me").status_code == 401
    assert first.get("/api/v1/me").status_code == 200  # the changing browser got a fresh session


def test_disabling_a_user_ends_their_sessions_and_tokens(demo_server):
    browser = demo_server.sign_in("agent")
    api = demo_server.api_client("agent")
    admin = demo_server.api_client("admin")
    user_id = browser.get("/api/v1/me").json()["id"]
    assert admin.patch(f"/api/v1/users/{user_id}", json={"is_active": False}).status_code == 200
    assert browser.get("/api/v1/me").status_code == 401
    assert api.get("/api/v1/me").status_code == 401


def test_idle_and_absolute_timeouts(demo_server, clock):
    client = demo_server.sign_in("agent")
    clock.shift(dt.timedelta(minutes=31))  # idle past session_idle_minutes (30)
    assert client.get("/api/v1/me").status_code == 401
    client = demo_server.sign_in("agent")
    # Active every 29 minutes, so never idle: it holds until session_absolute_hours (12),
    # i.e. for 24 steps (11 h 36 min), and ends at the 25th (12 h 05 min).
    statuses = []
    for _ in range(25):
        clock.shift(dt.timedelta(minutes=29))
        statuses.append(client.get("/api/v1/me").status_code)
    assert statuses == [200] * 24 + [401]


def test_password_rules(demo_server):
    client = demo_server.sign_in("agent")
    for new, message in (("short", "at least 10"), ("agent", "at least 10"), ("AGENT     ", "must not be the username")):
        response = client.form_post("/account/password", {"current": "frontdesk-demo", "new": new, "repeat": new})
        assert response.status_code == 422 and message in response.text


def test_hash_is_argon2id_and_rehashed_when_parameters_change(demo_server):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash("frontdesk-demo")
    demo_server.call(lambda: User.filter(username="agent").update(password_hash=weak))
    demo_server.sign_in("agent")
    stored = demo_server.call(lambda: User.get(username="agent")).password_hash
    assert stored.startswith("$argon2id$") and stored != weak


def test_every_page_warns_while_demo_accounts_keep_the_published_password(demo_server):
    from core.identity.models import User

    browser = demo_server.sign_in("agent")
    assert "Demo accounts still use the published password" in browser.get("/", follow_redirects=True).text
    demo_server.call(lambda: User.all().update(has_demo_password=False))
    demo_server.app.state.demo_warning = (0.0, False)  # skip the 30-second re-check
    assert "Demo accounts still use the published password" not in browser.get("/", follow_redirects=True).text


def test_production_hashing_is_argon2_cffis_rfc_9106_low_memory_profile():
    """The settings' defaults are argon2-cffi's recommended profile, and a hash made with
    them carries those parameters (the test kit lowers them for speed; production never)."""
    from argon2.profiles import RFC_9106_LOW_MEMORY

    from core.identity import passwords
    from core.settings import Settings, load_settings
    from core.testing import settings_for

    for settings in (Settings(), load_settings(environ={})):  # the model and config/default.toml
        assert (settings.password_time_cost, settings.password_memory_kib, settings.password_parallelism) == (
            RFC_9106_LOW_MEMORY.time_cost, RFC_9106_LOW_MEMORY.memory_cost, RFC_9106_LOW_MEMORY.parallelism)
    try:
        passwords.configure_hashing_from(Settings())
        assert "$m=65536,t=3,p=4$" in passwords.hash_password("a production password")
    finally:
        passwords.configure_hashing_from(settings_for("sqlite://unused.sqlite3"))
    assert "$m=8,t=1,p=1$" in passwords.hash_password("a test password")


def test_argon2_memory_must_fit_its_lanes():
    from core.errors import StartupError
    from core.settings import load_settings

    with pytest.raises(StartupError, match="8 KiB per lane"):
        load_settings(environ={}, password_memory_kib=16, password_parallelism=4)
