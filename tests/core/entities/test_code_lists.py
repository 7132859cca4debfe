"""Managed code lists per site (issue 17): declared by plugins with their defaults, each
site's codes added, renamed, deactivated (never deleted) through the API and the page;
validated, versioned, audited, another site's 404."""

from __future__ import annotations

import pytest

from core.audit.models import AuditEntry
from core.entities.code_lists import Code, CodeList
from core.entities.models import CodeListItem
from core.i18n import N_
from tests.core.test_hooks import plugin

LIST = CodeList("parking.violation", N_("Parking violations"),
                (Code("blocking", N_("Blocking a gate")), Code("no_permit", N_("No permit"))))
URL = "/api/v1/sites/harbour/lists/parking.violation"


@pytest.fixture
def server(make_demo_app):
    return make_demo_app(extra_plugins=[plugin("parkcodes", register_code_lists=lambda: [LIST])])


def test_hook_register_code_lists(server):
    """A plugin's list is there at every site with its defaults, in order, translated."""
    body = server.api_client("agent").get(URL)
    assert body.status_code == 200, body.text
    assert body.json()["label"] == "Parking violations"
    assert [(i["code"], i["label"], i["builtin"], i["active"]) for i in body.json()["items"]] == [
        ("blocking", "Blocking a gate", True, True), ("no_permit", "No permit", True, True)]
    chinese = server.api_client("agent").get(URL, headers={"Accept-Language": "zh-Hant"})
    assert chinese.status_code == 200
    # Reading again stores nothing twice.
    server.api_client("agent").get(URL)
    assert server.call(lambda: CodeListItem.filter(list_name="parking.violation").count()) == 2


def test_add_validates_the_code_and_refuses_a_duplicate_naming_the_field(server):
    admin = server.api_client("admin")
    added = admin.post(URL, json={"code": "double_parked", "label": "Double parked"})
    assert added.status_code == 201, added.text
    assert added.json() == {"code": "double_parked", "label": "Double parked", "label_text": "Double parked",
                            "builtin": False, "active": True, "position": 2, "version": 1}
    for body, field, status in (({"code": "double_parked", "label": "Again"}, "code", 409),
                                ({"code": "blocking", "label": "A default's code"}, "code", 409),
                                ({"code": "Bad Code", "label": "x"}, "code", 422),
                                ({"code": "9lives", "label": "x"}, "code", 422),
                                ({"code": "ok_code", "label": "   "}, "label", 422),
                                ({"code": "ok_code"}, "label", 422)):
        refused = admin.post(URL, json=body)
        assert refused.status_code == status, (body, refused.text)
        assert refused.json()["errors"][0]["field"] == field
    items = admin.get(URL).json()["items"]
    assert [i["code"] for i in items] == ["blocking", "no_permit", "double_parked"]
    entry = server.call(lambda: AuditEntry.filter(action="code_list.add").first())
    assert entry.after["code"] == "double_parked" and entry.after["list"] == "parking.violation"


def test_rename_and_deactivate_are_versioned_and_audited(server):
    admin = server.api_client("admin")
    item = admin.get(URL).json()["items"][0]
    renamed = admin.patch(f"{URL}/blocking", json={"label": "Blocking the gate", "version": item["version"]})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["label"] == "Blocking the gate" and renamed.json()["builtin"] is False
    assert renamed.json()["version"] == item["version"] + 1
    stale = admin.patch(f"{URL}/blocking", json={"active": False, "version": item["version"]})
    assert stale.status_code == 409 and stale.json()["current"]["label"] == "Blocking the gate"
    off = admin.patch(f"{URL}/blocking", json={"active": False, "version": renamed.json()["version"]})
    assert off.status_code == 200 and off.json()["active"] is False
    # Deactivated, never deleted: still listed (old records keep it).
    assert [i["code"] for i in admin.get(URL).json()["items"]] == ["blocking", "no_permit"]
    assert admin.patch(f"{URL}/nothing", json={"active": False, "version": 1}).status_code == 404
    assert admin.patch(f"{URL}/blocking", json={"label": "", "version": 3}).status_code == 422
    assert admin.delete(f"{URL}/blocking").status_code == 405
    actions = server.call(lambda: AuditEntry.filter(action="code_list.change").order_by("id").values_list("after", flat=True))
    assert list(actions) == [{"label": "Blocking the gate", "builtin": False},
                                                  {"active": False}]


def test_another_sites_list_is_404_and_sites_are_apart(server):
    supervisor = server.api_client("supervisor")  # harbour only
    assert supervisor.get("/api/v1/sites/lotus/lists/parking.violation").status_code == 404
    assert supervisor.get("/api/v1/sites/harbour/lists/no.such_list").status_code == 404
    # Reading is for every desk, changing for administrators and managers.
    assert server.api_client("agent").post(URL, json={"code": "x", "label": "x"}).status_code == 403
    admin = server.api_client("admin")
    assert admin.post(URL, json={"code": "harbour_only", "label": "Here"}).status_code == 201
    lotus = admin.get("/api/v1/sites/lotus/lists/parking.violation").json()["items"]
    assert "harbour_only" not in [i["code"] for i in lotus]
    assert admin.post("/api/v1/sites/lotus/lists/parking.violation",
                      json={"code": "harbour_only", "label": "There too"}).status_code == 201


def test_the_page_lists_adds_renames_and_reshows_a_bad_form(server):
    browser = server.sign_in("admin")
    index = browser.get("/sites/harbour/lists")
    assert index.status_code == 200 and "/sites/harbour/lists/parking.violation" in index.text
    page = browser.get("/sites/harbour/lists/parking.violation")
    assert page.status_code == 200 and "Blocking a gate" in page.text
    added = browser.form_post("/sites/harbour/lists/parking.violation", {"code": "fire_lane", "label": "Fire lane"})
    assert added.status_code == 303, added.text
    bad = browser.form_post("/sites/harbour/lists/parking.violation", {"code": "Fire Lane", "label": "x"})
    assert bad.status_code == 422 and "lowercase letter" in bad.text and 'value="Fire Lane"' in bad.text
    taken = browser.form_post("/sites/harbour/lists/parking.violation", {"code": "fire_lane", "label": "x"})
    assert taken.status_code == 409 and "in this list already" in taken.text
    version = server.api_client("admin").get(URL).json()["items"][2]["version"]
    renamed = browser.form_post("/sites/harbour/lists/parking.violation/fire_lane",
                                {"label": "Fire lane blocked", "position": "0", "version": str(version)})
    assert renamed.status_code == 303, renamed.text
    items = server.api_client("admin").get(URL).json()["items"]
    item = next(i for i in items if i["code"] == "fire_lane")
    # The box left unticked deactivates it; position 0 moves it up (ties keep the older first).
    assert (item["label"], item["active"], item["position"]) == ("Fire lane blocked", False, 0)
    assert [i["code"] for i in items] == ["blocking", "fire_lane", "no_permit"]
    stale = browser.form_post("/sites/harbour/lists/parking.violation/fire_lane",
                              {"label": "Again", "active": "yes", "version": str(version)})
    assert stale.status_code == 409
    assert server.sign_in("agent").get("/sites/harbour/lists/parking.violation").status_code == 403


def test_racing_first_reads_store_the_defaults_once(server):
    import asyncio

    from core.entities import code_lists
    from core.entities.models import Site

    async def race():
        site = await Site.get(code="lotus")
        await asyncio.gather(*(code_lists.items(site, LIST) for _ in range(5)))
        return await CodeListItem.filter(site_id=site.id, list_name=LIST.name).count()

    assert server.call(race) == 2


def test_adding_a_code_page_and_api_leave_the_same_footprint(parity):
    footprint = parity.check(
        "admin", api=("POST", "/api/v1/sites/harbour/lists/resident.complaint_cause", {"code": "weather", "label": "Weather"}),
        page=("/sites/harbour/lists/resident.complaint_cause", {"code": "weather", "label": "Weather", "position": ""}))
    assert "code_list.add" in footprint.audit
