"""A site's currency: only real ISO 4217 currencies, and fixed once money is recorded
(amounts are minor units of it, so a new currency would rescale every one)."""

from __future__ import annotations

import pytest

from core.entities import services
from core.entities.models import Site
from core.testing.servers import hidden_csrf


def version_of(server, code: str) -> int:
    return server.call(lambda: Site.get(code=code)).version


def new_site(server, code: str, **fields) -> None:
    """A site with no money yet, where the demo admin is admin (a creator is not a member)."""
    from core.identity.models import Role, User
    from core.identity.services import grant_membership

    async def create():
        site = await services.create_site({"code": code, "name": code.title(), "kind": "retail",
                                           "timezone": "Asia/Taipei", "currency": "TWD", **fields})
        await grant_membership(await User.get(username="admin"), site, await Role.get(name="admin"))

    server.call(create)


@pytest.mark.parametrize(("code", "named"), [
    ("lotus", "cashier shifts and ledger entries"),
    ("harbour", "resident bills and payments"),
    ("sunrise", "insurance applications"),
])
def test_changing_the_currency_where_money_is_recorded_is_409_naming_it(demo_server, code, named):
    admin = demo_server.api_client("admin")
    before = demo_server.call(lambda: Site.get(code=code))
    refused = admin.patch(f"/api/v1/sites/{code}", json={"currency": "JPY", "version": before.version})
    assert refused.status_code == 409
    assert named in refused.json()["detail"] and refused.json()["errors"][0]["field"] == "currency"
    after = demo_server.call(lambda: Site.get(code=code))
    assert (after.currency, after.version) == (before.currency, before.version)


def test_the_same_currency_and_other_fields_still_change_where_money_is_recorded(demo_server):
    admin = demo_server.api_client("admin")
    same = admin.patch("/api/v1/sites/lotus", json={"currency": "twd", "name": "Lotus", "version": version_of(demo_server, "lotus")})
    assert same.status_code == 200 and same.json()["name"] == "Lotus"


def test_a_site_without_money_may_change_its_currency(demo_server):
    admin = demo_server.api_client("admin")
    new_site(demo_server, "plaza")
    changed = admin.patch("/api/v1/sites/plaza", json={"currency": "JPY", "version": version_of(demo_server, "plaza")})
    assert changed.status_code == 200 and changed.json()["currency"] == "JPY"


@pytest.mark.parametrize("currency", ["XXX", "XTS", "XAU", "XDR", "CLF", "BOV", "ADP", "ZZZ"])
def test_only_real_currencies_are_accepted(demo_server, currency):
    admin = demo_server.api_client("admin")
    created = admin.post("/api/v1/sites", json={"code": "plaza", "name": "Plaza", "kind": "retail", "currency": currency})
    assert created.status_code == 422 and created.json()["errors"][0]["field"] == "currency"
    new_site(demo_server, "mall")
    changed = admin.patch("/api/v1/sites/mall", json={"currency": currency, "version": version_of(demo_server, "mall")})
    assert changed.status_code == 422 and changed.json()["errors"][0]["field"] == "currency"
    assert demo_server.call(lambda: Site.get(code="mall")).currency == "TWD"


@pytest.mark.parametrize("currency", ["JPY", "KWD", "EUR", "XOF", "CNY"])
def test_currencies_in_use_are_accepted(demo_server, currency):
    admin = demo_server.api_client("admin")
    created = admin.post("/api/v1/sites", json={"code": "plaza", "name": "Plaza", "kind": "retail", "currency": currency})
    assert created.status_code == 201 and created.json()["currency"] == currency


def test_the_site_page_keeps_the_same_rules(demo_server):
    client = demo_server.sign_in("admin")
    form = {"name": "Lotus Garden Hotel", "kind": "hotel", "timezone": "Asia/Taipei", "currency": "JPY",
            "default_language": "zh_Hant", "version": str(version_of(demo_server, "lotus"))}
    hidden_csrf(client.get("/admin/sites/lotus").text)
    refused = client.form_post("/admin/sites/lotus", form)
    assert refused.status_code == 409 and "cashier shifts and ledger entries" in refused.text
    not_money = client.form_post("/admin/sites/lotus", {**form, "currency": "XXX"})
    assert not_money.status_code == 422 and "Unknown ISO 4217 currency XXX." in not_money.text
    assert demo_server.call(lambda: Site.get(code="lotus")).currency == "TWD"
