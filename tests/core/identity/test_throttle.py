"""The failed-password throttle: it stops guessing without locking anyone out.

Per account, but only for browsers the account never signed in on (a signed device cookie
keeps its own count); per address with a high ceiling (a front desk shares one address);
counted atomically across app instances; cleared by ``frontdesk user unlock``; and the same
on every path that checks a password. Hashing runs off the event loop.
"""

import concurrent.futures
import subprocess
import sys
import time

import pytest

from core.audit.models import AuditEntry
from core.identity.models import LoginFailure
from core.identity.sessions import DEVICE_COOKIE
from core.testing.servers import hidden_csrf

PASSWORD = "frontdesk-demo"


def form_sign_in(client, username, password=PASSWORD):
    token = hidden_csrf(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": "/"})


def token(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_guessing_at_an_account_does_not_lock_out_a_browser_that_signed_in_before(demo_server):
    desk = demo_server.client()
    assert form_sign_in(desk, "caller2").status_code == 303
    device = desk.cookies[DEVICE_COOKIE]
    for number in range(5):  # five guessers (in-process clients all share 127.0.0.1; the account count is what bites)
        assert token(demo_server.client(), "caller2", f"guess-{number}").status_code == 401
    assert token(demo_server.client(), "caller2").status_code == 429  # a browser it never signed in on
    assert form_sign_in(demo_server.client(), "caller2").status_code == 429
    back = demo_server.client(cookies={DEVICE_COOKIE: device})  # the desk's browser, after its session ended
    assert form_sign_in(back, "caller2").status_code == 303
    assert token(demo_server.client(cookies={DEVICE_COOKIE: device}), "caller2").status_code == 201


def test_a_device_cookie_is_signed_and_bound_to_its_account(demo_server):
    desk = demo_server.client()
    form_sign_in(desk, "caller2")
    cookie = desk.cookies[DEVICE_COOKIE]
    user_id, nonce, mac = cookie.split("|")[0].split(".")
    for _ in range(5):
        token(demo_server.client(), "agent", "bad-password")
        token(demo_server.client(), "caller2", "bad-password")
    forged = f"{user_id}.{nonce}.{'0' * len(mac)}"
    assert token(demo_server.client(cookies={DEVICE_COOKIE: forged}), "caller2").status_code == 429
    assert token(demo_server.client(cookies={DEVICE_COOKIE: cookie}), "agent").status_code == 429  # caller2's, not agent's
    assert token(demo_server.client(cookies={DEVICE_COOKIE: cookie}), "caller2").status_code == 201


def test_the_device_cookie_is_httponly_lax_and_long_lived(demo_server):
    response = form_sign_in(demo_server.client(), "caller2")
    header = next(value for value in response.headers.get_list("set-cookie") if value.startswith(DEVICE_COOKIE))
    assert "HttpOnly" in header and "SameSite=lax" in header and "Max-Age=34560000" in header
    assert "Secure" not in header  # plain http here; https requests get Secure (same rule as the session cookie)


def test_a_browser_that_signed_in_before_keeps_a_count_of_its_own(demo_server):
    desk = demo_server.client()
    form_sign_in(desk, "caller2")
    back = demo_server.client(cookies={DEVICE_COOKIE: desk.cookies[DEVICE_COOKIE]})
    for _ in range(5):
        assert token(back, "caller2", "bad-password").status_code == 401
    assert token(back, "caller2").status_code == 429
    assert token(demo_server.client(), "caller2").status_code == 201  # the account count was not touched


def test_one_accounts_failures_at_a_shared_address_do_not_lock_out_colleagues(demo_server):
    desk = demo_server.client()  # every in-process client comes from 127.0.0.1: one front desk
    for _ in range(12):
        token(desk, "agent", "bad-password")
    assert token(desk, "agent").status_code == 429
    assert token(desk, "agent2").status_code == 201
    assert form_sign_in(demo_server.client(), "caller2").status_code == 303


def test_an_address_has_a_much_higher_ceiling_of_its_own(make_demo_app):
    from core.settings import Settings

    assert Settings().login_max_failures_per_address == 100
    server = make_demo_app(login_max_failures_per_address=8)
    for number in range(8):
        token(server.client(), f"nobody{number}", "bad-password")
    response = token(server.client(), "agent")
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0


def test_concurrent_wrong_guesses_are_counted_atomically_across_two_app_instances(make_demo_app):
    first, second = make_demo_app(), make_demo_app()
    clients = [(first if number % 2 else second).client() for number in range(30)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(lambda client: token(client, "agent", "bad-password").status_code, clients))
    assert sorted(statuses) == [401] * 5 + [429] * 25
    assert first.call(lambda: LoginFailure.filter(scope="user:agent").count()) == 5


def test_unlock_clears_an_accounts_failures_and_is_audited(demo_server, demo_database_url):
    for _ in range(5):
        token(demo_server.client(), "agent", "bad-password")
    assert token(demo_server.client(), "agent").status_code == 429
    result = subprocess.run(
        [sys.executable, "-m", "core", "user", "unlock", "agent"], capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "FRONTDESK_DATABASE_URL": demo_database_url, "FRONTDESK_SECRET_KEY": "k" * 40})
    assert result.returncode == 0, result.stderr
    assert "5 failed sign-ins cleared" in result.stdout
    assert token(demo_server.client(), "agent").status_code == 201
    entry = demo_server.call(lambda: AuditEntry.get(action="user.unlock"))
    assert entry.after == {"failures_cleared": 5}


def test_unlocking_and_its_audit_entry_are_one_transaction(demo_server, monkeypatch):
    from core.actors import Actor
    from core.audit import services as audit
    from core.identity import sessions
    from core.identity.models import User

    for _ in range(3):
        token(demo_server.client(), "agent", "bad-password")
    agent, admin = (demo_server.call(lambda name=name: User.get(username=name)) for name in ("agent", "admin"))

    async def broken(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    with monkeypatch.context() as patched:
        patched.setattr(audit, "record", broken)
        with pytest.raises(RuntimeError):
            demo_server.call(lambda: sessions.unlock(agent))
    assert demo_server.call(lambda: LoginFailure.filter(scope="user:agent").count()) == 3  # nothing cleared unaudited
    assert demo_server.call(lambda: sessions.unlock(agent, actor=Actor(user=admin))) == 3
    entry = demo_server.call(lambda: AuditEntry.get(action="user.unlock"))
    assert (entry.actor_name, entry.object_id, entry.after) == ("admin", str(agent.id), {"failures_cleared": 3})


def test_the_password_change_page_counts_wrong_current_passwords(demo_server):
    browser = demo_server.sign_in("agent")
    form = {"new": "a-new-long-password", "repeat": "a-new-long-password"}
    for number in range(5):
        response = browser.form_post("/account/password", {**form, "current": f"guess-{number}"})
        assert response.status_code == 422
    throttled = browser.form_post("/account/password", {**form, "current": PASSWORD})
    assert throttled.status_code == 429 and "Too many failed sign-ins" in throttled.text
    assert token(demo_server.client(), "agent", "a-new-long-password").status_code == 401  # not changed


def test_a_right_current_password_takes_its_count_back(demo_server):
    browser = demo_server.sign_in("agent")
    form = {"current": PASSWORD, "new": "a-new-long-password", "repeat": "a-new-long-passwore"}
    for _ in range(6):  # refused for the repeat, not for the password
        assert browser.form_post("/account/password", form).status_code == 422
    assert demo_server.call(lambda: LoginFailure.all().count()) == 0


def test_sign_ins_hash_off_the_event_loop_so_other_requests_are_answered_meanwhile(make_live_app):
    """Four sign-ins with a deliberately slow hash (about a second each here); once they are
    under way, three health checks are asked one after another. Off the event loop all
    three are answered before any sign-in is; with hashing on the loop the loop is blocked
    while each hash runs, and the sign-ins win. An ordering, not a timing threshold."""
    from core.identity import services

    server = make_live_app(password_time_cost=80, password_memory_kib=16384, password_parallelism=1)
    server.call(services.create_user, "slowhash", "a-slow-long-password")
    order: list[str] = []

    def sign_in() -> int:
        # A generous timeout: the four slow hashes share two cores with the rest of the
        # suite; what is tested is the order of the answers, not how long they take.
        status = token(server.client(timeout=120), "slowhash", "a-slow-long-password").status_code
        order.append("sign-in")
        return status

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        signing = [pool.submit(sign_in) for _ in range(4)]
        time.sleep(0.3)  # let the sign-ins reach their hashing
        client = server.client(timeout=120)
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
            order.append("healthz")
        statuses = [future.result() for future in signing]
    assert statuses == [201] * 4
    assert order[:3] == ["healthz"] * 3, order


def test_guessing_slows_before_the_account_is_suspended(make_demo_app, clock):
    """After ``login_slow_after`` failures each further attempt waits a doubling pause since
    the last one (429 with Retry-After, nothing counted); at the limit the account's
    password sign-in from unknown browsers is suspended for the window."""
    server = make_demo_app(login_slow_after=2, login_slow_seconds=10)
    for number in range(2):
        assert token(server.client(), "caller2", f"guess-{number}").status_code == 401
    early = token(server.client(), "caller2", "guess-2")
    assert early.status_code == 429 and early.headers["Retry-After"] == "10"
    clock.shift(11)
    assert token(server.client(), "caller2", "guess-2").status_code == 401  # the third failure, after its pause
    early = token(server.client(), "caller2", "guess-3")
    assert early.status_code == 429 and early.headers["Retry-After"] == "20"  # the pause doubles
    assert token(server.client(), "caller2").status_code == 429  # even the right password waits
    clock.shift(21)
    assert token(server.client(), "caller2").status_code == 201  # the owner gets in once it has passed
