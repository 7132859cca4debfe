"""Households that change (issue 17): owner and tenant changes with the date they took
effect and their history, family members added, changed and removed, the important-owner
mark; versioned, audited, phones masked per role, the same through the API and the page."""

import re

from tests.plugins.resident.conftest import BASE, take_permission

PAGES = "/sites/harbour/resident"


def _household(client, unit_id, members=None, **fields):
    members = members if members is not None else [
        {"name": "Chen", "relation": "owner", "phone": "0912 345 678"},
        {"name": "Lin", "relation": "tenant", "phone": "0922333444"},
        {"name": "Wu", "relation": "family"}]
    response = client.post(f"{BASE}/households", json={"unit_id": unit_id, "members": members, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def _names(household, relation=None):
    return sorted(m["name"] for m in household["members"] if relation is None or m["relation"] == relation)


def _changes(client, household_id):
    response = client.get(f"{BASE}/households/{household_id}/changes")
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _audit_actions(server, household_id):
    from core.audit.models import AuditEntry

    return server.call(lambda: AuditEntry.filter(object_type="resident.household", object_id=str(household_id))
                       .order_by("id").values_list("action", flat=True))


def test_an_owner_change_takes_effect_on_its_date_and_is_kept_in_the_history(demo_server, supervisor, units,
                                                                                user_ids):
    household = _household(supervisor, units["A-0101"])
    url = f"{BASE}/households/{household['id']}"
    changed = supervisor.post(f"{url}/changes", json={
        "version": household["version"], "relation": "owner", "name": "Wang", "phone": "0933-444-555",
        "effective_date": "2026-03-01", "note": "Sold the flat"})
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert _names(after, "owner") == ["Wang"] and _names(after) == ["Lin", "Wang", "Wu"]
    assert after["version"] == household["version"] + 1
    assert next(m for m in after["members"] if m["name"] == "Wang")["phone"] == "0933444555"
    [entry] = _changes(supervisor, household["id"])
    assert entry["kind"] == "occupant" and entry["relation"] == "owner" and entry["effective_date"] == "2026-03-01"
    assert [p["name"] for p in entry["before"]] == ["Chen"] and [p["name"] for p in entry["after"]] == ["Wang"]
    assert entry["recorded_by_id"] == user_ids["supervisor"] and entry["recorded_at"] and entry["note"] == "Sold the flat"
    assert _audit_actions(demo_server, household["id"])[-1] == "resident.household.occupant"


def test_a_change_dated_before_the_last_change_is_refused_naming_effective_date(demo_server, supervisor, units):
    household = _household(supervisor, units["A-0101"])
    url = f"{BASE}/households/{household['id']}"
    first = supervisor.post(f"{url}/changes", json={"version": household["version"], "relation": "tenant",
                                                    "name": "Ho", "effective_date": "2026-05-10"}).json()
    early = supervisor.post(f"{url}/changes", json={"version": first["version"], "relation": "owner", "name": "Wang",
                                                    "effective_date": "2026-05-09"})
    assert early.status_code == 422 and early.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in early.json()["errors"]] == ["effective_date"]
    assert "2026-05-10" in early.json()["errors"][0]["message"]
    now = supervisor.get(url).json()  # nothing half-written: members, version and history as they were
    assert now == first and len(_changes(supervisor, household["id"])) == 1
    same_day = supervisor.post(f"{url}/changes", json={"version": first["version"], "relation": "owner",
                                                       "name": "Wang", "effective_date": "2026-05-10"})
    assert same_day.status_code == 200, same_day.text


def test_a_stale_version_is_409_and_writes_nothing(demo_server, supervisor, units):
    household = _household(supervisor, units["A-0101"])
    url = f"{BASE}/households/{household['id']}"
    assert supervisor.patch(url, json={"version": household["version"], "important": True}).status_code == 200
    for method, path, body in (
            ("POST", f"{url}/changes", {"relation": "owner", "name": "Wang", "effective_date": "2026-01-01"}),
            ("POST", f"{url}/members", {"name": "Kid"}),
            ("PATCH", url, {"important": False}),
            ("PATCH", f"{url}/members/{household['members'][0]['id']}", {"phone": "0911000111"}),
            ("POST", f"{url}/members/{household['members'][2]['id']}/remove", {})):
        stale = supervisor.request(method, path, json={"version": household["version"], **body})
        assert stale.status_code == 409, (path, stale.text)
        assert stale.json()["current"]["version"] == household["version"] + 1
    now = supervisor.get(url).json()
    assert now["important"] is True and _names(now) == _names(household) and len(_changes(supervisor, household["id"])) == 1


def test_a_tenant_may_leave_with_nobody_after_but_an_owner_is_always_named(supervisor, units):
    household = _household(supervisor, units["A-0101"])
    url = f"{BASE}/households/{household['id']}"
    nameless = supervisor.post(f"{url}/changes", json={"version": household["version"], "relation": "owner",
                                                       "effective_date": "2026-02-01"})
    assert nameless.status_code == 422 and nameless.json()["errors"][0]["field"] == "name"
    left = supervisor.post(f"{url}/changes", json={"version": household["version"], "relation": "tenant",
                                                   "effective_date": "2026-02-01"})
    assert left.status_code == 200 and _names(left.json(), "tenant") == []
    again = supervisor.post(f"{url}/changes", json={"version": left.json()["version"], "relation": "tenant",
                                                    "effective_date": "2026-02-02"})
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "name"  # no tenant left to move out
    bad_phone = supervisor.post(f"{url}/changes", json={"version": left.json()["version"], "relation": "tenant",
                                                        "name": "Ho", "phone": "call me", "effective_date": "2026-02-02"})
    assert bad_phone.status_code == 422 and bad_phone.json()["errors"][0]["field"] == "phone"
    float_date = supervisor.post(f"{url}/changes", json={"version": left.json()["version"], "relation": "tenant",
                                                         "name": "Ho", "effective_date": "02/02/2026"})
    assert float_date.status_code == 422 and float_date.json()["errors"][0]["field"] == "effective_date"
    sold = supervisor.post(f"{url}/changes", json={"version": left.json()["version"], "relation": "owner",
                                                   "name": "Wang", "replace_family": True, "effective_date": "2026-03-01"})
    assert sold.status_code == 200 and _names(sold.json()) == ["Wang"]
    entry = _changes(supervisor, household["id"])[0]
    assert sorted(p["name"] for p in entry["before"]) == ["Chen", "Wu"]


def test_the_important_mark_is_set_and_cleared_and_goes_with_the_owner(demo_server, supervisor, units):
    household = _household(supervisor, units["A-0101"])
    url = f"{BASE}/households/{household['id']}"
    marked = supervisor.patch(url, json={"version": household["version"], "important": True})
    assert marked.status_code == 200 and marked.json()["important"] is True
    entry = _changes(supervisor, household["id"])[0]
    assert entry["kind"] == "details" and entry["details"] == {"important": {"before": False, "after": True}}
    unmarked = supervisor.patch(url, json={"version": marked.json()["version"], "important": False, "area": "90.5"})
    assert unmarked.json()["important"] is False and unmarked.json()["area"] == "90.50"
    bad_area = supervisor.patch(url, json={"version": unmarked.json()["version"], "area": "-3"})
    assert bad_area.status_code == 422 and bad_area.json()["errors"][0]["field"] == "area"
    again = supervisor.patch(url, json={"version": unmarked.json()["version"], "important": True}).json()
    sold = supervisor.post(f"{url}/changes", json={"version": again["version"], "relation": "owner", "name": "Wang",
                                                   "effective_date": "2026-03-01"}).json()
    assert sold["important"] is False  # the new owner is not important until someone marks them
    assert _changes(supervisor, household["id"])[0]["details"] == {"important": {"before": True, "after": False}}
    assert "resident.household.update" in _audit_actions(demo_server, household["id"])


def test_family_members_are_added_changed_and_removed(demo_server, supervisor, units):
    household = _household(supervisor, units["A-0101"])
    url = f"{BASE}/households/{household['id']}"
    bad = supervisor.post(f"{url}/members", json={"version": household["version"], "name": "Kid", "phone": "abc"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "phone"
    nameless = supervisor.post(f"{url}/members", json={"version": household["version"]})
    assert nameless.status_code == 422 and nameless.json()["errors"][0]["field"] == "name"
    added = supervisor.post(f"{url}/members", json={"version": household["version"], "name": "Kid",
                                                    "phone": "+886 912-000-111"})
    assert added.status_code == 200, added.text
    kid = next(m for m in added.json()["members"] if m["name"] == "Kid")
    assert kid["relation"] == "family" and kid["phone"] == "+886912000111"
    changed = supervisor.patch(f"{url}/members/{kid['id']}", json={"version": added.json()["version"],
                                                                    "name": "Kiddo", "phone": ""})
    assert changed.status_code == 200
    assert next(m for m in changed.json()["members"] if m["id"] == kid["id"]) == {**kid, "name": "Kiddo", "phone": ""}
    bad_phone = supervisor.patch(f"{url}/members/{kid['id']}", json={"version": changed.json()["version"],
                                                                      "phone": "x"})
    assert bad_phone.status_code == 422 and bad_phone.json()["errors"][0]["field"] == "phone"
    owner = next(m for m in household["members"] if m["relation"] == "owner")
    refused = supervisor.post(f"{url}/members/{owner['id']}/remove", json={"version": changed.json()["version"]})
    assert refused.status_code == 409  # an owner leaves through an owner change, with its date
    removed = supervisor.post(f"{url}/members/{kid['id']}/remove", json={"version": changed.json()["version"]})
    assert removed.status_code == 200 and "Kiddo" not in _names(removed.json())
    elsewhere = _household(supervisor, units["A-0102"])
    foreign = supervisor.patch(f"{url}/members/{elsewhere['members'][0]['id']}",
                               json={"version": removed.json()["version"], "name": "X"})
    assert foreign.status_code == 404
    kinds = [entry["kind"] for entry in _changes(supervisor, household["id"])]
    assert kinds == ["member_removed", "member_changed", "member_added"]
    assert _audit_actions(demo_server, household["id"])[-3:] == [
        "resident.household.member_add", "resident.household.member_change", "resident.household.member_remove"]


def test_the_history_masks_phones_for_those_who_may_not_see_them(demo_server, supervisor, agent, units):
    household = _household(supervisor, units["A-0101"])
    take_permission(demo_server, "agent", "core.party.personal_data")
    supervisor.post(f"{BASE}/households/{household['id']}/changes", json={
        "version": household["version"], "relation": "tenant", "name": "Ho", "phone": "0955666777",
        "effective_date": "2026-04-01"})
    for client, masked in ((supervisor, False), (agent, True)):
        [entry] = _changes(client, household["id"])
        phones = [p["phone"] for p in entry["before"] + entry["after"]]
        assert phones and all(("*" in phone) is masked for phone in phones)


def test_the_household_page_shows_members_history_and_reshows_a_refused_change(demo_server, supervisor, units):
    household = _household(supervisor, units["A-0101"])
    url = f"{PAGES}/households/{household['id']}"
    take_permission(demo_server, "agent", "core.party.personal_data")
    agent = demo_server.sign_in("agent")
    page = agent.get(url)
    assert page.status_code == 200 and "Chen" in page.text and "0912345678" not in page.text  # masked for an agent
    assert "09******78" in page.text and "0912345678" in demo_server.sign_in("supervisor").get(url).text
    first = agent.form_post(f"{url}/changes", {"version": str(household["version"]), "relation": "tenant",
                                               "name": "Ho", "phone": "", "effective_date": "2026-05-10"})
    assert first.status_code == 303 and first.headers["location"].endswith(url.split("/resident/")[1])
    shown = agent.get(url).text
    assert "Ho" in shown and "2026-05-10" in shown and "Owner or tenant change" in shown
    early = agent.form_post(f"{url}/changes", {"version": str(household["version"] + 1), "relation": "owner",
                                               "name": "Wang", "effective_date": "2026-05-01"})
    assert early.status_code == 422
    assert re.search(r'<p class="field-error" id="occupant-effective_date-error">[^<]*2026-05-10', early.text)
    assert 'value="Wang"' in early.text  # the form kept
    garbled = agent.form_post(f"{url}/changes", {"version": str(household["version"] + 1), "relation": "owner",
                                                 "name": "Wang", "effective_date": "soon"})
    assert garbled.status_code == 422 and 'id="occupant-effective_date-error">Give the date as YYYY-MM-DD.' in garbled.text
    stale = agent.form_post(f"{url}/members", {"version": str(household["version"]), "name": "Kid"})
    assert stale.status_code == 409 and "Someone changed this household" in stale.text
    added = agent.form_post(f"{url}/members", {"version": str(household["version"] + 1), "name": "Kid",
                                               "phone": "bad"})
    assert added.status_code == 422 and 'id="member-phone-error">This does not look like a phone number.' in added.text
    marked = agent.form_post(url, {"version": str(household["version"] + 1), "important": "yes", "area": "80.00",
                                   "notes": ""})
    assert marked.status_code == 303
    now = supervisor.get(f"{BASE}/households/{household['id']}").json()
    assert now["important"] is True and now["area"] == "80.00"
    chen = next(m for m in now["members"] if m["name"] == "Chen")
    kept = agent.form_post(f"{url}/members/{chen['id']}", {"version": str(now["version"]), "name": "Chen Da",
                                                           "phone": ""})
    assert kept.status_code == 303  # an agent, who saw no number, keeps it by leaving the field blank
    chen_now = next(m for m in supervisor.get(f"{BASE}/households/{household['id']}").json()["members"]
                    if m["id"] == chen["id"])
    assert chen_now == {**chen, "name": "Chen Da"}


def _demo_household(server, code="A-0101"):
    from core.entities.models import Site, Unit
    from plugins.resident.models import Household, Member

    async def load():
        site = await Site.get(code="harbour")
        unit = await Unit.get(site_id=site.id, code=code)
        household = await Household.get(unit_id=unit.id)
        family = await Member.filter(household_id=household.id, relation="family").first()
        return {"id": household.id, "version": household.version, "family_id": family.id if family else None}

    return server.call(load)


def test_an_occupant_change_through_the_page_and_the_api(parity):
    footprint = parity.check(
        "supervisor", prepare=_demo_household,
        api=lambda h: ("POST", f"{BASE}/households/{h['id']}/changes",
                       {"version": h["version"], "relation": "owner", "name": "Wang", "phone": "0933444555",
                        "effective_date": "2026-03-01", "replace_family": True}),
        page=lambda h: (f"{PAGES}/households/{h['id']}/changes",
                        {"version": str(h["version"]), "relation": "owner", "name": "Wang", "phone": "0933444555",
                         "effective_date": "2026-03-01", "replace_family": "yes", "note": ""}))
    assert footprint.audit == ["resident.household.occupant"] and footprint.rows["resident_household_change"] == 1


def test_family_member_edits_through_the_page_and_the_api(parity):
    footprint = parity.check(
        "supervisor", prepare=_demo_household,
        api=lambda h: ("POST", f"{BASE}/households/{h['id']}/members",
                       {"version": h["version"], "name": "Kid", "phone": "0911222333"}),
        page=lambda h: (f"{PAGES}/households/{h['id']}/members",
                        {"version": str(h["version"]), "name": "Kid", "phone": "0911222333"}))
    assert footprint.audit == ["resident.household.member_add"] and footprint.rows["resident_member"] == 1
    footprint = parity.check(
        "supervisor", prepare=_demo_household,
        api=lambda h: ("POST", f"{BASE}/households/{h['id']}/members/{h['family_id']}/remove", {"version": h["version"]}),
        page=lambda h: (f"{PAGES}/households/{h['id']}/members/{h['family_id']}/remove", {"version": str(h["version"])}))
    assert footprint.audit == ["resident.household.member_remove"] and footprint.rows["resident_member"] == -1


def test_marking_an_owner_important_through_the_page_and_the_api(parity):
    footprint = parity.check(
        "supervisor", prepare=_demo_household,
        api=lambda h: ("PATCH", f"{BASE}/households/{h['id']}",
                       {"version": h["version"], "important": True, "area": "60.00", "notes": ""}),
        page=lambda h: (f"{PAGES}/households/{h['id']}",
                        {"version": str(h["version"]), "important": "yes", "area": "60.00", "notes": ""}))
    assert footprint.audit == ["resident.household.update"]


def test_a_change_dated_after_the_sites_today_is_refused(demo_server, supervisor, units):
    """A mistyped future date (2099) would hold every later change behind it."""
    household = _household(supervisor, units["A-0101"])
    future = supervisor.post(f"{BASE}/households/{household['id']}/changes",
                             json={"version": household["version"], "relation": "tenant", "name": "Lee",
                                   "effective_date": "2099-01-01"})
    assert future.status_code == 422 and [e["field"] for e in future.json()["errors"]] == ["effective_date"]
    assert _changes(supervisor, household["id"]) == []
