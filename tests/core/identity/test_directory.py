"""The staff directory (熟記內線電話): every active member of a site with their department,
job title, extension and roles there, for members of that site only; and the extension
and job title each user keeps on their account page (issue 17, "Staff")."""

from __future__ import annotations

import html
import re

from core.audit.models import AuditEntry
from core.identity.models import User

API = "/api/v1/sites/harbour/directory"
PAGE = "/sites/harbour/directory"
HARBOUR = ["系統管理員 Admin", "陳經理 Manager Chen", "李專員 Agent Li", "林主管 Supervisor Lin", "王專員 Agent Wang"]


def user_id(server, username: str) -> int:
    return server.call(lambda: User.get(username=username)).id


def listed(page) -> list[str]:
    """The names a directory page shows, in its order."""
    main = page.text.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return [html.unescape(name) for name in re.findall(r'<th scope="row">\s*([^<]+?)\s*(?:<br>|</th>)', main)]


def all_items(client, url: str, **params) -> list[dict]:
    """Every entry of the API list, following its cursors."""
    items, cursor = [], None
    while True:
        answer = client.get(url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        items.extend(answer.json()["items"])
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return items


def _error_field(response) -> str:
    return response.json()["errors"][0]["field"]


# --- The directory --------------------------------------------------------------------------


def test_the_api_and_the_page_list_the_same_people(demo_server):
    agent = demo_server.api_client("agent")
    items = agent.get(API).json()["items"]
    names = [item["display_name"] for item in items]
    assert sorted(names) == sorted(HARBOUR)  # every member, nobody of lotus or sunrise
    departments = [item["department"] for item in items]
    assert departments == sorted(departments)  # by department, then name (in the database's collation)
    wang = next(item for item in items if item["display_name"] == "王專員 Agent Wang")
    assert wang == {"id": user_id(demo_server, "agent"), "display_name": "王專員 Agent Wang", "department": "service",
                    "title": "客服專員 Service agent", "extension": "2101", "roles": ["agent"]}
    assert all(set(item) == {"id", "display_name", "department", "title", "extension", "roles"} for item in items)
    page = demo_server.sign_in("agent").get(PAGE)
    assert page.status_code == 200
    assert listed(page) == names
    assert "2101" in page.text and "客服專員 Service agent" in page.text
    assert "agent@" not in page.text and ">agent2<" not in page.text  # no e-mail, no usernames


def test_roles_are_those_at_the_site(demo_server):
    manager = next(item for item in demo_server.api_client("agent").get(API).json()["items"]
                   if item["display_name"] == "陳經理 Manager Chen")
    assert manager["roles"] == ["manager"]
    lotus = demo_server.api_client("housekeeper").get("/api/v1/sites/lotus/directory").json()["items"]
    assert {"張領班 Supervisor Zhang", "鄭收銀 Cashier Zheng", "吳服務員 Attendant Wu"} <= \
        {item["display_name"] for item in lotus}
    assert "王專員 Agent Wang" not in {item["display_name"] for item in lotus}


def test_another_sites_directory_is_not_found(demo_server):
    agent = demo_server.api_client("agent")
    assert agent.get("/api/v1/sites/lotus/directory").status_code == 404
    assert agent.get("/api/v1/sites/nowhere/directory").status_code == 404
    browser = demo_server.sign_in("agent")
    refused = browser.get("/sites/lotus/directory")
    assert refused.status_code == 404 and "Attendant Wu" not in refused.text


def test_every_member_sees_it_in_the_menu(demo_server):
    home = demo_server.sign_in("housekeeper").get("/sites/lotus/directory")  # the role with the fewest rights
    assert home.status_code == 200 and 'href="/sites/lotus/directory"' in home.text
    assert demo_server.api_client("caller").get("/api/v1/sites/sunrise/directory").status_code == 200


def test_a_disabled_user_is_not_listed(demo_server):
    admin = demo_server.api_client("admin")
    assert admin.patch(f"/api/v1/users/{user_id(demo_server, 'agent2')}", json={"is_active": False}).status_code == 200
    names = [item["display_name"] for item in demo_server.api_client("agent").get(API).json()["items"]]
    assert "李專員 Agent Li" not in names and "王專員 Agent Wang" in names
    assert "李專員 Agent Li" not in listed(demo_server.sign_in("agent").get(PAGE))


def test_search_by_name_extension_and_department(demo_server):
    agent = demo_server.api_client("agent")
    for text, expected in (("2101", ["王專員 Agent Wang"]), ("wang", ["王專員 Agent Wang"]),
                           ("SERVICE", ["李專員 Agent Li", "林主管 Supervisor Lin", "王專員 Agent Wang"]),
                           ("nobody", [])):
        names = [item["display_name"] for item in agent.get(API, params={"q": text}).json()["items"]]
        assert sorted(names) == sorted(expected), text
        assert sorted(listed(demo_server.sign_in("agent").get(PAGE, params={"q": text}))) == sorted(expected), text
    assert "Nobody matches." in demo_server.sign_in("agent").get(PAGE, params={"q": "nobody"}).text


def test_pages_of_the_api_follow_the_order_without_gaps(demo_server):
    agent = demo_server.api_client("agent")
    whole = agent.get(API).json()["items"]
    paged = all_items(agent, API, limit=2)
    assert [item["id"] for item in paged] == [item["id"] for item in whole] and len(paged) == len(HARBOUR)
    bad = agent.get(API, params={"cursor": "aWQ6Mw"})  # a cursor of another list ("id:3")
    assert bad.status_code == 422 and _error_field(bad) == "cursor"


def test_the_page_is_grouped_by_department(demo_server):
    page = demo_server.sign_in("supervisor").get(PAGE).text
    assert "<h2>Customer service</h2>" in page and "<h2>No department</h2>" in page
    service = page.split("<h2>Customer service</h2>", 1)[1]
    assert "王專員 Agent Wang" in service and "陳經理 Manager Chen" not in service


# --- One's own extension and title ---------------------------------------------------------------


def test_a_user_changes_their_own_extension_through_the_api(demo_server):
    agent = demo_server.api_client("agent")
    me = agent.get("/api/v1/me").json()
    assert (me["extension"], me["title"]) == ("2101", "客服專員 Service agent")
    changed = agent.patch("/api/v1/me", json={"extension": "*21#9", "title": "Senior agent", "version": me["version"]})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["extension"], changed.json()["title"]) == ("*21#9", "Senior agent")
    assert changed.json()["version"] == me["version"] + 1
    wang = agent.get(API, params={"q": "*21#9"}).json()["items"]
    assert [(item["display_name"], item["title"]) for item in wang] == [("王專員 Agent Wang", "Senior agent")]
    entry = demo_server.call(lambda: AuditEntry.filter(action="user.update",
                                                       object_id=str(me["id"])).order_by("-id").first())
    assert entry.actor_name == "agent"
    assert entry.before == {"extension": "2101", "title": "客服專員 Service agent"}
    assert entry.after == {"extension": "*21#9", "title": "Senior agent"}
    stale = agent.patch("/api/v1/me", json={"extension": "1", "version": me["version"]})
    assert stale.status_code == 409
    assert demo_server.call(lambda: User.get(username="agent")).extension == "*21#9"


def test_a_user_changes_nothing_else_of_their_own(demo_server):
    agent = demo_server.api_client("agent")
    for body in ({"department": "boss"}, {"email": "x@example.com"}, {"is_active": False}):
        refused = agent.patch("/api/v1/me", json=body)
        assert refused.status_code == 422, body
    user = demo_server.call(lambda: User.get(username="agent"))
    assert (user.department, user.email, user.is_active) == ("service", "", True)


def test_a_bad_extension_is_refused_naming_the_field(demo_server):
    agent = demo_server.api_client("agent")
    for extension in ("12a", "12 3", "+886", "1" * 21):
        refused = agent.patch("/api/v1/me", json={"extension": extension})
        assert refused.status_code == 422 and _error_field(refused) == "extension", extension
        assert refused.headers["content-type"].startswith("application/problem+json")
    long_title = agent.patch("/api/v1/me", json={"title": "x" * 101})
    assert long_title.status_code == 422 and _error_field(long_title) == "title"
    admin = demo_server.api_client("admin")
    wang = user_id(demo_server, "agent")
    assert _error_field(admin.patch(f"/api/v1/users/{wang}", json={"extension": "ext. 5"})) == "extension"
    made = admin.post("/api/v1/users", json={"username": "nina", "password": "a-long-enough-password",
                                             "site": "harbour", "role": "agent", "extension": "nine"})
    assert made.status_code == 422 and _error_field(made) == "extension"
    assert demo_server.call(lambda: User.filter(username="nina").exists()) is False
    assert demo_server.call(lambda: User.get(username="agent")).extension == "2101"


def test_the_account_page_changes_ones_own_extension(demo_server):
    browser = demo_server.sign_in("agent")
    page = browser.get("/account")
    assert page.status_code == 200 and 'value="2101"' in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    saved = browser.form_post("/account", {"extension": "2199", "title": "客服組長", "version": version})
    assert saved.status_code == 303 and saved.headers["location"] == "/account?saved=1"
    user = demo_server.call(lambda: User.get(username="agent"))
    assert (user.extension, user.title) == ("2199", "客服組長")
    assert "2199" in browser.get(PAGE).text
    assert demo_server.call(lambda: AuditEntry.filter(action="user.update", object_id=str(user.id)).exists())
    stale = browser.form_post("/account", {"extension": "2100", "title": "", "version": version})
    assert stale.status_code == 409 and "Someone else changed your account" in stale.text
    assert demo_server.call(lambda: User.get(username="agent")).extension == "2199"


def test_the_account_page_reshows_a_bad_extension(demo_server):
    browser = demo_server.sign_in("agent")
    version = re.search(r'name="version" value="(\d+)"', browser.get("/account").text).group(1)
    refused = browser.form_post("/account", {"extension": "ext 9", "title": "Lead", "version": version})
    assert refused.status_code == 422
    assert '<p class="field-error" id="extension-error">Use up to 20 digits, #, * or -.</p>' in refused.text
    assert 'value="ext 9"' in refused.text and 'value="Lead"' in refused.text  # as typed
    assert demo_server.call(lambda: User.get(username="agent")).extension == "2101"


def test_administrators_set_extensions_on_the_user_page(demo_server):
    admin = demo_server.sign_in("admin")
    wang = user_id(demo_server, "agent")
    page = admin.get(f"/admin/users/{wang}")
    assert 'value="2101"' in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    form = {"display_name": "王專員 Agent Wang", "email": "", "department": "service", "locale": "",
            "title": "客服專員 Service agent", "version": version}
    refused = admin.form_post(f"/admin/users/{wang}", {**form, "extension": "x"})
    assert refused.status_code == 422 and 'id="extension-error"' in refused.text
    assert admin.form_post(f"/admin/users/{wang}", {**form, "extension": "2111"}).status_code == 303
    assert demo_server.call(lambda: User.get(id=wang)).extension == "2111"
    entry = demo_server.call(lambda: AuditEntry.filter(action="user.update", object_id=str(wang)).order_by("-id").first())
    assert entry.actor_name == "admin" and entry.after == {"extension": "2111"}
    detail = demo_server.api_client("admin").get(f"/api/v1/users/{wang}").json()
    assert (detail["extension"], detail["title"]) == ("2111", "客服專員 Service agent")


def test_the_page_and_the_api_change_it_alike(parity):
    def version(server) -> int:
        return server.call(lambda: User.get(username="agent")).version

    footprint = parity.check(
        "agent", prepare=version,
        api=lambda v: ("PATCH", "/api/v1/me", {"extension": "2188", "title": "Lead", "version": v}),
        page=lambda v: ("/account", {"extension": "2188", "title": "Lead", "version": str(v)}))
    assert footprint.audit == ["user.update"]
