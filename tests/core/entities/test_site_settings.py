"""Site settings an administrator changes (issue 17): every group the plugins declare,
through the API, the page and the CLI; validated, versioned, audited, all or nothing."""

from __future__ import annotations

import pytest
from pydantic import Field

from core.audit.models import AuditEntry
from core.entities.models import Site
from core.identity import services as identity
from core.identity.models import Role
from core.testing.servers import hidden_csrf

PASSWORD = "a-long-enough-password"


def url(code: str) -> str:
    return f"/api/v1/sites/{code}/settings"


def stored(server, code: str) -> tuple[int, dict]:
    site = server.call(lambda: Site.get(code=code))
    return site.version, site.settings


def current(client, code: str) -> dict:
    response = client.get(url(code))
    assert response.status_code == 200, response.text
    return response.json()


def setting(body: dict, group: str, key: str) -> dict:
    found = next(item for item in body["groups"] if item["group"] == group)
    return next(item for item in found["settings"] if item["key"] == key)


def test_every_group_is_listed_with_value_default_type_and_help(demo_server):
    body = current(demo_server.api_client("admin"), "lotus")
    assert body["groups"][0]["group"] == "core"
    assert {group["group"] for group in body["groups"]} >= {"core", "resident", "hotel", "insurance_calls", "cashier"}
    limit = setting(body, "cashier", "refund_approval_limit")
    assert limit | {"help": ""} == {"key": "refund_approval_limit", "label": "Refund approval limit", "help": "",
                                    "type": "money", "minimum": None, "maximum": None, "value": "3000",
                                    "default": "3000"}
    assert limit["help"]
    hour = setting(body, "hotel", "night_audit_hour")
    assert (hour["type"], hour["minimum"], hour["maximum"], hour["value"]) == ("integer", 0, 23, 3)
    assert setting(body, "core", "business_hours")["default"]["mon"] == ["09:00", "18:00"]
    assert setting(body, "core", "business_hours")["default"]["sat"] is None
    assert body["version"] == stored(demo_server, "lotus")[0]
    cashier = next(group for group in body["groups"] if group["group"] == "cashier")
    assert "refund_approval_limit" in cashier["json_schema"]["properties"]


@pytest.mark.parametrize(("group", "key", "value", "shown", "where"), [
    ("core", "holidays", ["2026-12-25", "2027-01-01"], ["2026-12-25", "2027-01-01"], ("holidays",)),
    ("core", "business_hours", {"mon": ["08:00", "12:00"], "sat": "10:00-14:00"},
     {"mon": ["08:00", "12:00"], "tue": None, "wed": None, "thu": None, "fri": None, "sat": ["10:00", "14:00"],
      "sun": None}, ("business_hours",)),
    ("hotel", "inspection_required", True, True, ("hotel", "inspection_required")),
    ("hotel", "night_audit_hour", 5, 5, ("hotel", "night_audit_hour")),
    ("cashier", "refund_approval_limit", "5000", "5000", ("cashier", "refund_approval_limit")),
    ("cashier", "denominations", {"TWD": ["2000", "1000", "100"]}, {"TWD": ["2000", "1000", "100"]},
     ("cashier", "denominations")),
    ("insurance_calls", "targets", {"satisfaction_rate": 95},
     {"on_time_reply_rate": 99.0, "standard_handling_rate": 98.0, "satisfaction_rate": 95.0},
     ("insurance_calls", "targets")),
    ("resident", "reply_minutes", {"repair": 120},
     {"complaint": 1440, "repair": 120, "inquiry": 240, "suggestion": 2880}, ("resident", "reply_minutes")),
    ("resident", "max_reopens", 4, 4, ("resident", "max_reopens")),
    ("resident", "renovation_deposit", "20000", "20000", ("resident", "renovation_deposit")),
])
def test_round_trip_per_group(demo_server, group, key, value, shown, where):
    admin = demo_server.api_client("admin")
    version = current(admin, "harbour")["version"]
    changed = admin.patch(url("harbour"), json={"version": version, "values": {group: {key: value}}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == version + 1
    assert setting(changed.json(), group, key)["value"] == shown
    assert setting(current(admin, "harbour"), group, key)["value"] == shown
    data = stored(demo_server, "harbour")[1]
    for part in where:
        data = data[part]
    assert data == shown


BAD = [
    ({"hotel": {"night_audit_hour": 24}}, "hotel.night_audit_hour", "at most 23"),
    ({"hotel": {"night_audit_hour": -1}}, "hotel.night_audit_hour", "at least 0"),
    ({"hotel": {"night_audit_hour": "three"}}, "hotel.night_audit_hour", "whole number"),
    ({"hotel": {"inspection_required": "maybe"}}, "hotel.inspection_required", "yes or no"),
    ({"cashier": {"refund_approval_limit": 5000.5}}, "cashier.refund_approval_limit", "as text"),
    ({"cashier": {"refund_approval_limit": "12,000"}}, "cashier.refund_approval_limit", "amount"),
    ({"cashier": {"refund_approval_limit": "-5"}}, "cashier.refund_approval_limit", ""),
    ({"cashier": {"denominations": {"TWD": ["abc"]}}}, "cashier.denominations.TWD", "abc"),
    ({"cashier": {"denominations": {"XYZ": ["1"]}}}, "cashier.denominations.XYZ", "XYZ"),
    ({"cashier": {"no_such_key": 1}}, "cashier.no_such_key", "Unknown setting"),
    ({"no_such_group": {"a": 1}}, "no_such_group", "no_such_group"),
    ({"resident": {"reply_minutes": {"repair": 0}}}, "resident.reply_minutes.repair", "at least 1"),
    ({"resident": {"reply_minutes": {"parking": 5}}}, "resident.reply_minutes.parking", "Unknown setting"),
    ({"resident": {"targets": {"satisfaction_rate": "1.5"}}}, "resident.targets.satisfaction_rate", "at most 1"),
    ({"insurance_calls": {"targets": {"satisfaction_rate": 101}}}, "insurance_calls.targets.satisfaction_rate",
     "at most 100"),
    ({"core": {"business_hours": {"mon": "18:00-09:00"}}}, "core.business_hours.mon", "before the closing"),
    ({"core": {"business_hours": {"mon": "9am-5pm"}}}, "core.business_hours.mon.0", "wrong form"),
    ({"core": {"business_hours": {}}}, "core.business_hours", "at least one day"),
    ({"core": {"holidays": ["25/12/2026"]}}, "core.holidays.0", "date"),
    ({"hotel": "yes"}, "hotel", "object"),
]


@pytest.mark.parametrize(("values", "field", "message"), BAD)
def test_bad_values_are_422_naming_the_key_and_change_nothing(demo_server, values, field, message):
    admin = demo_server.api_client("admin")
    before = stored(demo_server, "lotus")
    refused = admin.patch(url("lotus"), json={"version": before[0], "values": values})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == field
    assert message in refused.json()["errors"][0]["message"], refused.json()
    assert stored(demo_server, "lotus") == before


def test_one_bad_key_writes_none_of_the_good_ones(demo_server):
    admin = demo_server.api_client("admin")
    before = stored(demo_server, "lotus")
    refused = admin.patch(url("lotus"), json={"version": before[0], "values": {
        "hotel": {"inspection_required": True}, "cashier": {"refund_approval_limit": "5000", "oops": 1}}})
    assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["cashier.oops"]
    assert stored(demo_server, "lotus") == before
    assert admin.patch(url("lotus"), json={"version": before[0], "values": {}}).status_code == 422
    assert admin.patch(url("lotus"), json={"values": {"hotel": {}}}).status_code == 422  # no version


def test_a_stale_version_is_409_with_the_settings_now(demo_server):
    admin = demo_server.api_client("admin")
    version = current(admin, "lotus")["version"]
    first = admin.patch(url("lotus"), json={"version": version, "values": {"hotel": {"night_audit_hour": 4}}})
    assert first.status_code == 200
    stale = admin.patch(url("lotus"), json={"version": version, "values": {"hotel": {"night_audit_hour": 6}}})
    assert stale.status_code == 409
    assert stale.json()["current"]["version"] == version + 1
    assert setting(current(admin, "lotus"), "hotel", "night_audit_hour")["value"] == 4


def test_the_audit_entry_holds_the_changed_keys_only(demo_server):
    admin = demo_server.api_client("admin")
    version = current(admin, "lotus")["version"]
    admin.patch(url("lotus"), json={"version": version, "values": {
        "hotel": {"inspection_required": True, "night_audit_hour": 3}, "cashier": {"refund_approval_limit": "4500"}}})

    async def last():
        site = await Site.get(code="lotus")
        return await AuditEntry.filter(action="site.settings.update", site_id=site.id).order_by("-id").first()

    entry = demo_server.call(last)
    assert entry.before == {"hotel.inspection_required": False, "cashier.refund_approval_limit": "3000"}
    assert entry.after == {"hotel.inspection_required": True, "cashier.refund_approval_limit": "4500"}
    assert entry.object_type == "site" and entry.actor_id is not None
    # Nothing differs: no new version and no entry.
    same = admin.patch(url("lotus"), json={"version": version + 1, "values": {"hotel": {"night_audit_hour": 3}}})
    assert same.status_code == 200 and same.json()["version"] == version + 1
    assert demo_server.call(last).id == entry.id


async def _harbour_people() -> None:
    harbour = await Site.get(code="harbour")
    for username, role in (("harbour_admin", "admin"), ("harbour_agent", "agent")):
        user = await identity.create_user(username, PASSWORD)
        await identity.grant_membership(user, harbour, await Role.get(name=role))


def test_a_one_site_admin_cannot_read_or_change_another_sites_settings(demo_server):
    demo_server.call(_harbour_people)
    admin = demo_server.api_client("harbour_admin", PASSWORD)
    before = stored(demo_server, "lotus")
    assert admin.get(url("lotus")).status_code == 404
    assert admin.patch(url("lotus"), json={"version": before[0], "values": {"hotel": {"night_audit_hour": 5}}}
                       ).status_code == 404
    assert stored(demo_server, "lotus") == before
    assert admin.get(url("harbour")).status_code == 200
    browser = demo_server.sign_in("harbour_admin", PASSWORD)
    assert browser.get("/sites/lotus/settings").status_code == 404
    assert browser.form_post("/sites/lotus/settings/hotel", {"hotel.night_audit_hour": "5",
                                                             "version": str(before[0])}).status_code == 404
    assert stored(demo_server, "lotus") == before
    # A member without core.site.manage: 403.
    agent = demo_server.api_client("harbour_agent", PASSWORD)
    assert agent.get(url("harbour")).status_code == 403
    assert demo_server.api_client("manager").get(url("harbour")).status_code == 403


#: The rest of the hotel group's form, as the browser sends it (every field, at its default).
HOTEL_FORM_REST = {"hotel.stocktake_recount_units": "2", "hotel.stocktake_recount_percent": "10"}


def test_the_page_shows_a_form_per_group_and_saves(demo_server):
    browser = demo_server.sign_in("admin")
    page = browser.get("/sites/lotus/settings")
    assert page.status_code == 200
    for group in ("core", "hotel", "cashier", "resident", "insurance_calls"):
        assert f'action="/sites/lotus/settings/{group}"' in page.text
    assert 'name="hotel.night_audit_hour" type="number" step="1" min="0" max="23"' in page.text
    assert 'type="checkbox" name="hotel.inspection_required"' in page.text
    assert "Refund approval limit" in page.text and "Site settings" in page.text  # the menu entry
    version = str(stored(demo_server, "lotus")[0])
    saved = browser.form_post("/sites/lotus/settings/hotel", {
        "hotel.inspection_required": "on", "hotel.night_audit_hour": "4", **HOTEL_FORM_REST, "version": version})
    assert saved.status_code == 303 and saved.headers["location"].startswith("/sites/lotus/settings?saved=hotel")
    assert stored(demo_server, "lotus")[1]["hotel"] == {"inspection_required": True,
                                                        "hygiene_required_for_departure": False,
                                                        "night_audit_hour": 4, "stocktake_recount_units": 2,
                                                        "stocktake_recount_percent": 10}
    hours = browser.form_post("/sites/lotus/settings/core", {
        **{f"core.business_hours.{day}": "08:30-17:30" for day in ("mon", "tue", "wed", "thu", "fri")},
        "core.business_hours.sat": "", "core.business_hours.sun": "", "core.holidays": "2026-12-25, 2027-01-01",
        "version": str(int(version) + 1)})
    assert hours.status_code == 303
    settings = stored(demo_server, "lotus")[1]
    assert settings["business_hours"]["mon"] == ["08:30", "17:30"] and settings["business_hours"]["sat"] is None
    assert settings["holidays"] == ["2026-12-25", "2027-01-01"]
    shown = browser.get("/sites/lotus/settings").text
    assert 'value="08:30, 17:30"' in shown and 'value="2026-12-25, 2027-01-01"' in shown


def test_the_page_reshows_the_form_with_the_message_beside_the_field(demo_server):
    browser = demo_server.sign_in("admin")
    before = stored(demo_server, "lotus")
    html = browser.get("/sites/lotus/settings").text
    hidden_csrf(html)
    refused = browser.form_post("/sites/lotus/settings/cashier", {
        "cashier.refund_approval_limit": "lots", "cashier.denominations": "{}", "version": str(before[0])})
    assert refused.status_code == 422
    assert 'id="cashier.refund_approval_limit-error"' in refused.text and 'value="lots"' in refused.text
    bad_hours = browser.form_post("/sites/lotus/settings/core", {
        "core.business_hours.mon": "18:00-09:00", "core.holidays": "someday", "version": str(before[0])})
    assert bad_hours.status_code == 422
    assert 'id="core.business_hours.mon-error"' in bad_hours.text and 'id="core.holidays-error"' in bad_hours.text
    bad_json = browser.form_post("/sites/lotus/settings/cashier", {
        "cashier.refund_approval_limit": "100", "cashier.denominations": "{not json", "version": str(before[0])})
    assert bad_json.status_code == 422 and 'id="cashier.denominations-error"' in bad_json.text
    assert stored(demo_server, "lotus") == before
    stale = browser.form_post("/sites/lotus/settings/hotel", {"hotel.night_audit_hour": "4", **HOTEL_FORM_REST,
                                                              "version": str(before[0] - 1)})
    assert stale.status_code == 409 and "Someone else changed this site" in stale.text
    assert stored(demo_server, "lotus") == before


def test_page_and_api_leave_the_same_footprint(parity):
    def prepare(server) -> int:
        return server.call(lambda: Site.get(code="lotus")).version

    footprint = parity.check(
        "admin", prepare=prepare,
        api=lambda version: ("PATCH", url("lotus"), {"version": version,
                                                     "values": {"hotel": {"night_audit_hour": 5}}}),
        page=lambda version: ("/sites/lotus/settings/hotel", {"hotel.night_audit_hour": "5", **HOTEL_FORM_REST,
                                                              "version": str(version)}))
    assert footprint.audit == ["site.settings.update"]


def test_a_changed_refund_limit_changes_which_refunds_wait(demo_server):
    from tests.plugins.cashier.conftest import key, open_shift, post

    admin = demo_server.api_client("admin")
    sup = demo_server.api_client("hotelsup")
    cashier = demo_server.api_client("cashier")
    register = sup.post("/api/v1/sites/lotus/cashier/registers", json={"name": "Settings till"}).json()
    shift = open_shift(cashier, register, {"1000": 10})
    assert post(cashier, shift, kind="refund", amount="4000").json()["needs_approval"] is True
    version = current(admin, "lotus")["version"]
    assert admin.patch(url("lotus"), json={"version": version, "values": {
        "cashier": {"refund_approval_limit": "5000"}}}).status_code == 200
    assert post(cashier, shift, kind="refund", amount="4000", headers=key()).json()["needs_approval"] is False
    assert post(cashier, shift, kind="refund", amount="5000.01").json()["needs_approval"] is True


def test_changed_denominations_and_targets_reach_the_desks(demo_server):
    admin = demo_server.api_client("admin")
    version = current(admin, "lotus")["version"]
    assert admin.patch(url("lotus"), json={"version": version, "values": {
        "cashier": {"denominations": {"TWD": ["2000", "1000", "500", "1"]}}}}).status_code == 200
    assert demo_server.api_client("cashier").get("/api/v1/sites/lotus/cashier/denominations").json() == \
        ["2000", "1000", "500", "1"]

    from plugins.hotel.services import settings_of
    from plugins.insurance_calls.kpis import targets

    version = current(admin, "sunrise")["version"]
    assert admin.patch(url("sunrise"), json={"version": version, "values": {
        "insurance_calls": {"targets": {"on_time_reply_rate": 90}}, "hotel": {"inspection_required": True}}}
    ).status_code == 200
    sunrise = demo_server.call(lambda: Site.get(code="sunrise"))
    assert targets(sunrise)["on_time_reply_rate"] == 90.0 and settings_of(sunrise)["inspection_required"] is True


def test_a_stored_value_that_no_longer_fits_reads_as_its_default(demo_server):
    async def spoil():
        site = await Site.get(code="lotus")
        site.settings = {**site.settings, "cashier": {"refund_approval_limit": 12.5},
                         "hotel": {"night_audit_hour": 99, "inspection_required": True}}
        await site.save(update_fields=["settings"])

    demo_server.call(spoil)
    body = current(demo_server.api_client("admin"), "lotus")
    assert setting(body, "cashier", "refund_approval_limit")["value"] == "3000"
    assert setting(body, "hotel", "night_audit_hour")["value"] == 3
    assert setting(body, "hotel", "inspection_required")["value"] is True


def test_hook_register_site_settings(make_demo_app):
    from core.i18n import N_
    from core.site_settings import SettingGroup, SettingsModel, value
    from tests.core.test_hooks import plugin

    class ParkingSettings(SettingsModel):
        spaces: int = Field(40, ge=1, le=500, title=N_("Spaces"))

    group = SettingGroup("parking", N_("Parking"), ParkingSettings)
    server = make_demo_app(extra_plugins=[plugin("parking_settings", register_site_settings=lambda: [group])])
    admin = server.api_client("admin")
    body = current(admin, "harbour")
    assert setting(body, "parking", "spaces")["value"] == 40
    assert admin.patch(url("harbour"), json={"version": body["version"], "values": {"parking": {"spaces": 0}}}
                       ).json()["errors"][0]["field"] == "parking.spaces"
    assert admin.patch(url("harbour"), json={"version": body["version"], "values": {"parking": {"spaces": 60}}}
                       ).status_code == 200
    assert value(server.call(lambda: Site.get(code="harbour")), group, "spaces") == 60
    assert "parking.spaces" in server.sign_in("admin").get("/sites/harbour/settings").text


def test_the_sites_default_language_when_the_browser_names_none(demo_server):
    """Tests run with the server's default language English."""
    silent = demo_server.sign_in("manager", headers={"Accept-Language": ""})
    # sunrise (zh_Hans), lotus (zh_Hant): each site's pages and API in its own language.
    assert silent.get("/sites/sunrise/units").headers["content-language"] == "zh-Hans"
    assert silent.get("/sites/lotus/units").headers["content-language"] == "zh-Hant"
    assert silent.get("/api/v1/sites/sunrise/units").headers["content-language"] == "zh-Hans"
    # Outside a site, the server's default.
    assert silent.get("/sites").headers["content-language"] == "en"
    # A changed default language applies.
    admin = demo_server.api_client("admin")
    version = demo_server.call(lambda: Site.get(code="harbour")).version
    assert admin.patch("/api/v1/sites/harbour", json={"default_language": "zh_Hans", "version": version}
                       ).status_code == 200
    assert silent.get("/sites/harbour/units").headers["content-language"] == "zh-Hans"
    # The browser's own language still wins.
    english = demo_server.sign_in("manager", headers={"Accept-Language": "en"})
    assert english.get("/sites/sunrise/units").headers["content-language"] == "en"
    # Not a member: no site language (nor a hint that the site exists).
    demo_server.call(_harbour_people)
    outsider = demo_server.sign_in("harbour_admin", PASSWORD, headers={"Accept-Language": ""})
    assert outsider.get("/sites/sunrise/units").headers["content-language"] == "en"
    assert outsider.get("/sites/harbour/units").headers["content-language"] == "zh-Hans"


def test_the_cli_prints_and_changes_settings_through_the_same_rules(database_url):
    from tests.core.test_cli import run

    assert run(database_url, "site", "create", "riverside", "--name", "Riverside", "--kind", "hotel").returncode == 0
    shown = run(database_url, "site", "settings", "riverside")
    assert shown.returncode == 0, shown.stderr
    assert "cashier.refund_approval_limit = 3000" in shown.stdout
    assert "hotel.inspection_required = false" in shown.stdout
    changed = run(database_url, "site", "settings", "riverside", "--set", "cashier.refund_approval_limit=4500",
                  "--set", "core.business_hours.sat=10:00-14:00", "--set", "hotel.inspection_required=true")
    assert changed.returncode == 0, changed.stderr
    assert "cashier.refund_approval_limit = 4500" in changed.stdout
    assert "hotel.inspection_required = true" in changed.stdout
    assert '"sat": ["10:00", "14:00"]' in changed.stdout and '"mon": ["09:00", "18:00"]' in changed.stdout
    for args, named in [(("--set", "hotel.night_audit_hour=24"), "hotel.night_audit_hour"),
                        (("--set", "hotel.night_audit_hour=5", "--set", "nope.key=1"), "nope.key"),
                        (("--set", "cashier.refund_approval_limit=1.234"), "cashier.refund_approval_limit"),
                        (("--set", "cashier.denominations={bad"), "cashier.denominations"),
                        (("--set", "hotel.inspection_required"), "GROUP.KEY=VALUE")]:
        refused = run(database_url, "site", "settings", "riverside", *args)
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
        assert named in refused.stderr and refused.stderr.strip().count("\n") == 0, refused.stderr
    assert "hotel.night_audit_hour = 3" in run(database_url, "site", "settings", "riverside").stdout
    missing = run(database_url, "site", "settings", "nowhere")
    assert missing.returncode != 0 and "no site 'nowhere'" in missing.stderr
