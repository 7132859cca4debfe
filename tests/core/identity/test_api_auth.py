"""API clients: tokens, the caller, the throttle, and what a refused request writes."""

import datetime as dt
import logging

from core.audit.models import AuditEntry
from core.identity.models import ApiToken, LoginFailure, User
from core.identity.services import create_user


def test_token_then_me_then_sites(demo_server):
    response = demo_server.client().post("/api/v1/auth/token", json={"username": "agent", "password": "frontdesk-demo"})
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("fdt_") and body["expires_at"].endswith("Z") and body["user"]["username"] == "agent"
    client = demo_server.client(headers={"Authorization": f"Bearer {body['token']}"})
    me = client.get("/api/v1/me").json()
    assert me["username"] == "agent"
    assert [(s["code"], s["roles"]) for s in me["sites"]] == [("harbour", ["agent"])]
    assert "core.unit.read" in me["sites"][0]["permissions"]
    sites = client.get("/api/v1/sites").json()
    assert sites == [{"code": "harbour", "name": "Harbour View Residences", "kind": "residential",
                      "timezone": "Asia/Taipei", "currency": "TWD", "default_language": "zh_Hant"}]


def test_tokens_are_stored_hashed(demo_server):
    client = demo_server.api_client("agent")
    stored = demo_server.call(lambda: ApiToken.all().values_list("token_hash", flat=True))
    assert client.token not in stored and len(stored[0]) == 64


def test_deleting_the_token_stops_it_at_once(demo_server):
    client = demo_server.api_client("agent")
    assert client.delete("/api/v1/auth/token").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_credentials_are_401_and_audited_without_other_writes(demo_server):
    before = demo_server.call(lambda: User.all().values("id", "version", "last_login_at"))
    for username in ("agent", "nobody-such"):
        response = demo_server.client().post("/api/v1/auth/token", json={"username": username, "password": "wrong-password"})
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
    assert demo_server.call(lambda: User.all().values("id", "version", "last_login_at")) == before
    assert demo_server.call(lambda: ApiToken.all().count()) == 0
    actions = demo_server.call(lambda: AuditEntry.filter(action="auth.login_failed").count())
    assert actions == 2


def test_unknown_and_disabled_users_get_the_same_answer_as_a_wrong_password(demo_server):
    demo_server.call(lambda: User.filter(username="agent2").update(is_active=False))
    answers = set()
    for username, password in (("agent", "wrong-password"), ("ghost", "frontdesk-demo"), ("agent2", "frontdesk-demo")):
        response = demo_server.client().post("/api/v1/auth/token", json={"username": username, "password": password})
        answers.add((response.status_code, response.json()["detail"]))
    assert len(answers) == 1 and answers.pop()[0] == 401


def test_malformed_authorization_header_is_401(demo_server):
    for header in ("Bearer", "Basic abc", "Token fdt_x", "Bearer fdt_unknown", "bearer"):
        response = demo_server.client(headers={"Authorization": header}).get("/api/v1/me")
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"] == "Bearer"


def test_expired_token_and_token_of_a_deleted_user_are_401(demo_server):
    client = demo_server.api_client("agent")
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    demo_server.call(lambda: ApiToken.all().update(expires_at=past))
    assert client.get("/api/v1/me").status_code == 401
    # A user with no records of their own: the demo's staff hold duties, shifts and ledger
    # entries whose rows keep them (people with history are disabled, not deleted).
    demo_server.call(lambda: create_user("leaver", "a-leavers-password-1"))
    other = demo_server.api_client("leaver", "a-leavers-password-1")
    demo_server.call(lambda: User.filter(username="leaver").delete())
    assert other.get("/api/v1/me").status_code == 401


def test_failed_sign_ins_are_throttled_per_account_with_retry_after(demo_server):
    client = demo_server.client()
    for _ in range(5):
        assert client.post("/api/v1/auth/token", json={"username": "agent", "password": "bad-password"}).status_code == 401
    response = client.post("/api/v1/auth/token", json={"username": "agent", "password": "frontdesk-demo"})
    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= 15 * 60


def test_a_spoofed_forwarded_for_does_not_reset_the_count(make_demo_app):
    demo_server = make_demo_app(login_max_failures_per_address=5)  # the default ceiling is 100
    for number in range(5):
        demo_server.client(headers={"X-Forwarded-For": f"10.0.0.{number}"}).post(
            "/api/v1/auth/token", json={"username": f"guess{number}", "password": "bad-password"})
    spoofed = demo_server.client(headers={"X-Forwarded-For": "10.9.9.9"})
    response = spoofed.post("/api/v1/auth/token", json={"username": "agent", "password": "frontdesk-demo"})
    assert response.status_code == 429  # the address scope is still the real peer


def test_a_trusted_proxy_passes_the_real_client_address(make_demo_app):
    server = make_demo_app(trusted_proxies=["127.0.0.1/32"], login_max_failures_per_address=5)
    for _ in range(5):
        server.client(headers={"X-Forwarded-For": "203.0.113.7"}).post(
            "/api/v1/auth/token", json={"username": "someone", "password": "bad-password"})
    other = server.client(headers={"X-Forwarded-For": "203.0.113.8"})
    assert other.post("/api/v1/auth/token", json={"username": "agent", "password": "frontdesk-demo"}).status_code == 201
    same = server.client(headers={"X-Forwarded-For": "203.0.113.7"})
    assert same.post("/api/v1/auth/token", json={"username": "agent", "password": "frontdesk-demo"}).status_code == 429


def test_the_throttle_holds_across_two_app_instances_on_one_database(make_demo_app):
    first, second = make_demo_app(), make_demo_app()
    for server in (first, second, first, second, first):
        server.client().post("/api/v1/auth/token", json={"username": "agent", "password": "bad-password"})
    assert second.call(lambda: LoginFailure.filter(scope="user:agent").count()) == 5
    response = second.client().post("/api/v1/auth/token", json={"username": "agent", "password": "frontdesk-demo"})
    assert response.status_code == 429


def test_success_clears_the_accounts_failures(demo_server):
    client = demo_server.client()
    for _ in range(4):
        client.post("/api/v1/auth/token", json={"username": "agent", "password": "bad-password"})
    assert client.post("/api/v1/auth/token", json={"username": "agent", "password": "frontdesk-demo"}).status_code == 201
    assert demo_server.call(lambda: LoginFailure.filter(scope="user:agent").count()) == 0


def test_session_cookie_requests_need_the_csrf_header_for_writes(demo_server):
    browser = demo_server.sign_in("admin")
    body = {"code": "Z-1", "kind": "apartment"}
    assert browser.post("/api/v1/sites/harbour/units", json=body).status_code == 403
    assert browser.post("/api/v1/sites/harbour/units", json=body, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert browser.post("/api/v1/sites/harbour/units", json=body, headers={"X-CSRF-Token": ""}).status_code == 403
    ok = browser.post("/api/v1/sites/harbour/units", json=body, headers={"X-CSRF-Token": browser.csrf})
    assert ok.status_code == 201


def test_denials_are_audited(demo_server):
    client = demo_server.api_client("agent")
    assert client.get("/api/v1/users").status_code == 403
    assert demo_server.call(lambda: AuditEntry.filter(action="access.denied").count()) == 1


def test_a_stale_user_version_is_409(demo_server):
    admin = demo_server.api_client("admin")
    user = admin.get("/api/v1/users", params={"q": "agent2"}).json()["items"][0]
    assert admin.patch(f"/api/v1/users/{user['id']}", json={"display_name": "A", "version": user["version"]}).status_code == 200
    assert admin.patch(f"/api/v1/users/{user['id']}", json={"display_name": "B", "version": user["version"]}).status_code == 409


def test_listing_users_reads_their_memberships_in_one_query(demo_server, caplog):
    admin = demo_server.api_client("admin")

    def membership_reads(limit: int) -> tuple[int, int]:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            items = admin.get("/api/v1/users", params={"limit": limit}).json()["items"]
        # The listing's reads of the users' memberships (the caller's own come from the
        # principal cache, loaded on its first request or not at all).
        reads = [r for r in caplog.records if '"core_membership"."user_id" IN' in r.getMessage()]
        return len(items), len(reads)

    (few, few_reads), (many, many_reads) = membership_reads(2), membership_reads(200)
    assert many > few + 2 and many_reads == few_reads  # not one more query per user
    listed = admin.get("/api/v1/users", params={"q": "cashier2"}).json()["items"]
    assert listed[0]["memberships"] == [{"site": "lotus", "role": "cashier"}]


def test_a_refused_user_change_writes_nothing(demo_server):
    admin = demo_server.api_client("admin")
    own = admin.get("/api/v1/users", params={"q": "admin"}).json()["items"][0]
    assert own["username"] == "admin"
    refused = admin.patch(f"/api/v1/users/{own['id']}", json={"display_name": "Half", "is_active": False})
    assert refused.status_code == 409
    after = demo_server.call(lambda: User.get(id=own["id"]))
    assert (after.display_name, after.is_active, after.version) == (own["display_name"], True, own["version"])
    assert not demo_server.call(lambda: AuditEntry.filter(action="user.update").exists())
    agent = admin.get("/api/v1/users", params={"q": "agent2"}).json()["items"][0]
    stale = admin.patch(f"/api/v1/users/{agent['id']}",
                        json={"display_name": "B", "is_active": False, "version": agent["version"] - 1})
    assert stale.status_code == 409
    assert demo_server.call(lambda: User.get(id=agent["id"])).is_active is True


def test_a_new_user_gets_both_a_site_and_a_role_or_neither(demo_server):
    admin = demo_server.api_client("admin")  # a super-administrator: may leave both out
    new = {"username": "nina", "password": "a-long-enough-password"}
    site_only = admin.post("/api/v1/users", json={**new, "site": "harbour"})
    assert site_only.status_code == 422
    assert site_only.json()["errors"] == [{"field": "role", "message": "Choose a role."}]
    role_only = admin.post("/api/v1/users", json={**new, "role": "agent"})
    assert role_only.status_code == 422 and role_only.json()["errors"][0]["field"] == "site"
    unknown = admin.post("/api/v1/users", json={**new, "site": "atlantis", "role": "agent"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [{"field": "site", "message": "No site atlantis."}]
    assert demo_server.call(lambda: User.filter(username="nina").exists()) is False
    made = admin.post("/api/v1/users", json=new)
    assert made.status_code == 201 and made.json()["memberships"] == []


def test_role_names_longer_than_the_column_are_refused_not_crashed(demo_server):
    from core.identity import services
    from core.problems import Problem

    async def create():
        try:
            await services.create_role("r" * 41)
        except Problem as problem:
            return problem.status

    assert demo_server.call(create) == 422


def test_the_role_name_rule_and_the_column_agree_on_the_length():
    from core.identity import role_pages, services

    assert role_pages.NAME_LENGTH == 40
    assert services.ROLE_NAME.match("r" * role_pages.NAME_LENGTH)
    assert not services.ROLE_NAME.match("r" * (role_pages.NAME_LENGTH + 1))


def test_saving_a_role_keeps_grants_of_permissions_no_loaded_plugin_declares(demo_server):
    from core.identity import services
    from core.identity.models import Role, RolePermission

    async def save_role():
        role = await Role.get(name="front_desk")
        await RolePermission.create(role=role, permission="parking.permit.issue")  # a disabled plugin's
        declared = set(services.declared_permissions(demo_server.app.state.host))
        await services.set_role_permissions(role, {"core.task.read"}, declared)
        return set(await RolePermission.filter(role=role).values_list("permission", flat=True))

    assert demo_server.call(save_role) == {"core.task.read", "parking.permit.issue"}
