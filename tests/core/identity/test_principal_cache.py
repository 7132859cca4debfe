"""The principal cache (``core.identity.principals``): no per-request queries for the
caller's sign-in and permissions, and every change that narrows them seen at once, in
this process and (PostgreSQL) in every other."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from core.clock import utcnow
from core.identity import principals
from core.identity.models import ApiToken, Membership, Role, User

ROOT = Path(__file__).resolve().parents[3]


def identity_reads(caplog, call) -> list[str]:
    """The SQL statements ``call()`` sent that read sign-ins or memberships."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        call()
    tables = ("core_api_token", "core_user_session", "core_membership", "core_role_permission")
    return [record.getMessage() for record in caplog.records
            if any(table in record.getMessage() for table in tables)]


def user_id(client) -> int:
    return client.get("/api/v1/me").json()["id"]


def test_a_known_caller_costs_no_identity_query(demo_server, caplog):
    agent = demo_server.api_client("agent")
    assert agent.get("/api/v1/sites/harbour/tasks").status_code == 200  # loads the cache
    assert identity_reads(caplog, lambda: agent.get("/api/v1/sites/harbour/tasks")) == []
    browser = demo_server.sign_in("agent")
    assert browser.get("/sites/harbour/my-work").status_code == 200
    assert identity_reads(caplog, lambda: browser.get("/sites/harbour/my-work")) == []


def test_a_manager_of_300_sites_is_read_once_not_per_request(demo_server, caplog):
    from core.entities.models import Site

    async def many_sites():
        manager = await User.get(username="manager")
        role = await Role.get(name="manager")
        for number in range(300):
            site = await Site.create(code=f"extra{number:03d}", name=f"Extra {number}", kind="residential",
                                     timezone="Asia/Taipei", currency="TWD")
            await Membership.create(user=manager, site=site, role=role)
        principals.forget(manager.id)

    demo_server.call(many_sites)
    manager = demo_server.api_client("manager")
    first = identity_reads(caplog, lambda: manager.get("/api/v1/sites/harbour/units/1"))
    assert len([sql for sql in first if "core_membership" in sql]) == 1  # (site, role) pairs, no join to grants
    assert not [sql for sql in first if "core_membership" in sql and "core_role_permission" in sql]
    assert identity_reads(caplog, lambda: manager.get("/api/v1/sites/extra123/units")) == []
    assert manager.get("/api/v1/sites/extra299/units").status_code == 200


@pytest.mark.parametrize("change", ["disable", "password", "revoke_token", "membership", "role_grants",
                                    "superadmin"])
def test_a_change_through_the_services_is_seen_by_the_next_request(demo_server, change):
    admin = demo_server.api_client("admin")
    agent = demo_server.api_client("agent")
    assert agent.get("/api/v1/sites/harbour/tasks").status_code == 200  # cached from here on
    agent_id = user_id(agent)
    if change == "disable":
        assert admin.patch(f"/api/v1/users/{agent_id}", json={"is_active": False}).status_code == 200
        assert agent.get("/api/v1/sites/harbour/tasks").status_code == 401
    elif change == "password":
        assert admin.post(f"/api/v1/users/{agent_id}/password",
                          json={"password": "a-new-password-1234"}).status_code in (200, 204)
        assert agent.get("/api/v1/sites/harbour/tasks").status_code == 401
    elif change == "revoke_token":
        assert agent.delete("/api/v1/auth/token").status_code in (200, 204)
        assert agent.get("/api/v1/sites/harbour/tasks").status_code == 401
    elif change == "membership":
        roles = [m["role"] for m in admin.get(f"/api/v1/users/{agent_id}").json()["memberships"]
                 if m["site"] == "harbour"]
        for role in roles:
            response = admin.post(f"/api/v1/users/{agent_id}/memberships/revoke", json={"site": "harbour", "role": role})
            assert response.status_code in (200, 204), response.text
        assert agent.get("/api/v1/sites/harbour/tasks").status_code == 404
    elif change == "role_grants":
        from core.actors import SYSTEM
        from core.identity import services

        async def take_task_reads_from_agents():
            role = await Role.get(name="agent")
            held = await role.grants.all().values_list("permission", flat=True)
            declared = set(services.declared_permissions(demo_server.app.state.host))
            await services.set_role_permissions(role, set(held) - {"core.task.read"}, declared, SYSTEM)

        demo_server.call(take_task_reads_from_agents)
        assert agent.get("/api/v1/sites/harbour/tasks").status_code == 403
    elif change == "superadmin":
        boss = demo_server.api_client("admin")
        assert boss.get("/api/v1/sites").status_code == 200
        assert boss.get("/api/v1/users").status_code == 200
        other = demo_server.call(_another_superadmin)
        helper = demo_server.api_client(other)
        assert helper.patch(f"/api/v1/users/{user_id(boss)}", json={"is_superadmin": False}).status_code == 200
        assert user_id(boss) and boss.get("/api/v1/me").status_code == 200
        assert demo_server.call(lambda: User.get(username="admin")).is_superadmin is False
        assert boss.post("/api/v1/sites", json={"code": "nowhere", "name": "Nowhere", "kind": "hotel",
                                                "timezone": "Asia/Taipei", "currency": "TWD"}).status_code == 403


async def _another_superadmin() -> str:
    from core.identity import services

    user = await services.create_user("boss2", "frontdesk-demo")
    await services.set_superadmin(user, True)
    return "boss2"


def test_a_change_behind_the_services_back_waits_for_the_maximum_age(demo_server, monkeypatch):
    """What no notice reaches (a row changed by hand) is trusted no longer than the
    maximum age: the cache is real, and its safety net holds."""
    agent = demo_server.api_client("agent")
    assert agent.get("/api/v1/sites/harbour/tasks").status_code == 200
    monkeypatch.setattr(principals, "MAX_AGE_ALONE", 3600.0)
    monkeypatch.setattr(principals, "MAX_AGE_WITH_BUS", 3600.0)
    demo_server.call(lambda: ApiToken.all().update(revoked_at=utcnow()))
    assert agent.get("/api/v1/sites/harbour/tasks").status_code == 200  # served from the cache
    monkeypatch.setattr(principals, "MAX_AGE_ALONE", 0.0)
    monkeypatch.setattr(principals, "MAX_AGE_WITH_BUS", 0.0)
    assert agent.get("/api/v1/sites/harbour/tasks").status_code == 401


def test_each_request_gets_its_own_copy_of_the_user(demo_server):
    agent = demo_server.api_client("agent")
    assert agent.get("/api/v1/me").status_code == 200
    cache = demo_server.app.state.principals
    entry = next(iter(cache._sign_ins.values()))
    entry.principal.user.display_name = "changed in the cache"

    async def copies():
        first = await cache.sign_in("token", next(iter(cache._sign_ins))[1], None)
        first.user.display_name = "changed by a handler"
        second = await cache.sign_in("token", next(iter(cache._sign_ins))[1], None)
        return second.user.display_name

    assert demo_server.call(copies) == "changed in the cache"


# --- Across processes (PostgreSQL) ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def other_process(demo_database_url, database_backend):
    """A second Frontdesk, in its own process, on the same PostgreSQL database."""
    if database_backend != "postgres":
        pytest.skip("processes share a database (and its LISTEN/NOTIFY) only on PostgreSQL")
    port = _free_port()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FRONTDESK_DATABASE_URL": demo_database_url,
           "FRONTDESK_SECRET_KEY": "s" * 40, "FRONTDESK_OVERDUE_CHECK_SECONDS": "0", "FRONTDESK_LOG_LEVEL": "warning"}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "core.app:create_app", "--factory", "--host",
                                "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the second process did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _seen_within(check, seconds: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.02)
    return None


@pytest.mark.parametrize("change", ["disable", "membership", "role_grants"])
def test_a_change_in_one_process_is_seen_by_another_within_a_second(demo_server, other_process, change):
    admin = demo_server.api_client("admin")
    token = demo_server.api_client("agent").headers["Authorization"]
    elsewhere = httpx.Client(base_url=other_process, headers={"Authorization": token}, timeout=10)
    assert elsewhere.get("/api/v1/sites/harbour/tasks").status_code == 200  # cached there (for 60 s)
    agent_id = elsewhere.get("/api/v1/me").json()["id"]
    if change == "disable":
        assert admin.patch(f"/api/v1/users/{agent_id}", json={"is_active": False}).status_code == 200
        expected = 401
    elif change == "membership":
        for membership in admin.get(f"/api/v1/users/{agent_id}").json()["memberships"]:
            if membership["site"] == "harbour":
                revoke = {"site": "harbour", "role": membership["role"]}
                assert admin.post(f"/api/v1/users/{agent_id}/memberships/revoke", json=revoke).status_code == 200
        expected = 404
    else:
        from core.actors import SYSTEM
        from core.identity import services

        async def take_task_reads_from_agents():
            role = await Role.get(name="agent")
            held = await role.grants.all().values_list("permission", flat=True)
            declared = set(services.declared_permissions(demo_server.app.state.host))
            await services.set_role_permissions(role, set(held) - {"core.task.read"}, declared, SYSTEM)

        demo_server.call(take_task_reads_from_agents)
        expected = 403
    took = _seen_within(lambda: elsewhere.get("/api/v1/sites/harbour/tasks").status_code == expected, 1.0)
    assert took is not None, f"the other process still answered {elsewhere.get('/api/v1/sites/harbour/tasks')}"


def test_the_other_process_really_caches(demo_server, other_process):
    """The counterpart of the test above: a row changed by hand (no notice) is not seen
    by the other process at once, so what the test above sees is the notice's work."""
    token = demo_server.api_client("agent").headers["Authorization"]
    elsewhere = httpx.Client(base_url=other_process, headers={"Authorization": token}, timeout=10)
    assert elsewhere.get("/api/v1/sites/harbour/tasks").status_code == 200
    demo_server.call(lambda: ApiToken.all().update(revoked_at=utcnow()))
    assert _seen_within(lambda: elsewhere.get("/api/v1/sites/harbour/tasks").status_code == 401, 1.5) is None


def test_a_sign_in_loaded_while_a_change_commits_is_not_kept(demo_server):
    """The load read the row before the change; keeping it would trust the old row until
    the maximum age."""
    agent = demo_server.api_client("agent")
    secret = agent.headers["Authorization"].split()[1]
    cache = demo_server.app.state.principals
    cache.clear()

    async def load_during_a_change():
        from core.identity.sessions import secret_hash

        async def load():
            token = await ApiToken.get(token_hash=secret_hash(secret)).select_related("user")
            principals.forget(token.user_id)  # another request's change commits meanwhile
            return token

        first = await cache.sign_in("token", secret_hash(secret), load)
        return first is not None and ("token", secret_hash(secret)) not in cache._sign_ins

    assert demo_server.call(load_during_a_change)
