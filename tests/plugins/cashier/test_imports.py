"""cashier.price_list on core.imports: dry run, import, money and code errors, round trip."""

import pytest

from core.actors import Actor
from core.audit.models import AuditEntry
from core.entities.models import Site
from core.identity.models import User
from core.identity.services import permissions_at
from core.imports import services as imports
from core.problems import Problem
from plugins.cashier.models import PriceItem

KEY = "cashier.price_list"
#: zh-Hans headers and category words; a price with the currency's two decimals.
SHEET = "代码,名称,类别,价格,应税,启用\nMB-TEA,Tea 茶,迷你吧,45.50,是,是\nSV-IRON,Ironing 熨衣,服务,120,否,否\n"


async def as_user(username, site_code):
    user, site = await User.get(username=username), await Site.get(code=site_code)
    granted = await permissions_at(user, site.id)
    return site, Actor(user, site, granted, permissions_by_site={site.id: granted})


def run(server, data, *, dry_run, username="hotelsup", site="lotus"):
    async def go():
        where, actor = await as_user(username, site)
        return await imports.run_import(server.app.state.host, KEY, where, data, actor=actor, dry_run=dry_run)
    return server.call(go)


def items(server, **filters):
    return server.call(lambda: PriceItem.filter(**filters).order_by("code").values(
        "code", "name", "category", "price", "taxable", "active"))


def test_a_dry_run_writes_nothing_and_the_import_adds_the_items_audited(demo_server):
    assert run(demo_server, SHEET.encode("gb18030"), dry_run=True).errors == []
    assert items(demo_server, code__in=["MB-TEA", "SV-IRON"]) == []
    done = run(demo_server, SHEET.encode(), dry_run=False)
    assert done.created == 2
    assert items(demo_server, code__in=["MB-TEA", "SV-IRON"]) == [
        {"code": "MB-TEA", "name": "Tea 茶", "category": "minibar", "price": 4550, "taxable": True, "active": True},
        {"code": "SV-IRON", "name": "Ironing 熨衣", "category": "service", "price": 12000, "taxable": False,
         "active": False}]
    assert demo_server.call(lambda: AuditEntry.filter(action="cashier.price_item.create", note="import").count()) == 2


def test_prices_codes_and_duplicates_are_reported_by_row_and_column(demo_server):
    bad = ("code,name,price\nMB-TEA,Tea,45.5\nMB-TEA,Tea again,40\nMB-SNACK,Snack,10\nMB-X,X,12.345\n"
           "MB-Y,Y,1e3\nMB-Z,Z,0\nbad code,Q,1\nMB-F,F,-5\n")
    report = run(demo_server, bad.encode(), dry_run=True)
    found = {(e["row"], e["column"]): e["message"] for e in report.errors}
    assert set(found) == {(3, "code"), (4, "code"), (5, "price"), (6, "price"), (7, "price"), (8, "code"),
                          (9, "price")}
    assert "row 2" in found[(3, "code")] and "already" in found[(4, "code")]
    assert "decimals" in found[(5, "price")]
    with pytest.raises(Problem) as refused:
        run(demo_server, "code,name,price\nMB-TEA,Tea,45.5\nMB-SNACK,Snack,10\n".encode(), dry_run=False)
    assert refused.value.status == 422
    assert items(demo_server, code="MB-TEA") == []


def test_a_cashier_may_not_import_the_price_list(demo_server):
    with pytest.raises(Problem):
        run(demo_server, SHEET.encode(), dry_run=True, username="cashier")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_exported_price_list_imports_into_an_empty_site_as_it_was(demo_server, file_format):
    host = demo_server.app.state.host

    async def round_trip():
        lotus, actor = await as_user("hotelsup", "lotus")
        data, _name = await imports.export_file(host, KEY, lotus, file_format, actor=actor)
        empty = await Site.create(code=f"shop{file_format}", name="New shop", kind="hotel")
        done = await imports.run_import(host, KEY, empty, data, actor=Actor(None, empty), dry_run=False)
        return done, lotus.id, empty.id

    done, lotus_id, empty_id = demo_server.call(round_trip)
    assert done.created == len(items(demo_server, site_id=lotus_id)) >= 5
    assert items(demo_server, site_id=empty_id) == items(demo_server, site_id=lotus_id)


def test_a_bad_price_and_a_code_twice_on_one_row_are_both_reported(demo_server):
    report = run(demo_server, b"code,name,price,category\nDUP-1,Water,30,minibar\nDUP-1,Tea,3.999,castle\n",
                 dry_run=True)
    assert {(e["row"], e["column"]) for e in report.errors} == {(3, "code"), (3, "price"), (3, "category")}
