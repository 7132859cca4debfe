"""Pages for sites, units and parties: lists, forms, errors, access and masking."""

import html
import re

from core.audit.models import AuditEntry
from core.entities import services
from core.entities.models import Party, Site, Unit
from core.identity import services as identity
from core.identity.models import Role

PASSWORD = "a-long-enough-password"


def version_in(page) -> str:
    return re.search(r'name="version" value="(\d+)"', page.text).group(1)


def main(page) -> str:
    """The page's own content, without the navigation and footer."""
    return page.text.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def unit_form(**values):
    return {"code": "", "kind": "apartment", "building": "", "floor": "", "name": "", "notes": "", **values}


def party_at(demo_server, site_code, **data):
    async def create():
        site = await Site.get(code=site_code)
        return await services.create_party(site, {"name": "Mei Lin", "kind": "person", "phones": ["0912345678"],
                                                  "email": "mei.lin@example.com", "notes": "", **data})

    return demo_server.call(create)


def user_with_role(demo_server, username, site_code, permissions):
    """A user holding a new role with exactly ``permissions`` at one site."""

    async def create():
        role = await identity.create_role(f"{username}_role")
        await identity.set_role_permissions(role, permissions, set(permissions))
        user = await identity.create_user(username, PASSWORD)
        await identity.grant_membership(user, await Site.get(code=site_code), await Role.get(id=role.id))

    demo_server.call(create)
    return demo_server.sign_in(username, PASSWORD)


# --- Sites ---------------------------------------------------------------------------


def test_sites_page_shows_only_the_users_sites_with_permitted_links(demo_server):
    agent = main(demo_server.sign_in("agent").get("/sites"))
    assert "Harbour View Residences" in agent and "Lotus Garden Hotel" not in agent
    assert 'href="/sites/harbour/units"' in agent and 'href="/sites/harbour/parties"' in agent

    housekeeper = main(demo_server.sign_in("housekeeper").get("/sites"))
    assert 'href="/sites/lotus/units"' in housekeeper
    assert "/parties" not in housekeeper  # no core.party.read at lotus


def test_site_pages_fill_the_menu_with_the_current_site(demo_server):
    page = demo_server.sign_in("agent").get("/sites/harbour/units")
    assert '<a href="/sites/harbour/parties">Parties</a>' in page.text
    assert 'href="/admin/users"' not in page.text
    admin = demo_server.sign_in("admin").get("/sites/lotus/units")
    assert 'href="/sites/lotus/parties"' in admin.text and 'href="/admin/audit"' in admin.text


def test_site_pages_need_sign_in(demo_server):
    response = demo_server.client().get("/sites/harbour/units")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/sites/harbour/units"


# --- Units ---------------------------------------------------------------------------


def test_unit_list_is_paginated_searchable_and_filterable(demo_server):
    client = demo_server.sign_in("admin")
    first = main(client.get("/sites/harbour/units"))
    assert first.count("/sites/harbour/units/") == 50 + 1  # 50 rows and the "New unit" link
    assert "A-0101" in first and 'href="/sites/harbour/units?page=2"' in first
    second = main(client.get("/sites/harbour/units?page=2"))
    assert second.count('<th scope="row">') == 30 and "B-1004" in second and "A-0101" not in second

    found = main(client.get("/sites/harbour/units", params={"q": "b-10"}))
    assert found.count('<th scope="row">') == 4 and "B-1001" in found and "A-1001" not in found
    by_building = main(client.get("/sites/harbour/units", params={"q": "Tower B", "page": "2"}))
    assert by_building.count('<th scope="row">') == 0 and "No units match." in by_building
    assert "A-0101" not in main(client.get("/sites/harbour/units", params={"kind": "shop"}))


def test_new_unit_link_and_edit_form_only_for_editors(demo_server):
    agent = demo_server.sign_in("agent")  # core.unit.read, not core.unit.edit
    assert "New unit" not in agent.get("/sites/harbour/units").text
    page = agent.get("/sites/harbour/units?q=A-0101")
    unit_id = re.search(r'href="/sites/harbour/units/(\d+)"', page.text).group(1)
    detail = main(agent.get(f"/sites/harbour/units/{unit_id}"))
    assert "A-0101" in detail and "<form" not in detail and "Tower A" in detail
    assert agent.get("/sites/harbour/units/new").status_code == 403
    refused = agent.form_post(f"/sites/harbour/units/{unit_id}", unit_form(code="X", version="1"))
    assert refused.status_code == 403
    assert demo_server.call(lambda: Unit.get(id=unit_id)).code == "A-0101"


def test_creating_a_unit_redirects_to_it_and_is_audited(demo_server):
    client = demo_server.sign_in("admin")
    response = client.form_post("/sites/harbour/units/new",
                                unit_form(code="C-0101", building="Tower C", floor="1", notes="Sea view"))
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(r"/sites/harbour/units/\d+\?saved=1", location)
    page = client.get(location)
    assert "Saved." in page.text and 'value="C-0101"' in page.text and "Sea view" in page.text
    entry = demo_server.call(lambda: AuditEntry.filter(action="unit.create").first())
    assert entry.actor_name == "admin" and entry.after["code"] == "C-0101"


def test_invalid_unit_form_is_shown_again_with_the_typed_values(demo_server):
    client = demo_server.sign_in("admin")
    response = client.form_post("/sites/harbour/units/new",
                                unit_form(code="", kind="castle", building="Tower C", floor="12345678901"))
    assert response.status_code == 422
    page = main(response)
    assert 'value="Tower C"' in page
    assert '<p class="field-error" id="code-error">This field is required.</p>' in page
    assert '<p class="field-error" id="kind-error">Choose one of the offered values.</p>' in page
    assert '<p class="field-error" id="floor-error">Enter at most 10 characters.</p>' in page
    assert 'aria-invalid="true"' in page

    taken = client.form_post("/sites/harbour/units/new", unit_form(code="A-0101", name="Duplicate"))
    assert taken.status_code == 409
    assert "Unit A-0101 exists already at this site." in taken.text and 'value="Duplicate"' in taken.text
    assert demo_server.call(lambda: Unit.filter(code="A-0101").count()) == 1


def test_editing_a_unit_and_a_stale_version(demo_server):
    client = demo_server.sign_in("admin")
    unit = demo_server.call(lambda: Unit.get(code="A-0102"))
    url = f"/sites/harbour/units/{unit.id}"
    old_version = version_in(client.get(url))
    saved = client.form_post(url, unit_form(code="A-0102", building="Tower A", floor="1", name="Show flat",
                                            version=old_version))
    assert saved.status_code == 303 and saved.headers["location"] == f"{url}?saved=1"
    assert demo_server.call(lambda: Unit.get(id=unit.id)).name == "Show flat"

    stale = client.form_post(url, unit_form(code="A-0102", building="Tower A", name="Office", version=old_version))
    assert stale.status_code == 409
    assert "Someone else changed this unit" in stale.text
    assert 'value="Show flat"' in stale.text  # the form holds the current values...
    assert version_in(stale) == str(int(old_version) + 1)
    assert "What you entered (not saved)" in stale.text and "Office" in stale.text  # ...and what was typed
    assert demo_server.call(lambda: Unit.get(id=unit.id)).name == "Show flat"


def test_a_refused_unit_edit_keeps_what_was_typed_and_a_blank_field_empties_it(demo_server):
    client = demo_server.sign_in("admin")
    unit = demo_server.call(lambda: Unit.get(code="A-0102"))
    url = f"/sites/harbour/units/{unit.id}"
    version = version_in(client.get(url))
    taken = client.form_post(url, unit_form(code="A-0101", building="Tower Z", version=version))
    assert taken.status_code == 409  # a conflict, not a stale form: what was typed stays in the form
    assert '<div class="form-errors" role="alert">' in taken.text and "Unit A-0101 exists already" in taken.text
    assert 'value="Tower Z"' in taken.text and "What you entered (not saved)" not in taken.text
    blank = client.form_post(url, unit_form(code="", building="Tower Z", version=version))
    assert blank.status_code == 422 and 'id="code-error"' in blank.text and 'value="Tower Z"' in blank.text

    cleared = client.form_post(url, unit_form(code="A-0102", building="", version=version))
    assert cleared.status_code == 303  # an edit form's blank field means "empty it", not "leave it"
    assert demo_server.call(lambda: Unit.get(id=unit.id)).building == ""


def test_units_of_other_sites_and_sites_of_others_are_404(demo_server):
    async def lotus_unit():
        return await services.create_unit(await Site.get(code="lotus"), {"code": "101", "kind": "room"})

    lotus_id = demo_server.call(lotus_unit).id
    admin = demo_server.sign_in("admin")
    assert admin.get(f"/sites/lotus/units/{lotus_id}").status_code == 200
    assert admin.get(f"/sites/harbour/units/{lotus_id}").status_code == 404
    assert admin.form_post(f"/sites/harbour/units/{lotus_id}", unit_form(code="x", version="1")).status_code == 404

    agent = demo_server.sign_in("agent")  # a member of harbour only
    assert agent.get("/sites/lotus/units").status_code == 404
    assert agent.get(f"/sites/lotus/units/{lotus_id}").status_code == 404
    assert agent.get("/sites/nowhere/units").status_code == 404


# --- Parties -------------------------------------------------------------------------


def test_party_list_searches_names_and_phone_numbers(demo_server):
    client = demo_server.sign_in("agent")
    everyone = main(client.get("/sites/harbour/parties"))
    assert everyone.count('<th scope="row">') == 16 and "0912345678" in everyone
    by_name = main(client.get("/sites/harbour/parties", params={"q": "美玲"}))
    assert "林美玲" in by_name and "陳大文" not in by_name
    by_phone = main(client.get("/sites/harbour/parties", params={"q": "0912-345-678"}))
    assert by_phone.count('<th scope="row">') == 1 and "陳大文" in by_phone


def test_creating_a_party_with_phone_numbers_one_per_line(demo_server):
    client = demo_server.sign_in("agent")
    response = client.form_post("/sites/harbour/parties/new", {
        "name": "Acme Lifts", "kind": "organisation", "phones": "+886 2 2345-6789\n\n 0911 222 333 \n+886223456789",
        "email": "service@acme.example", "notes": "Lift maintenance"})
    assert response.status_code == 303
    party = demo_server.call(lambda: Party.get(name="Acme Lifts"))
    assert party.phones == ["+886223456789", "0911222333"] and party.email == "service@acme.example"
    page = client.get(response.headers["location"])
    assert "+886223456789\n0911222333</textarea>" in page.text and "Saved." in page.text


def test_invalid_party_form_is_shown_again(demo_server):
    client = demo_server.sign_in("agent")
    response = client.form_post("/sites/harbour/parties/new",
                                {"name": "Kim", "kind": "person", "phones": "12", "email": "not-an-address"})
    assert response.status_code == 422
    assert "Enter an e-mail address such as name@example.com." in response.text
    assert 'value="not-an-address"' in response.text
    fixed = client.form_post("/sites/harbour/parties/new",
                             {"name": "Kim", "kind": "person", "phones": "12", "email": ""})
    assert fixed.status_code == 422
    assert '<p class="field-error" id="phones-error">12 is not a phone number.</p>' in fixed.text
    assert demo_server.call(lambda: Party.filter(name="Kim").exists()) is False


def test_editing_a_party_and_a_stale_version(demo_server):
    party = party_at(demo_server, "harbour")
    client = demo_server.sign_in("agent")
    url = f"/sites/harbour/parties/{party.id}"
    version = version_in(client.get(url))
    form = {"name": "Mei Lin", "kind": "person", "phones": "0912345678\n0922000111", "email": "", "notes": ""}
    assert client.form_post(url, {**form, "version": version}).status_code == 303
    assert demo_server.call(lambda: Party.get(id=party.id)).phones == ["0912345678", "0922000111"]
    stale = client.form_post(url, {**form, "name": "Someone else", "version": version})
    assert stale.status_code == 409 and "Someone else changed this party" in stale.text
    assert 'value="Mei Lin"' in stale.text


def test_a_refused_party_edit_keeps_what_was_typed(demo_server):
    party = party_at(demo_server, "harbour")
    client = demo_server.sign_in("agent")
    url = f"/sites/harbour/parties/{party.id}"
    form = {"name": "Mei Lin-Wu", "kind": "person", "phones": "12", "email": "", "notes": "VIP",
            "version": version_in(client.get(url))}
    refused = client.form_post(url, form)
    assert refused.status_code == 422
    assert '<p class="field-error" id="phones-error">12 is not a phone number.</p>' in refused.text
    assert 'value="Mei Lin-Wu"' in refused.text and ">VIP</textarea>" in refused.text
    assert demo_server.call(lambda: Party.get(id=party.id)).name == "Mei Lin"


def test_personal_data_is_masked_everywhere_without_the_permission(demo_server):
    party_at(demo_server, "lotus")
    cashier = demo_server.sign_in("cashier")  # core.party.read at lotus, not personal_data
    listing = cashier.get("/sites/lotus/parties")
    assert listing.status_code == 200 and "09******78" in listing.text and "m***@example.com" in listing.text
    party_id = re.search(r'href="/sites/lotus/parties/(\d+)"', listing.text).group(1)
    detail = cashier.get(f"/sites/lotus/parties/{party_id}")
    for page in (listing, detail):
        assert "0912345678" not in page.text and "mei.lin@" not in page.text
    assert "09******78" in detail.text and 'name="phones"' not in detail.text
    assert cashier.get("/sites/lotus/parties/new").status_code == 403  # no core.party.edit either


def test_editors_without_personal_data_neither_see_nor_change_phones(demo_server):
    party = party_at(demo_server, "lotus")
    client = user_with_role(demo_server, "desk", "lotus", ["core.party.read", "core.party.edit"])
    url = f"/sites/lotus/parties/{party.id}"
    page = client.get(url)
    assert 'name="name"' in page.text and 'name="phones"' not in page.text and 'name="email"' not in page.text
    assert "0912345678" not in page.text and "09******78" in page.text
    response = client.form_post(url, {"name": "Mei Lin-Wu", "kind": "person", "phones": "0999999999",
                                      "email": "evil@example.com", "version": version_in(page)})
    assert response.status_code == 303
    saved = demo_server.call(lambda: Party.get(id=party.id))
    assert saved.name == "Mei Lin-Wu"
    assert saved.phones == ["0912345678"] and saved.email == "mei.lin@example.com"  # untouched
    stale = client.form_post(url, {"name": "X", "kind": "person", "version": version_in(page)})
    assert stale.status_code == 409 and "0912345678" not in stale.text and "mei.lin@" not in stale.text


def test_party_pages_need_party_permissions(demo_server):
    housekeeper = demo_server.sign_in("housekeeper")  # core.unit.read only
    assert housekeeper.get("/sites/lotus/units").status_code == 200
    assert housekeeper.get("/sites/lotus/parties").status_code == 403
    assert "core.party.read" in html.unescape(housekeeper.get("/sites/lotus/parties").text)
    assert demo_server.sign_in("agent").get("/sites/lotus/parties").status_code == 404
