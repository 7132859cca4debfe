"""Server-sent events: a site's live changes, filtered by site and permission, and
shared between server processes on PostgreSQL. Streams are endless, so these tests read
them from a real server on loopback (``live_demo_server``) while other clients write."""

import datetime as dt
import json
import queue
import threading
import time

import pytest

from core.events import LiveEvent
from core.tasks import api as tasks_api
from tests.core.tasks.conftest import new_task


class Listener:
    """Reads an SSE stream in a thread; ``next_event()`` waits for the next one."""

    def __init__(self, client, site="harbour"):
        self.events: queue.Queue = queue.Queue()
        self.connected = threading.Event()
        self.ended = threading.Event()
        self.client = client
        self.thread = threading.Thread(target=self._read, args=(f"/api/v1/sites/{site}/events",), daemon=True)
        self.thread.start()
        assert self.connected.wait(10), "the stream did not open"

    def _read(self, path):
        name = None
        try:
            with self.client.stream("GET", path, timeout=30) as response:
                self.status = response.status_code
                self.connected.set()
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        name = line[len("event: "):]
                    elif line.startswith("data: "):
                        self.events.put((name, json.loads(line[len("data: "):]), time.monotonic()))
        except Exception:
            self.connected.set()
        finally:
            self.ended.set()

    def next_event(self, timeout=5.0):
        return self.events.get(timeout=timeout)


def test_a_created_task_reaches_open_streams_of_the_site(live_demo_server):
    listener = Listener(live_demo_server.api_client("agent2"))
    task = new_task(live_demo_server.api_client("agent"))
    name, data, _at = listener.next_event()
    assert name == "task.created" and data["id"] == task["id"]


def test_streams_are_filtered_by_site_and_permission(live_demo_server):
    demo_server = live_demo_server
    admin_stream = Listener(demo_server.api_client("admin"))
    agent_stream = Listener(demo_server.api_client("agent"))
    lotus_stream = Listener(demo_server.api_client("admin"), site="lotus")
    harbour_id = demo_server.call(lambda: __import__("core.entities.models", fromlist=["Site"]).Site.get(code="harbour")).id
    bus = demo_server.app.state.events
    demo_server.call(bus.publish, LiveEvent(harbour_id, "secret.thing", {"n": 1}, permission="core.user.manage"))
    demo_server.call(bus.publish, LiveEvent(harbour_id, "public.thing", {"n": 2}))
    assert admin_stream.next_event()[0] == "secret.thing"
    assert agent_stream.next_event()[0] == "public.thing"  # the secret one was not for agents
    with pytest.raises(queue.Empty):
        lotus_stream.next_event(timeout=1)


def test_a_non_member_cannot_open_another_sites_stream(demo_server):
    assert demo_server.api_client("agent").get("/api/v1/sites/lotus/events").status_code == 404


def test_events_cross_server_processes_on_postgres(make_live_demo_app, database_backend):
    if database_backend != "postgres":
        pytest.skip("events cross processes through PostgreSQL LISTEN/NOTIFY; SQLite keeps them in one process")
    writer, reader = make_live_demo_app(), make_live_demo_app()
    # The reader's app LISTENs from its start, and the stream subscribes before its first byte.
    listener = Listener(reader.api_client("agent2"))
    started = time.monotonic()
    task = new_task(writer.api_client("agent"))
    name, data, arrived = listener.next_event()
    assert name == "task.created" and data["id"] == task["id"]
    assert arrived - started < 2.0


# --- Streams end with the sign-in they began with ---------------------------------------------


@pytest.fixture
def quick_checks(monkeypatch):
    """Streams re-check their caller five times a second instead of every few seconds."""
    monkeypatch.setattr(tasks_api, "PRINCIPAL_CHECK_SECONDS", 0.2)


def publish(server, name="public.thing", permission=None):
    from core.entities.models import Site

    site_id = server.call(lambda: Site.get(code="harbour")).id
    server.call(server.app.state.events.publish, LiveEvent(site_id, name, {"n": 1}, permission=permission))


def user_id(client):
    return client.get("/api/v1/me").json()["id"]


def assert_ended(listener, server, within=3.0):
    """The stream ends soon, and nothing published afterwards reaches its reader."""
    assert listener.ended.wait(within), "the stream outlived the sign-in"
    publish(server)
    with pytest.raises(queue.Empty):
        listener.next_event(timeout=0.3)


def test_disabling_a_user_ends_their_open_streams(live_demo_server, quick_checks):
    agent2, admin = live_demo_server.api_client("agent2"), live_demo_server.api_client("admin")
    listener = Listener(agent2)
    publish(live_demo_server)
    assert listener.next_event()[0] == "public.thing"  # delivering, until...
    assert admin.patch(f"/api/v1/users/{user_id(agent2)}", json={"is_active": False}).status_code == 200
    assert_ended(listener, live_demo_server)
    assert agent2.get("/api/v1/me").status_code == 401


def test_logout_ends_the_sessions_open_streams(live_demo_server, quick_checks):
    browser = live_demo_server.sign_in("agent2")
    cookie = browser.cookies.get("frontdesk_session")
    listener = Listener(browser)
    assert browser.form_post("/logout").status_code == 303
    assert_ended(listener, live_demo_server)
    # The ended session's cookie, presented again (a copy the browser did not forget).
    stale = live_demo_server.client(cookies={"frontdesk_session": cookie})
    assert stale.get("/api/v1/me").status_code == 401


def test_a_password_change_ends_the_users_open_streams(live_demo_server, quick_checks):
    agent2, admin = live_demo_server.api_client("agent2"), live_demo_server.api_client("admin")
    listener = Listener(agent2)
    response = admin.post(f"/api/v1/users/{user_id(agent2)}/password", json={"password": "a brand new passphrase 91"})
    assert response.status_code == 204
    assert_ended(listener, live_demo_server)
    assert agent2.get("/api/v1/sites/harbour/tasks").status_code == 401


def test_revoking_a_token_ends_its_open_streams(live_demo_server, quick_checks):
    agent2 = live_demo_server.api_client("agent2")
    listener = Listener(agent2)
    assert agent2.delete("/api/v1/auth/token").status_code == 204
    assert_ended(listener, live_demo_server)
    assert agent2.get("/api/v1/me").status_code == 401


def test_removing_the_membership_ends_the_sites_open_streams(live_demo_server, quick_checks):
    agent2, admin = live_demo_server.api_client("agent2"), live_demo_server.api_client("admin")
    listener = Listener(agent2)
    response = admin.post(f"/api/v1/users/{user_id(agent2)}/memberships/revoke", json={"site": "harbour", "role": "agent"})
    assert response.status_code == 200
    assert_ended(listener, live_demo_server)
    assert agent2.get("/api/v1/sites/harbour/events").status_code == 404


def test_a_narrowed_role_narrows_the_open_stream(live_demo_server, quick_checks):
    agent2, admin = live_demo_server.api_client("agent2"), live_demo_server.api_client("admin")
    memberships = f"/api/v1/users/{user_id(agent2)}/memberships"
    assert admin.post(memberships, json={"site": "harbour", "role": "admin"}).status_code == 200
    listener = Listener(agent2)
    assert admin.post(f"{memberships}/revoke", json={"site": "harbour", "role": "admin"}).status_code == 200
    time.sleep(0.6)  # a few re-checks
    publish(live_demo_server, "secret.thing", permission="core.user.manage")
    publish(live_demo_server, "public.thing")
    assert listener.next_event()[0] == "public.thing"  # still a member: the stream goes on, narrowed
    assert not listener.ended.is_set()


def test_an_event_is_not_delivered_to_a_sign_in_that_ended_since_the_last_check(live_demo_server, monkeypatch):
    monkeypatch.setattr(tasks_api, "PRINCIPAL_CHECK_SECONDS", 60.0)  # only the event triggers a check
    agent2, admin = live_demo_server.api_client("agent2"), live_demo_server.api_client("admin")
    listener = Listener(agent2)
    time.sleep(tasks_api.EVENT_CHECK_SECONDS + 0.1)
    assert admin.patch(f"/api/v1/users/{user_id(agent2)}", json={"is_active": False}).status_code == 200
    publish(live_demo_server, "after.disabling")
    assert listener.ended.wait(2), "the event did not make the stream re-check its caller"
    assert listener.events.empty()


def test_a_user_disabled_on_one_server_process_loses_streams_on_another(make_live_demo_app, database_backend,
                                                                       quick_checks):
    if database_backend != "postgres":
        pytest.skip("several server processes share a database only on PostgreSQL")
    writer, reader = make_live_demo_app(), make_live_demo_app()
    agent2 = reader.api_client("agent2")
    listener = Listener(agent2)
    admin = writer.api_client("admin")
    assert admin.patch(f"/api/v1/users/{user_id(agent2)}", json={"is_active": False}).status_code == 200
    assert_ended(listener, reader)
    assert agent2.get("/api/v1/me").status_code == 401


def test_a_stream_does_not_keep_an_idle_session_alive(live_demo_server, quick_checks, clock):
    from core.identity.models import UserSession

    browser = live_demo_server.sign_in("agent2")
    listener = Listener(browser)

    def last_seen():
        return UserSession.filter(user__username="agent2").first().values_list("last_seen_at", flat=True)

    seen = live_demo_server.call(last_seen)
    clock.shift(dt.timedelta(minutes=2))
    time.sleep(0.6)  # a few re-checks: none of them is activity
    assert live_demo_server.call(last_seen) == seen
    assert not listener.ended.is_set()
    minutes = live_demo_server.app.state.settings.session_idle_minutes
    clock.shift(dt.timedelta(minutes=minutes))
    assert_ended(listener, live_demo_server)
    assert browser.get("/api/v1/me").status_code == 401
