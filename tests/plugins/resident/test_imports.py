"""resident.households and resident.fee_balances on core.imports: dry run, import, errors
by row and column, round trip, and opening balances that behave as bills."""

import pytest

from core.actors import Actor
from core.audit.models import AuditEntry
from core.entities.models import Site, Unit
from core.identity.models import User
from core.identity.services import permissions_at
from core.imports import services as imports
from core.problems import Problem
from plugins.resident import fees
from plugins.resident.models import Bill, Household, Member


async def as_user(username, site_code="harbour"):
    user, site = await User.get(username=username), await Site.get(code=site_code)
    granted = await permissions_at(user, site.id)
    return site, Actor(user, site, granted, permissions_by_site={site.id: granted})


def run(server, key, data, *, dry_run, username="manager"):
    async def go():
        site, actor = await as_user(username)
        return await imports.run_import(server.app.state.host, key, site, data, actor=actor, dry_run=dry_run)
    return server.call(go)


def free_units(server, count=3):
    """Codes of harbour units without a household or a bill."""
    async def load():
        site = await Site.get(code="harbour")
        taken = set(await Household.filter(site_id=site.id).values_list("unit_id", flat=True))
        taken |= set(await Bill.filter(site_id=site.id).values_list("unit_id", flat=True))
        units = await Unit.filter(site_id=site.id).order_by("code").values_list("id", "code")
        return [code for unit_id, code in units if unit_id not in taken][:count]
    return server.call(load)


async def copy_of_harbour_units(code):
    """An empty site with harbour's unit codes and kinds (what the households and
    balances of harbour refer to)."""
    harbour = await Site.get(code="harbour")
    empty = await Site.create(code=code, name="New estate", kind="residential", currency=harbour.currency)
    await Unit.bulk_create([Unit(site_id=empty.id, code=unit["code"], kind=unit["kind"])
                            for unit in await Unit.filter(site_id=harbour.id).values("code", "kind")])
    return harbour, empty


def seed_households(server):
    """Three households (one with two members and phones) imported at harbour."""
    a, b, c = free_units(server, 3)
    sheet = (f"unit_code,name,relation,phone,important,area\n{a},Chen,owner,0911222333,yes,70\n{a},Chen Jr,family,,,\n"
             f"{b},Lin,tenant,+886 912 000 111,,55.25\n{c},Wu,owner,,,\n")
    assert run(server, "resident.households", sheet.encode(), dry_run=False).created == 3
    return a, b, c


def seed_balances(server):
    """Opening balances of two units at harbour."""
    a, b = free_units(server, 2)
    sheet = f"unit_code,period,amount,due_date\n{a},2020-01,1200.50,2020-01-20\n{a},2020-02,99,\n{b},2020-01,980,\n"
    assert run(server, "resident.fee_balances", sheet.encode(), dry_run=False).created == 3
    return a, b


def round_trip(server, key, file_format):
    host = server.app.state.host

    async def go():
        harbour, empty = await copy_of_harbour_units(f"copy{file_format}")
        data, _name = await imports.export_file(host, key, harbour, file_format, actor=Actor(None, harbour))
        done = await imports.run_import(host, key, empty, data, actor=Actor(None, empty), dry_run=False)
        _i, _h, first = await imports.export_rows(host, key, harbour, actor=Actor(None, harbour))
        _i, _h, second = await imports.export_rows(host, key, empty, actor=Actor(None, empty))
        return done, first, second

    return server.call(go)


# --- households -------------------------------------------------------------------------------


def test_households_dry_run_then_import_with_chinese_headers(demo_server):
    first, second = free_units(demo_server, 2)
    sheet = (f"单位编号,姓名,关系,电话,重要业主,面积\n{first},陳大文,业主,0912-345-678,是,85.5\n"
             f"{first},陳小文,家属,,,\n{second},林美玲,租户,,否,\n")
    before = demo_server.call(lambda: Household.all().count())
    dry = run(demo_server, "resident.households", sheet.encode("gb18030"), dry_run=True)
    assert dry.errors == [] and dry.rows == 3 and demo_server.call(lambda: Household.all().count()) == before
    done = run(demo_server, "resident.households", sheet.encode(), dry_run=False)
    assert done.created == 2

    async def stored():
        household = await Household.get(unit__code=first, site__code="harbour")
        members = await Member.filter(household_id=household.id).order_by("id").values_list("name", "relation", "phone")
        audited = await AuditEntry.filter(action="resident.household.create", object_id=str(household.id)).first()
        return household, members, audited

    household, members, audited = demo_server.call(stored)
    assert household.important and str(household.area) == "85.50"
    assert members == [("陳大文", "owner", "0912345678"), ("陳小文", "family", "")]
    assert audited.after["member_names"] == ["陳大文", "陳小文"] and audited.note == "import"


def test_household_rows_errors_by_row_and_column(demo_server):
    taken, _b, _c = seed_households(demo_server)
    free, = free_units(demo_server, 1)
    sheet = (f"unit_code,name,relation,phone,important,area\n{free},Chen,owner,,,\nZ-9999,Nobody,owner,,,\n"
             f"{taken},Again,tenant,,,\n{free},,cousin,abc,maybe,x\n")
    report = run(demo_server, "resident.households", sheet.encode(), dry_run=True)
    assert {(e["row"], e["column"]) for e in report.errors} == {
        (3, "unit_code"), (4, "unit_code"), (5, "name"), (5, "relation"), (5, "phone"), (5, "important"), (5, "area")}
    assert next(e["message"] for e in report.errors if e["row"] == 3) == "No unit with this code here."
    with pytest.raises(Problem):
        run(demo_server, "resident.households", sheet.encode(), dry_run=False)
    assert not demo_server.call(lambda: Household.filter(unit__code=free, site__code="harbour").exists())


def test_a_household_has_at_most_thirty_members(demo_server):
    free, = free_units(demo_server, 1)
    sheet = "unit_code,name,relation\n" + "".join(f"{free},Person {n},family\n" for n in range(31))
    report = run(demo_server, "resident.households", sheet.encode(), dry_run=True)
    assert [(e["row"], e["column"]) for e in report.errors] == [(32, "name")]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_exported_households_import_into_an_empty_site_as_they_were(demo_server, file_format):
    seed_households(demo_server)
    done, first, second = round_trip(demo_server, "resident.households", file_format)
    assert first and second == first
    assert done.created == len({row[0] for row in first})


def test_the_export_masks_phones_for_whoever_may_not_see_them(demo_server):
    seed_households(demo_server)
    host = demo_server.app.state.host

    async def export(permissions):
        site = await Site.get(code="harbour")
        actor = Actor(await User.get(username="manager"), site, frozenset(permissions),
                      permissions_by_site={site.id: frozenset(permissions)})
        return (await imports.export_rows(host, "resident.households", site, actor=actor))[2]

    allowed = demo_server.call(export, {"resident.household.edit", "core.party.personal_data"})
    masked = demo_server.call(export, {"resident.household.edit"})
    phone_at = 3
    shown = [row[phone_at] for row in allowed if row[phone_at]]
    assert shown and "*" not in "".join(shown)
    assert all("*" in row[phone_at] for row in masked if row[phone_at])


# --- opening balances of property fees ----------------------------------------------------------


def test_opening_balances_become_unpaid_bills_that_arrears_and_receipts_treat_as_any_other(demo_server):
    first, second = free_units(demo_server, 2)
    sheet = f"單位編號,期間,欠款,到期日\n{first},2020-01,1200.50,2020-01-20\n{first},2020-02,1200.50,\n{second},2020-01,980,\n"
    dry = run(demo_server, "resident.fee_balances", sheet.encode("cp950"), dry_run=True)
    assert dry.errors == [] and dry.encoding == "big5"
    assert not demo_server.call(lambda: Bill.filter(unit__code=first, period="2020-01").exists())
    assert run(demo_server, "resident.fee_balances", sheet.encode(), dry_run=False).created == 3

    async def pay_one():
        site, actor = await as_user("manager")
        bills = await Bill.filter(site_id=site.id, unit__code=first).order_by("period")
        payment = await fees.pay(site, bills[0], "200.50", "cash", actor)
        await bills[0].refresh_from_db()
        return bills, payment, bills[0]

    bills, payment, paid = demo_server.call(pay_one)
    assert [(b.period, b.amount_minor, b.due_date.isoformat()) for b in bills] == [
        ("2020-01", 120050, "2020-01-20"), ("2020-02", 120050, bills[1].due_date.isoformat())]
    assert bills[1].due_date.strftime("%Y-%m") == "2020-02"
    assert payment.receipt.number and paid.outstanding_minor == 100000
    arrears = demo_server.api_client("manager").get("/api/v1/sites/harbour/resident/arrears").json()
    owed = {(item["unit_code"], item["period"]) for item in arrears["items"]}
    assert {(first, "2020-01"), (first, "2020-02"), (second, "2020-01")} <= owed
    assert demo_server.call(lambda: AuditEntry.filter(action="resident.bill.opening_balance").count()) == 3


def test_balance_rows_errors_by_row_and_column(demo_server):
    seeded, _b = seed_balances(demo_server)
    billed = {"unit__code": seeded, "period": "2020-01"}
    free, = free_units(demo_server, 1)
    sheet = (f"unit_code,period,amount\n{free},2020-03,100\n{free},2020-03,100\nZ-9999,2020-03,100\n"
             f"{billed['unit__code']},{billed['period']},100\n{free},2020-13,100\n{free},2999-01,100\n"
             f"{free},2020-05,12.345\n{free},2020-06,0\n{free},2020-07,-3\n")
    report = run(demo_server, "resident.fee_balances", sheet.encode(), dry_run=True)
    assert {(e["row"], e["column"]) for e in report.errors} == {
        (3, "period"), (4, "unit_code"), (5, "period"), (6, "period"), (7, "period"), (8, "amount"), (9, "amount"),
        (10, "amount")}
    messages = {e["row"]: e["message"] for e in report.errors}
    assert "row 2" in messages[3] and "already" in messages[5] and "YYYY-MM" in messages[6]
    with pytest.raises(Problem):
        run(demo_server, "resident.fee_balances", f"unit_code,period,amount\n{free},2020-03,100\n"
            f"{billed['unit__code']},{billed['period']},100\n".encode(), dry_run=False)
    assert not demo_server.call(lambda: Bill.filter(unit__code=free, site__code="harbour").exists())


def test_a_desk_agent_may_not_import_balances(demo_server):
    with pytest.raises(Problem):
        run(demo_server, "resident.fee_balances", b"unit_code,period,amount\nA-0101,2020-01,1\n", dry_run=True,
            username="agent")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_exported_balances_import_into_an_empty_site_as_they_were(demo_server, file_format):
    seed_balances(demo_server)
    done, first, second = round_trip(demo_server, "resident.fee_balances", file_format)
    assert first and second == first and done.created == len(first)


# --- the property-fee price list ------------------------------------------------------------------


def test_fee_schedules_import_with_chinese_kind_words_and_bill_from_them(demo_server):
    from plugins.resident.models import FeeSchedule

    taken = set(demo_server.call(lambda: FeeSchedule.filter(site__code="harbour").values_list("unit_kind", flat=True)))
    kinds = [kind for kind in ("shop", "parking", "office", "storage") if kind not in taken][:2]
    words = {"shop": "店面", "parking": "車位", "office": "辦公室", "storage": "儲藏室"}
    sheet = f"單位類別,固定費,每平方米單價,繳費日\n{words[kinds[0]]},1500,,10\n{kinds[1]},0,35.50,\n"
    report = run(demo_server, "resident.fee_schedules", sheet.encode("cp950"), dry_run=True)
    assert report.errors == [], report.errors
    assert run(demo_server, "resident.fee_schedules", sheet.encode(), dry_run=False).created == 2
    stored = demo_server.call(lambda: FeeSchedule.filter(site__code="harbour", unit_kind__in=kinds)
                              .order_by("unit_kind").values_list("unit_kind", "fixed_minor", "per_sqm_minor", "due_day"))
    assert sorted(stored) == sorted([(kinds[0], 150000, 0, 10), (kinds[1], 0, 3550, 15)])
    again = run(demo_server, "resident.fee_schedules", sheet.encode(), dry_run=True)
    assert {(e["row"], e["column"]) for e in again.errors} == {(2, "單位類別"), (3, "單位類別")}


def test_fee_schedule_rows_errors_by_row_and_column(demo_server):
    assert run(demo_server, "resident.fee_schedules", b"unit_kind,fixed\nparking,100\n", dry_run=False).created == 1
    sheet = ("unit_kind,fixed,per_sqm,due_day\ncommon_area,100,,\ncommon_area,200,,\ncastle,1,,\nother,0,0,\n"
             "office,1.234,,\nstorage,5,,31\nparking,1,,\n")
    report = run(demo_server, "resident.fee_schedules", sheet.encode(), dry_run=True)
    assert {(e["row"], e["column"]) for e in report.errors} == {
        (3, "unit_kind"), (4, "unit_kind"), (5, "fixed"), (6, "fixed"), (7, "due_day"), (8, "unit_kind")}
    messages = {e["row"]: e["message"] for e in report.errors}
    assert "row 2" in messages[3] and "already" in messages[8] and "m²" in messages[5]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_exported_fee_price_list_imports_into_an_empty_site_as_it_was(demo_server, file_format):
    run(demo_server, "resident.fee_schedules", b"unit_kind,fixed,per_sqm,due_day\nstorage,300,,5\nshop,1200,12.50,20\n",
        dry_run=False)
    done, first, second = round_trip(demo_server, "resident.fee_schedules", file_format)
    assert first and second == first and done.created == len(first)


def test_the_households_upload_form_takes_big5_and_xlsx_files(demo_server):
    from core.exports import xlsx_bytes

    first, second = free_units(demo_server, 2)
    manager = demo_server.sign_in("manager")
    url = "/sites/harbour/resident/households/import"
    big5 = f"單位編號,姓名,關係\n{first},陳大文,業主\n".encode("cp950")
    done = manager.post(url, data={"csrf_token": manager.csrf}, files={"file": ("h.csv", big5, "text/csv")})
    assert done.status_code == 200, done.text
    xlsx = xlsx_bytes([("h", ["unit_code", "name", "relation"], [[second, "林美玲", "tenant"]])])
    done = manager.post(url, data={"csrf_token": manager.csrf}, files={"file": ("h.xlsx", xlsx, "application/zip")})
    assert done.status_code == 200, done.text
    names = demo_server.call(lambda: Member.filter(household__unit__code__in=[first, second],
                                                   household__site__code="harbour").order_by("name")
                             .values_list("name", flat=True))
    assert sorted(names) == sorted(["陳大文", "林美玲"])


def test_a_unit_of_another_site_is_no_unit_here(demo_server):
    lotus_unit = demo_server.call(lambda: Unit.filter(site__code="lotus").first().values_list("code", flat=True))
    assert not demo_server.call(lambda: Unit.filter(site__code="harbour", code=lotus_unit).exists())
    for key, sheet in (("resident.households", f"unit_code,name,relation\n{lotus_unit},Chen,owner\n"),
                       ("resident.fee_balances", f"unit_code,period,amount\n{lotus_unit},2020-01,100\n")):
        report = run(demo_server, key, sheet.encode(), dry_run=True)
        assert [(e["row"], e["column"], e["message"]) for e in report.errors] == [
            (2, "unit_code", "No unit with this code here.")], key


def test_opening_balances_through_the_import_page_check_then_import(demo_server):
    import re

    unit, = free_units(demo_server, 1)
    manager = demo_server.sign_in("manager")
    page = manager.get("/sites/harbour/imports")
    assert page.status_code == 200 and "Opening fee balances" in page.text and "Households" in page.text
    sheet = f"單位編號,期間,欠款\n{unit},2020-04,1500\n".encode("cp950")
    checked = manager.post("/sites/harbour/imports", data={"csrf_token": manager.csrf, "importer": "resident.fee_balances",
                                                           "step": "check"},
                           files={"file": ("balances.csv", sheet, "text/csv")})
    assert checked.status_code == 200, checked.text
    token = re.search(r'name="token" value="([0-9a-f]+)"', checked.text).group(1)
    assert not demo_server.call(lambda: Bill.filter(unit__code=unit, site__code="harbour").exists())
    done = manager.form_post("/sites/harbour/imports", {"importer": "resident.fee_balances", "step": "import",
                                                        "token": token})
    assert done.status_code == 200, done.text
    amounts = demo_server.call(lambda: Bill.filter(unit__code=unit, site__code="harbour").values_list(
        "period", "amount_minor", "outstanding_minor"))
    assert amounts == [("2020-04", 150000, 150000)]


def test_a_row_with_a_bad_amount_and_an_unknown_unit_reports_both(demo_server):
    free, = free_units(demo_server, 1)
    sheet = f"unit_code,period,amount\nZ-9999,2020-03,12.345\n{free},2020-13,abc\nZ-9998,2020-04,\n".encode()
    report = run(demo_server, "resident.fee_balances", sheet, dry_run=True)
    assert {(e["row"], e["column"]) for e in report.errors} == {
        (2, "unit_code"), (2, "amount"), (3, "period"), (3, "amount"), (4, "unit_code"), (4, "amount")}
    with pytest.raises(Problem) as refused:
        run(demo_server, "resident.fee_balances", sheet, dry_run=False)
    assert len(refused.value.errors) == 6
    # households: a bad relation beside an unknown unit
    report = run(demo_server, "resident.households", "單位編號,姓名,關係\nZ-9999,王大明,boss\n".encode(), dry_run=True)
    assert {(e["row"], e["column"]) for e in report.errors} == {(2, "單位編號"), (2, "關係")}
