"""Administration pages: users, memberships, roles, sites and the audit log."""

import datetime as dt
import html
import re

from core.audit import services as audit
from core.audit.models import AuditEntry
from core.entities.models import Site
from core.identity.models import Role, RolePermission, User

PASSWORD = "a-long-enough-password"


def user_id(demo_server, username) -> int:
    return demo_server.call(lambda: User.get(username=username)).id


def version_in(page) -> str:
    return re.search(r'name="version" value="(\d+)"', page.text).group(1)


def main(page) -> str:
    return page.text.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def test_admin_pages_need_their_permissions(demo_server):
    agent = demo_server.sign_in("agent")
    for url in ("/admin/users", "/admin/users/new", "/admin/roles", "/admin/sites", "/admin/sites/harbour",
                "/admin/audit"):
        assert agent.get(url).status_code == 403, url
    assert agent.form_post("/admin/users/new", {"username": "mallory", "password": PASSWORD}).status_code == 403
    assert demo_server.call(lambda: User.filter(username="mallory").exists()) is False
    manager = demo_server.sign_in("manager")  # reads the audit log, manages nobody
    assert manager.get("/admin/audit").status_code == 200
    assert manager.get("/admin/users").status_code == 403
    assert 'href="/admin/audit"' in manager.get("/", follow_redirects=True).text and 'href="/admin/users"' not in manager.get("/", follow_redirects=True).text


# --- Users ---------------------------------------------------------------------------


def test_user_list_searches_and_filters_by_state(demo_server):
    client = demo_server.sign_in("admin")
    found = main(client.get("/admin/users", params={"q": "cashier"}))
    assert "cashier2" in found and ">agent<" not in found and "lotus: Cashier" in found
    assert "Zheng" in main(client.get("/admin/users", params={"q": "zheng"}))  # display names too
    demo_server.call(lambda: User.filter(username="agent2").update(is_active=False))
    disabled = main(client.get("/admin/users", params={"state": "disabled"}))
    assert disabled.count('<th scope="row">') == 1 and "agent2" in disabled
    assert "agent2" not in main(client.get("/admin/users", params={"state": "active"}))


def test_creating_a_user(demo_server):
    client = demo_server.sign_in("admin")
    response = client.form_post("/admin/users/new", {
        "username": "Nina", "display_name": "Nina Ho", "email": "nina@example.com", "department": "front_desk",
        "locale": "en", "password": PASSWORD})
    assert response.status_code == 303
    new_id = user_id(demo_server, "nina")
    assert response.headers["location"] == f"/admin/users/{new_id}?saved=1"
    assert "Nina Ho" in client.get(response.headers["location"]).text
    assert demo_server.sign_in("nina", PASSWORD).get("/sites").status_code == 200
    entry = demo_server.call(lambda: AuditEntry.get(action="user.create", object_id=str(new_id)))
    assert entry.actor_name == "admin"


def test_new_user_errors_are_shown_with_the_typed_values(demo_server):
    client = demo_server.sign_in("admin")
    short = client.form_post("/admin/users/new", {"username": "nina", "display_name": "Nina Ho", "password": "short"})
    assert short.status_code == 422
    assert "A password needs at least 10 characters." in short.text and 'value="Nina Ho"' in short.text
    assert 'value="short"' not in short.text  # passwords are never sent back
    bad_name = client.form_post("/admin/users/new", {"username": "nina ho!", "password": PASSWORD})
    assert bad_name.status_code == 422 and 'id="username-error"' in bad_name.text
    taken = client.form_post("/admin/users/new", {"username": "agent", "password": PASSWORD})
    assert taken.status_code == 409 and "The username agent is taken." in taken.text


def test_a_new_user_gets_both_a_site_and_a_role_or_neither(demo_server):
    client = demo_server.sign_in("admin")  # a super-administrator: may leave both out
    site_only = client.form_post("/admin/users/new", {"username": "nina", "password": PASSWORD, "site": "harbour"})
    assert site_only.status_code == 422
    assert '<p class="field-error" id="role-error">Choose a role.</p>' in site_only.text
    role_only = client.form_post("/admin/users/new", {"username": "nina", "password": PASSWORD, "role": "agent"})
    assert role_only.status_code == 422
    assert '<p class="field-error" id="site-error">Choose a site.</p>' in role_only.text
    unknown = client.form_post("/admin/users/new", {"username": "nina", "password": PASSWORD, "site": "atlantis",
                                                    "role": "agent"})
    assert unknown.status_code == 422
    assert '<p class="field-error" id="site-error">No site atlantis.</p>' in unknown.text
    assert demo_server.call(lambda: User.filter(username="nina").exists()) is False


def test_editing_a_profile_and_a_stale_version(demo_server):
    client = demo_server.sign_in("admin")
    url = f"/admin/users/{user_id(demo_server, 'agent')}"
    version = version_in(client.get(url))
    form = {"display_name": "Agent Wang Wei", "email": "wang@example.com", "department": "service", "locale": "zh_Hant"}
    assert client.form_post(url, {**form, "version": version}).status_code == 303
    agent = demo_server.call(lambda: User.get(username="agent"))
    assert (agent.display_name, agent.locale) == ("Agent Wang Wei", "zh_Hant")
    stale = client.form_post(url, {**form, "display_name": "Lost", "version": version})
    assert stale.status_code == 409 and "Someone else changed this user" in stale.text
    assert 'value="Agent Wang Wei"' in stale.text
    invalid = client.form_post(url, {**form, "locale": "fr", "version": version_in(stale)})
    assert invalid.status_code == 422 and "Choose one of the offered values." in invalid.text


def test_disabling_and_enabling_a_user(demo_server):
    admin = demo_server.sign_in("admin")
    agent = demo_server.sign_in("agent")
    url = f"/admin/users/{user_id(demo_server, 'agent')}"
    assert admin.form_post(f"{url}/active", {"active": "0"}).status_code == 303
    assert "This user cannot sign in." in admin.get(url).text
    assert agent.get("/sites").status_code == 303  # the session ended: back to sign-in
    assert admin.form_post(f"{url}/active", {"active": "1"}).status_code == 303
    assert demo_server.sign_in("agent").get("/sites").status_code == 200
    actions = demo_server.call(lambda: AuditEntry.filter(object_type="user").values_list("action", flat=True))
    assert "user.disabled" in actions and "user.enabled" in actions

    own = f"/admin/users/{user_id(demo_server, 'admin')}"
    refused = admin.form_post(f"{own}/active", {"active": "0"})
    assert refused.status_code == 409 and "You cannot disable your own account." in refused.text


def test_setting_a_password(demo_server):
    client = demo_server.sign_in("admin")
    url = f"/admin/users/{user_id(demo_server, 'agent')}/password"
    differ = client.form_post(url, {"password": PASSWORD, "repeat": PASSWORD + "x"})
    assert differ.status_code == 422 and "The two passwords differ." in differ.text
    short = client.form_post(url, {"password": "short", "repeat": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.text
    assert client.form_post(url, {"password": PASSWORD, "repeat": PASSWORD}).status_code == 303
    assert demo_server.sign_in("agent", PASSWORD).get("/sites").status_code == 200



def test_a_refused_password_shows_every_broken_rule_and_never_the_password(demo_server):
    client = demo_server.sign_in("admin")
    refused = client.form_post(f"/admin/users/{user_id(demo_server, 'agent')}/password",
                               {"password": "agent", "repeat": "agent"})
    assert refused.status_code == 422
    message = re.search(r'<p class="field-error" id="new-password-error">([^<]*)</p>', refused.text).group(1)
    assert "at least 10 characters" in message and "must not be the username" in message
    section = refused.text.split('<section class="panel" id="password">', 1)[1].split("</section>", 1)[0]
    assert 'value="agent"' not in section

def test_granting_and_revoking_a_role_at_a_site(demo_server):
    admin = demo_server.sign_in("admin")
    agent = demo_server.sign_in("agent")
    url = f"/admin/users/{user_id(demo_server, 'agent')}/memberships"
    assert agent.get("/sites/lotus/units").status_code == 404
    assert admin.form_post(url, {"site": "lotus", "role": "cashier"}).status_code == 303
    assert agent.get("/sites/lotus/units").status_code == 200
    page = admin.get(url.rsplit("/", 1)[0])
    assert re.search(r"<td>lotus</td>\s*<td>Cashier</td>", page.text)

    assert admin.form_post(f"{url}/revoke", {"site": "lotus", "role": "cashier"}).status_code == 303
    assert agent.get("/sites/lotus/units").status_code == 404
    actions = demo_server.call(lambda: AuditEntry.filter(action__startswith="membership.", actor_name="admin")
                               .values_list("action", flat=True))
    assert sorted(actions) == ["membership.grant", "membership.revoke"]

    unknown = admin.form_post(url, {"site": "atlantis", "role": "cashier"})
    assert unknown.status_code == 422 and '<p class="field-error" id="site-error">No site atlantis.</p>' in unknown.text


def test_a_refused_membership_names_both_fields(demo_server):
    admin = demo_server.sign_in("admin")
    refused = admin.form_post(f"/admin/users/{user_id(demo_server, 'agent')}/memberships", {"site": "", "role": "x"})
    assert refused.status_code == 422
    assert '<p class="field-error" id="site-error">Choose a site.</p>' in refused.text
    assert '<p class="field-error" id="role-error">No role x.</p>' in refused.text  # unknown, not blank


# --- Roles ---------------------------------------------------------------------------


def test_roles_grid_shows_and_changes_grants(demo_server):
    client = demo_server.sign_in("admin")
    housekeeper = demo_server.call(lambda: Role.get(name="housekeeper"))
    grid = client.get("/admin/roles")
    boxes = re.findall(rf'value="([a-z._]+)" form="role-form-{housekeeper.id}"\s+aria-label="[^"]*"( checked)?',
                       grid.text)
    checked = {name for name, mark in boxes if mark}
    assert "core.unit.read" in checked and "core.party.read" not in checked
    assert {name for name, _mark in boxes} >= {"core.party.read", "core.user.manage"}  # every declared one

    response = client.form_post(f"/admin/roles/{housekeeper.id}",
                                {"permissions": ["core.unit.read", "core.party.read"]})
    assert response.status_code == 303
    granted = demo_server.call(
        lambda: RolePermission.filter(role_id=housekeeper.id).values_list("permission", flat=True))
    assert sorted(granted) == ["core.party.read", "core.unit.read"]
    assert demo_server.sign_in("housekeeper").get("/sites/lotus/parties").status_code == 200
    assert "Saved role housekeeper." in client.get(response.headers["location"]).text

    unknown = client.form_post(f"/admin/roles/{housekeeper.id}", {"permissions": ["core.unit.read", "nope.nope"]})
    assert unknown.status_code == 422 and "Unknown permission: nope.nope" in unknown.text


def test_creating_a_role(demo_server):
    client = demo_server.sign_in("admin")
    assert client.form_post("/admin/roles", {"name": "night_audit"}).status_code == 303
    assert ">night_audit</th>" in client.get("/admin/roles").text
    taken = client.form_post("/admin/roles", {"name": "night_audit"})
    assert taken.status_code == 409 and "A role named night_audit exists already." in taken.text
    bad = client.form_post("/admin/roles", {"name": "Night Audit"})
    assert bad.status_code == 422 and 'id="name-error"' in bad.text and 'value="Night Audit"' in bad.text
    too_long = client.form_post("/admin/roles", {"name": "r" * 50})  # the column holds 40
    assert too_long.status_code == 422 and "Enter at most 40 characters." in too_long.text


def test_a_refused_new_role_is_shown_on_top_with_the_name_kept(demo_server):
    client = demo_server.sign_in("admin")
    taken = client.form_post("/admin/roles", {"name": "cashier"})
    assert taken.status_code == 409
    new_role = main(taken).split('id="new-role"', 1)[1]
    assert '<div class="form-errors" role="alert">' in new_role and "A role named cashier exists already." in new_role
    assert 'value="cashier"' in new_role


# --- Sites ---------------------------------------------------------------------------


def test_creating_and_editing_a_site(demo_server):
    client = demo_server.sign_in("admin")
    assert all(code in client.get("/admin/sites").text for code in ("harbour", "lotus", "sunrise"))
    form = {"code": "plaza", "name": "Plaza Mall", "kind": "retail", "timezone": "Mars/Olympus",
            "currency": "twd", "default_language": "en"}
    invalid = client.form_post("/admin/sites/new", form)
    assert invalid.status_code == 422 and "Unknown time zone Mars/Olympus." in invalid.text
    assert 'value="Plaza Mall"' in invalid.text
    created = client.form_post("/admin/sites/new", {**form, "timezone": "Asia/Taipei"})
    assert created.status_code == 303 and created.headers["location"] == "/admin/sites/plaza?saved=1"
    assert demo_server.call(lambda: Site.get(code="plaza")).currency == "TWD"
    taken = client.form_post("/admin/sites/new", {**form, "code": "lotus", "timezone": "Asia/Taipei"})
    assert taken.status_code == 409 and "A site with code lotus exists already." in taken.text

    page = client.get("/admin/sites/plaza")
    change = {"name": "Plaza Shopping Mall", "kind": "retail", "timezone": "Asia/Taipei", "currency": "TWD",
              "default_language": "zh_Hant", "version": version_in(page)}
    assert client.form_post("/admin/sites/plaza", change).status_code == 303
    assert demo_server.call(lambda: Site.get(code="plaza")).name == "Plaza Shopping Mall"
    stale = client.form_post("/admin/sites/plaza", {**change, "name": "Lost"})
    assert stale.status_code == 409 and "Someone else changed this site" in stale.text
    assert client.get("/admin/sites/atlantis").status_code == 404


def test_a_refused_site_change_keeps_what_was_typed(demo_server):
    client = demo_server.sign_in("admin")
    change = {"name": "Harbour View", "kind": "residential", "timezone": "Mars/Olympus", "currency": "TWD",
              "default_language": "en", "version": version_in(client.get("/admin/sites/harbour"))}
    refused = client.form_post("/admin/sites/harbour", change)
    assert refused.status_code == 422
    assert '<p class="field-error" id="timezone-error">Unknown time zone Mars/Olympus.</p>' in refused.text
    assert 'value="Harbour View"' in refused.text and 'value="Mars/Olympus"' in refused.text
    assert demo_server.call(lambda: Site.get(code="harbour")).name != "Harbour View"


# --- Audit log -----------------------------------------------------------------------


def test_audit_log_filters_and_shows_changes_as_json(demo_server):
    client = demo_server.sign_in("admin")
    client.form_post(f"/admin/users/{user_id(demo_server, 'agent')}/memberships", {"site": "lotus", "role": "cashier"})
    page = main(client.get("/admin/audit", params={"action": "membership.", "actor": "admin", "site": "lotus"}))
    assert page.count("<time ") == 1 and "membership.grant" in page
    assert '{"role":"cashier","site":"lotus"}' in html.unescape(page)
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" title="UTC \(UTC\+0\)">[^<]+ UTC</time>', page)
    assert "membership.grant" not in main(client.get("/admin/audit", params={"action": "membership.",
                                                                          "site": "harbour", "actor": "admin"}))
    today = dt.datetime.now(dt.timezone.utc).date()
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert "membership.grant" in main(client.get("/admin/audit", params={"actor": "admin", "from": today.isoformat(),
                                                                        "to": today.isoformat()}))
    assert "<time " not in main(client.get("/admin/audit", params={"to": yesterday}))
    bad = client.get("/admin/audit", params={"from": "last week"})
    assert bad.status_code == 422 and "Enter a date as YYYY-MM-DD." in bad.text and "<time " not in main(bad)


def test_audit_log_pages_by_100_newest_first(demo_server):
    async def many():
        for number in range(150):
            await audit.record("test.entry", note=f"entry {number}")

    demo_server.call(many)
    client = demo_server.sign_in("admin")
    first = main(client.get("/admin/audit", params={"action": "test."}))
    assert first.count("<time ") == 100 and "entry 149" in first and "entry 49<" not in first
    assert 'href="/admin/audit?action=test.&amp;page=2"' in first
    second = main(client.get("/admin/audit", params={"action": "test.", "page": "2"}))
    assert second.count("<time ") == 50 and "entry 0<" in second
