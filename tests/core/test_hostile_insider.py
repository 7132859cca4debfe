"""A hostile insider: an administrator and a manager of harbour only, on every route that
names no site (issue 15, finding 1).

A permission held at some sites acts on those sites only. ``harbour_admin`` (admin at
harbour) and ``harbour_manager`` (manager at harbour) are walked over every global API
and page route, aimed at lotus and sunrise: nothing of their users, memberships,
passwords, tokens, audit entries, sites or roles may be seen or changed. A meta-check
fails when a global route appears that the walk does not cover.
"""

from __future__ import annotations

import pytest
from starlette.routing import Route

from core.audit.models import AuditEntry
from core.entities.models import Site
from core.identity import services
from core.identity.models import ApiToken, Membership, Role, RolePermission, User, UserSession
from core.permissions import PUBLIC

PASSWORD = "a-long-enough-password"
#: Names that only lotus and sunrise people and places carry: none may reach a harbour insider.
FOREIGN = ("hotelsup", "callsup", "caller2", "cashier2", "housekeeper2", "Lotus Garden Hotel",
           "Sunrise Insurance", "lotus: ", "sunrise: ")


async def _add_insiders() -> None:
    harbour = await Site.get(code="harbour")
    for username, role in (("harbour_admin", "admin"), ("harbour_manager", "manager")):
        user = await services.create_user(username, PASSWORD)
        await services.grant_membership(user, harbour, await Role.get(name=role))


@pytest.fixture
def insiders(demo_server):
    demo_server.call(_add_insiders)
    return demo_server


def ids(server, *usernames) -> list[int]:
    return [server.call(lambda name=name: User.get(username=name)).id for name in usernames]


async def _foreign_state() -> dict:
    """Everything of lotus and sunrise an insider must not change."""
    foreign_sites = await Site.filter(code__in=["lotus", "sunrise"])
    site_ids = [site.id for site in foreign_sites]
    harbour = await Site.get(code="harbour")
    harbour_only = set(await Membership.filter(site_id=harbour.id).values_list("user_id", flat=True)) - set(
        await Membership.filter(site_id__in=site_ids).values_list("user_id", flat=True))
    users = await User.exclude(id__in=sorted(harbour_only)).order_by("id").values(
        "id", "password_hash", "is_active", "is_superadmin", "session_version", "version", "display_name", "email")
    return {
        "users": users,
        "memberships": sorted(await Membership.filter(site_id__in=site_ids).values_list("user_id", "site_id", "role_id")),
        "sites": [(site.code, site.version, site.name, site.currency) for site in foreign_sites],
        "site_count": await Site.all().count(),
        "roles": sorted(await RolePermission.all().values_list("role_id", "permission")),
        "role_count": await Role.all().count(),
        "live_tokens": await ApiToken.filter(revoked_at=None).exclude(user_id__in=sorted(harbour_only)).count(),
        "live_sessions": await UserSession.filter(ended_at=None).exclude(user_id__in=sorted(harbour_only)).count(),
        "users_total": await User.all().count(),
    }


# --- The walk ------------------------------------------------------------------------------
#
# (method, route path) -> requests: (concrete path, body, expected status for the admin,
# expected status for the manager). ``{foreign}``: callsup (sunrise only); ``{shared}``:
# manager (every demo site, so harbour too); ``{self}``: the insider; ``{role}``: call_agent.

ANY_OK = (200, 204)
NEW_SITE = {"code": "mole", "name": "Mole", "kind": "other", "timezone": "Asia/Taipei", "currency": "TWD",
            "default_language": "en"}
SITE_FORM = {key: value for key, value in NEW_SITE.items() if key != "code"} | {"version": "1"}
WALK: dict[tuple[str, str], list[tuple[str, dict | None, int | tuple, int | tuple]]] = {
    ("GET", "/metrics"): [("/metrics", None, 200, 403)],
    ("GET", "/api/v1/sites"): [("/api/v1/sites", None, 200, 200)],
    ("POST", "/api/v1/sites"): [("/api/v1/sites", NEW_SITE, 403, 403)],
    ("DELETE", "/api/v1/auth/token"): [("/api/v1/auth/token", None, 204, 204)],  # the caller's own token
    ("GET", "/api/v1/me"): [("/api/v1/me", None, 200, 200)],
    ("PATCH", "/api/v1/me"): [("/api/v1/me", {"extension": "2999", "title": "Mole"}, 200, 200)],  # the caller's own
    ("GET", "/api/v1/task-types"): [("/api/v1/task-types", None, 200, 200)],
    ("GET", "/api/v1/users"): [("/api/v1/users?limit=200", None, 200, 403),
                               ("/api/v1/users?q=call", None, 200, 403)],
    ("POST", "/api/v1/users"): [
        ("/api/v1/users", {"username": "mole", "password": PASSWORD}, 422, 403),
        ("/api/v1/users", {"username": "mole", "password": PASSWORD, "site": "lotus", "role": "agent"}, 422, 403)],
    ("GET", "/api/v1/users/{id:int}"): [("/api/v1/users/{foreign}", None, 404, 403)],
    ("PATCH", "/api/v1/users/{id:int}"): [
        ("/api/v1/users/{foreign}", {"display_name": "Mole"}, 404, 403),
        ("/api/v1/users/{foreign}", {"is_active": False}, 404, 403),
        ("/api/v1/users/{shared}", {"is_active": False}, 403, 403),
        ("/api/v1/users/{shared}", {"email": "mole@example.com"}, 403, 403),
        ("/api/v1/users/{self}", {"is_superadmin": True}, 403, 403)],
    ("POST", "/api/v1/users/{id:int}/password"): [
        ("/api/v1/users/{foreign}/password", {"password": PASSWORD}, 404, 403),
        ("/api/v1/users/{shared}/password", {"password": PASSWORD}, 403, 403)],
    ("POST", "/api/v1/users/{id:int}/memberships"): [
        ("/api/v1/users/{self}/memberships", {"site": "lotus", "role": "admin"}, 422, 403),
        ("/api/v1/users/{foreign}/memberships", {"site": "harbour", "role": "agent"}, 404, 403)],
    ("POST", "/api/v1/users/{id:int}/memberships/revoke"): [
        ("/api/v1/users/{shared}/memberships/revoke", {"site": "lotus", "role": "manager"}, 422, 403),
        ("/api/v1/users/{foreign}/memberships/revoke", {"site": "sunrise", "role": "supervisor"}, 404, 403)],
    ("GET", "/api/v1/audit"): [("/api/v1/audit?limit=200", None, 200, 200),
                               ("/api/v1/audit?site=lotus", None, 200, 200)],
    # The caller's own notices only; another site's are a 404 like a missing site.
    ("GET", "/api/v1/me/notifications"): [("/api/v1/me/notifications", None, 200, 200),
                                          ("/api/v1/me/notifications?site=lotus", None, 404, 404)],
    ("POST", "/api/v1/me/notifications/read"): [("/api/v1/me/notifications/read", {"all": True}, 200, 200)],
    ("GET", "/me/notifications"): [("/me/notifications", None, 200, 200)],
    ("POST", "/me/notifications/read"): [("/me/notifications/read", {}, (200, 303), (200, 303))],
    # Pages (a signed-in browser; posts carry the session's CSRF token).
    ("GET", "/sites"): [("/sites", None, 200, 200)],
    ("GET", "/account"): [("/account", None, 200, 200)],
    ("POST", "/account"): [("/account", {"extension": "mole", "version": "1"}, 422, 422)],  # the caller's own
    ("GET", "/account/password"): [("/account/password", None, 200, 200)],
    ("POST", "/account/password"): [("/account/password", {}, 422, 422)],  # the caller's own, left blank
    ("GET", "/admin/audit"): [("/admin/audit", None, 200, 200), ("/admin/audit?site=lotus", None, 200, 200)],
    ("GET", "/admin/retention"): [("/admin/retention", None, 403, 403)],  # every site's: super-administrators
    ("GET", "/admin/sites"): [("/admin/sites", None, 200, 403)],
    ("GET", "/admin/sites/new"): [("/admin/sites/new", None, 403, 403)],
    ("POST", "/admin/sites/new"): [("/admin/sites/new", {**NEW_SITE}, 403, 403)],
    ("GET", "/admin/sites/{code}"): [("/admin/sites/lotus", None, 404, 403)],
    ("POST", "/admin/sites/{code}"): [("/admin/sites/sunrise", SITE_FORM, 404, 403)],
    ("GET", "/admin/users"): [("/admin/users", None, 200, 403), ("/admin/users?q=call", None, 200, 403)],
    ("GET", "/admin/users/new"): [("/admin/users/new", None, 200, 403)],
    ("POST", "/admin/users/new"): [
        ("/admin/users/new", {"username": "mole", "password": PASSWORD, "site": "lotus", "role": "agent"}, 422, 403),
        ("/admin/users/new", {"username": "mole", "password": PASSWORD}, 422, 403)],
    ("GET", "/admin/users/{id:int}"): [("/admin/users/{foreign}", None, 404, 403)],
    # A person's data at every site they belong to: a harbour insider reaches neither a foreign
    # user's nor one who also works at lotus and sunrise.
    ("GET", "/admin/users/{id:int}/personal-data"): [("/admin/users/{foreign}/personal-data", None, 404, 403),
                                                     ("/admin/users/{shared}/personal-data", None, 403, 403)],
    ("POST", "/admin/users/{id:int}/personal-data/export"): [
        ("/admin/users/{foreign}/personal-data/export", {}, 404, 403),
        ("/admin/users/{shared}/personal-data/export", {}, 403, 403)],
    ("POST", "/admin/users/{id:int}/personal-data/erase"): [
        ("/admin/users/{foreign}/personal-data/erase", {"confirm": "1"}, 404, 403),
        ("/admin/users/{shared}/personal-data/erase", {"confirm": "1"}, 403, 403)],
    ("GET", "/api/v1/users/{id:int}/personal-data"): [("/api/v1/users/{foreign}/personal-data", None, 404, 403),
                                                      ("/api/v1/users/{shared}/personal-data", None, 403, 403)],
    ("POST", "/api/v1/users/{id:int}/personal-data/export"): [
        ("/api/v1/users/{foreign}/personal-data/export", {}, 404, 403),
        ("/api/v1/users/{shared}/personal-data/export", {}, 403, 403)],
    ("POST", "/api/v1/users/{id:int}/personal-data/erase"): [
        ("/api/v1/users/{foreign}/personal-data/erase", {"confirm": True}, 404, 403),
        ("/api/v1/users/{shared}/personal-data/erase", {"confirm": True}, 403, 403)],
    ("POST", "/admin/users/{id:int}"): [
        ("/admin/users/{foreign}", {"display_name": "Mole", "version": "1"}, 404, 403),
        ("/admin/users/{shared}", {"display_name": "Mole", "version": "1"}, 403, 403)],
    ("POST", "/admin/users/{id:int}/password"): [
        ("/admin/users/{foreign}/password", {"password": PASSWORD, "repeat": PASSWORD}, 404, 403),
        ("/admin/users/{shared}/password", {"password": PASSWORD, "repeat": PASSWORD}, 403, 403)],
    ("POST", "/admin/users/{id:int}/active"): [
        ("/admin/users/{foreign}/active", {"active": "0"}, 404, 403),
        ("/admin/users/{shared}/active", {"active": "0"}, 403, 403)],
    ("POST", "/admin/users/{id:int}/memberships"): [
        ("/admin/users/{self}/memberships", {"site": "lotus", "role": "admin"}, 422, 403),
        ("/admin/users/{foreign}/memberships", {"site": "harbour", "role": "agent"}, 404, 403)],
    ("POST", "/admin/users/{id:int}/memberships/revoke"): [
        ("/admin/users/{shared}/memberships/revoke", {"site": "sunrise", "role": "manager"}, 422, 403),
        ("/admin/users/{foreign}/memberships/revoke", {"site": "sunrise", "role": "supervisor"}, 404, 403)],
    ("GET", "/admin/roles"): [("/admin/roles", None, 200, 403)],
    ("POST", "/admin/roles"): [("/admin/roles", {"name": "mole"}, 403, 403)],
    ("POST", "/admin/roles/{id:int}"): [("/admin/roles/{role}", {"permissions": "core.user.manage"}, 403, 403)],
}


def global_routes(app) -> set[tuple[str, str]]:
    """Every (method, path) at no one site that needs a signed-in caller."""
    found = set()
    for route in app.routes:
        if isinstance(route, Route) and "{site}" not in route.path and route.permission != PUBLIC:
            found |= {(method, route.path) for method in route.methods - {"HEAD"}}
    return found


def test_the_walk_covers_every_global_route(insiders):
    """A new route at no one site must be added to WALK (with what an insider may do there)."""
    uncovered = global_routes(insiders.app) - set(WALK)
    assert uncovered == set(), f"add these global routes to WALK in {__file__}: {sorted(uncovered)}"


@pytest.mark.parametrize("username", ["harbour_admin", "harbour_manager"])
def test_a_one_site_insider_sees_and_changes_nothing_of_other_sites(insiders, username):
    server = insiders
    before = server.call(_foreign_state)
    foreign, shared, own = ids(server, "callsup", "manager", username)
    role = server.call(lambda: Role.get(name="call_agent")).id
    foreign_sites = set(server.call(lambda: Site.filter(code__in=["lotus", "sunrise"]).values_list("id", flat=True)))
    api, browser = server.api_client(username, PASSWORD), server.sign_in(username, PASSWORD)
    expected_column = 2 if username == "harbour_admin" else 3
    walked = 0
    for (method, path), requests in sorted(WALK.items()):
        if (method, path) not in global_routes(server.app):
            continue  # a route of a plugin this run does not load
        for request in requests:
            url = request[0].format(foreign=foreign, shared=shared, self=own, role=role)
            body, expected = request[1], request[expected_column]
            if path.startswith(("/admin/", "/me/")) or path in ("/sites", "/account", "/account/password"):
                response = browser.form_post(url, body) if method == "POST" else browser.get(url)
            elif (method, path) == ("DELETE", "/api/v1/auth/token"):
                response = server.api_client(username, PASSWORD).delete(url)  # not the walk's own token
            else:
                response = api.request(method, url, json=body)
            walked += 1
            expected = expected if isinstance(expected, tuple) else (expected,)
            assert response.status_code in expected, f"{username}: {method} {url}: {response.status_code} " \
                                                      f"{response.text[:300]}"
            leaked = [name for name in FOREIGN if name in response.text]
            assert leaked == [], f"{username}: {method} {url} shows {leaked}"
            if response.headers.get("content-type", "").startswith("application/json") and path == "/api/v1/audit":
                assert {item["site_id"] for item in response.json()["items"]} & foreign_sites == set()
    assert walked >= 45
    assert server.call(_foreign_state) == before


# --- Each finding, reproduced ----------------------------------------------------------------


def test_finding_a_one_site_admin_lists_only_users_of_its_sites(insiders):
    admin = insiders.api_client("harbour_admin", PASSWORD)
    listed = {item["username"] for item in admin.get("/api/v1/users", params={"limit": 200}).json()["items"]}
    assert {"supervisor", "agent", "harbour_manager", "manager"} <= listed
    assert listed.isdisjoint({"hotelsup", "frontdesk", "cashier", "callsup", "caller"})
    shared = next(item for item in admin.get("/api/v1/users", params={"q": "manager"}).json()["items"]
                  if item["username"] == "manager")
    assert shared["memberships"] == [{"site": "harbour", "role": "manager"}]  # not its lotus and sunrise roles
    page = insiders.sign_in("harbour_admin", PASSWORD).get("/admin/users")
    assert "agent2" in page.text and "hotelsup" not in page.text and "lotus: " not in page.text


def test_finding_a_one_site_admin_cannot_grant_itself_admin_at_another_site(insiders):
    admin = insiders.api_client("harbour_admin", PASSWORD)
    (own,) = ids(insiders, "harbour_admin")
    response = admin.post(f"/api/v1/users/{own}/memberships", json={"site": "lotus", "role": "admin"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "site"
    assert not insiders.call(lambda: Membership.filter(user_id=own, site__code="lotus").exists())
    assert [item["code"] for item in admin.get("/api/v1/sites").json()] == ["harbour"]


def test_finding_a_one_site_admin_cannot_reset_a_password_at_another_site(insiders):
    admin = insiders.api_client("harbour_admin", PASSWORD)
    (callsup,) = ids(insiders, "callsup")
    response = admin.post(f"/api/v1/users/{callsup}/password", json={"password": PASSWORD})
    assert response.status_code == 404
    assert insiders.client().post("/api/v1/auth/token", json={"username": "callsup", "password": PASSWORD}) \
        .status_code == 401
    insiders.api_client("callsup")  # the old password still signs in


def test_finding_a_one_site_manager_reads_no_other_sites_audit(insiders):
    manager = insiders.api_client("harbour_manager", PASSWORD)
    lotus = insiders.call(lambda: Site.get(code="lotus"))
    assert insiders.call(lambda: AuditEntry.filter(site_id=lotus.id).exists())  # there is something to hide
    assert manager.get("/api/v1/audit", params={"site": "lotus"}).json()["items"] == []
    harbour = insiders.call(lambda: Site.get(code="harbour"))
    seen = manager.get("/api/v1/audit", params={"limit": 200}).json()["items"]
    assert seen and {item["site_id"] for item in seen} == {harbour.id}  # nor entries of no site
    page = insiders.sign_in("harbour_manager", PASSWORD).get("/admin/audit")
    assert "<td>lotus</td>" not in page.text and "<td>harbour</td>" in page.text


# --- The rules behind them ---------------------------------------------------------------------


async def _deputy() -> None:
    """A role that manages users but grants less than admin: it may hand out no more."""
    deputy = await services.create_role("deputy")
    for permission in ("core.user.manage", "core.audit.read"):
        await RolePermission.create(role=deputy, permission=permission)
    user = await services.create_user("harbour_deputy", PASSWORD)
    await services.grant_membership(user, await Site.get(code="harbour"), deputy)


def test_no_role_above_ones_own_is_granted_or_taken(insiders):
    insiders.call(_deputy)
    deputy = insiders.api_client("harbour_deputy", PASSWORD)
    agent, admin_user = ids(insiders, "agent", "harbour_admin")
    above = deputy.post(f"/api/v1/users/{agent}/memberships", json={"site": "harbour", "role": "admin"})
    assert above.status_code == 403 and above.json()["errors"][0]["field"] == "role"
    taken = deputy.post(f"/api/v1/users/{admin_user}/memberships/revoke", json={"site": "harbour", "role": "admin"})
    assert taken.status_code == 403
    assert insiders.call(lambda: Membership.filter(user_id=admin_user, role__name="admin").exists())
    equal = deputy.post(f"/api/v1/users/{agent}/memberships", json={"site": "harbour", "role": "deputy"})
    assert equal.status_code == 200 and {"site": "harbour", "role": "deputy"} in equal.json()["memberships"]


def test_users_of_no_site_are_reached_by_super_administrators_only(insiders):
    loner = insiders.call(lambda: services.create_user("loner", PASSWORD))
    assert insiders.api_client("harbour_admin", PASSWORD).get(f"/api/v1/users/{loner.id}").status_code == 404
    assert insiders.api_client("admin").get(f"/api/v1/users/{loner.id}").status_code == 200  # the demo superadmin


def test_a_one_site_admin_creates_users_at_its_own_site(insiders):
    admin = insiders.api_client("harbour_admin", PASSWORD)
    missing = admin.post("/api/v1/users", json={"username": "nina", "password": PASSWORD})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "site"
    made = admin.post("/api/v1/users", json={"username": "nina", "password": PASSWORD, "site": "harbour",
                                             "role": "agent"})
    assert made.status_code == 201 and made.json()["memberships"] == [{"site": "harbour", "role": "agent"}]
    assert admin.get(f"/api/v1/users/{made.json()['id']}").status_code == 200
    browser = insiders.sign_in("harbour_admin", PASSWORD)
    form = browser.get("/admin/users/new").text
    assert 'value="harbour"' in form and 'value="lotus"' not in form
    created = browser.form_post("/admin/users/new", {"username": "omar", "password": PASSWORD, "site": "harbour",
                                                    "role": "agent"})
    assert created.status_code == 303
    assert insiders.call(lambda: Membership.filter(user__username="omar", site__code="harbour").exists())


def test_a_shared_user_is_changed_only_by_who_administers_all_their_sites(insiders):
    admin = insiders.api_client("harbour_admin", PASSWORD)
    (manager,) = ids(insiders, "manager")
    refused = admin.post(f"/api/v1/users/{manager}/password", json={"password": PASSWORD})
    assert refused.status_code == 403
    (agent,) = ids(insiders, "agent")  # harbour only: within the admin's sites
    assert admin.post(f"/api/v1/users/{agent}/password", json={"password": PASSWORD}).status_code == 204
    assert admin.patch(f"/api/v1/users/{agent}", json={"is_active": False}).json()["is_active"] is False


def test_the_super_administrator_flag_is_explicit(insiders):
    admin = insiders.api_client("harbour_admin", PASSWORD)
    (own, superadmin) = ids(insiders, "harbour_admin", "admin")
    assert admin.patch(f"/api/v1/users/{own}", json={"is_superadmin": True}).status_code == 403
    assert insiders.call(lambda: User.get(id=own)).is_superadmin is False
    # A super-administrator who is a member of harbour is still out of a harbour admin's reach.
    assert admin.post(f"/api/v1/users/{superadmin}/password", json={"password": PASSWORD}).status_code == 403
    made = insiders.api_client("admin").patch(f"/api/v1/users/{own}", json={"is_superadmin": True})
    assert made.status_code == 200 and made.json()["is_superadmin"] is True
    assert insiders.call(lambda: AuditEntry.filter(action="user.superadmin_granted", object_id=str(own)).exists())
    assert len(admin.get("/api/v1/users", params={"limit": 200}).json()["items"]) == \
        insiders.call(lambda: User.all().count())


def test_sites_and_roles_bounded(insiders):
    browser = insiders.sign_in("harbour_admin", PASSWORD)
    listed = browser.get("/admin/sites").text
    assert "/admin/sites/harbour" in listed and "/admin/sites/lotus" not in listed
    assert 'href="/admin/sites/new"' not in listed
    page = browser.get("/admin/sites/harbour")
    assert page.status_code == 200  # its own site it still changes
    admin = insiders.api_client("harbour_admin", PASSWORD)
    version = insiders.call(lambda: Site.get(code="harbour")).version
    renamed = admin.patch("/api/v1/sites/harbour", json={"name": "Harbour", "version": version})
    assert renamed.status_code == 200
    assert insiders.api_client("admin").post("/api/v1/sites", json=NEW_SITE).status_code == 201
    assert browser.form_post("/admin/roles", {"name": "mole"}).status_code == 403
    assert not insiders.call(lambda: Role.filter(name="mole").exists())


def test_super_administrators_are_made_from_the_command_line(make_app, database_url):
    """The flag is set by the CLI (or another super-administrator), never inferred: a user
    created with --superadmin reaches a user of no site; ``user superadmin`` grants and takes it."""
    from tests.core.test_cli import run

    made = run(database_url, "user", "create", "root", "--superadmin", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert made.returncode == 0, made.stderr
    assert run(database_url, "user", "create", "helper", "--password-stdin", stdin=f"{PASSWORD}\n").returncode == 0
    server = make_app()
    root = server.api_client("root", PASSWORD)
    helper = server.call(lambda: User.get(username="helper"))
    assert root.get(f"/api/v1/users/{helper.id}").json()["is_superadmin"] is False  # no membership, still reached
    assert root.post("/api/v1/sites", json=NEW_SITE).status_code == 201
    assert run(database_url, "user", "superadmin", "helper").returncode == 0
    assert server.call(lambda: User.get(username="helper")).is_superadmin is True
    assert run(database_url, "user", "superadmin", "root", "--revoke").returncode == 0
    assert server.client().get("/api/v1/users", headers={"Authorization": f"Bearer {root.token}"}).status_code == 403


def test_a_super_administrator_needs_no_membership_for_administration(insiders):
    """Every site, present and future: the global pages open and show in the menu without
    any membership (desk work at a site would still need one)."""
    async def make_root():
        root = await services.create_user("root", PASSWORD)
        await services.set_superadmin(root, True)

    insiders.call(make_root)
    browser = insiders.sign_in("root", PASSWORD)
    home = browser.get("/").text
    assert 'href="/admin/users"' in home and 'href="/admin/audit"' in home
    for url in ("/admin/users", "/admin/sites", "/admin/audit", "/admin/roles"):
        assert browser.get(url).status_code == 200, url
    assert "hotelsup" in browser.get("/admin/users", params={"q": "hotel"}).text
    assert browser.get("/sites/lotus/").status_code == 404  # no membership: no desk work there
