"""Bulk imports and exports of units, parties and users: API, page, CLI, every bad input."""

import io
import subprocess
import sys
import types

from core import PluginMeta, hookimpl
from core.audit.models import AuditEntry
from core.entities.models import Party, Site, Unit
from core.i18n import N_
from core.identity.models import Membership, User
from core.imports import Column, Importer, ImportRefused, RowError, cells

UNITS_CSV = "單位編號,類別,棟別,樓層,名稱\nN-1,公寓,甲棟,3,王家\nN-2,店面,甲棟,1,陳記麵店\nN-3,parking,,B1,\n"


def post(client, site, kind, data, *, dry_run=False, name="file.csv", **params):
    return client.post(f"/api/v1/sites/{site}/imports/{kind}", params={"dry_run": str(dry_run).lower(), **params},
                       files={"file": (name, data, "application/octet-stream")})


def units_of(server, site):
    async def read():
        return sorted(await Unit.filter(site__code=site).values_list("code", "kind", "building", "floor", "name"))
    return server.call(read)


def xlsx(rows):
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def new_site(server, code, member="admin"):
    """An empty site where ``member`` (if any) is its administrator."""
    from core.identity.models import Role
    from core.identity.services import grant_membership

    async def create():
        site = await Site.create(code=code, name=code, kind="residential")
        user = await User.get_or_none(username=member)
        if user is not None:
            await grant_membership(user, site, await Role.get(name="admin"))  # tells every cache
        return site
    return server.call(create)


def test_dry_run_reports_and_writes_nothing_then_import_writes_all_with_audit(demo_server):
    admin = demo_server.api_client("admin")
    before = units_of(demo_server, "lotus")
    audit_before = demo_server.call(lambda: AuditEntry.all().count())
    dry = post(admin, "lotus", "core.units", UNITS_CSV.encode(), dry_run=True)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["rows"] == 3 and report["errors"] == [] and report["encoding"] == "utf-8" and not report["applied"]
    assert report["columns"]["code"] == "單位編號"
    assert units_of(demo_server, "lotus") == before
    assert demo_server.call(lambda: AuditEntry.all().count()) == audit_before
    done = post(admin, "lotus", "core.units", UNITS_CSV.encode())
    assert done.status_code == 200 and done.json()["created"] == 3 and done.json()["applied"]
    added = set(units_of(demo_server, "lotus")) - set(before)
    assert added == {("N-1", "apartment", "甲棟", "3", "王家"), ("N-2", "shop", "甲棟", "1", "陳記麵店"),
                     ("N-3", "parking", "", "B1", "")}
    entries = demo_server.call(lambda: AuditEntry.filter(id__gt=0, action__in=["unit.create", "import.core.units"])
                               .order_by("-id").limit(4).values("action", "after", "actor_name"))
    assert sorted(e["action"] for e in entries) == ["import.core.units", "unit.create", "unit.create", "unit.create"]
    assert all(e["actor_name"] == "admin" for e in entries)


def test_big5_and_gb18030_files_are_read_and_the_encoding_reported(demo_server):
    admin = demo_server.api_client("admin")
    big5 = "單位編號,名稱\nB5-1,林美玲工作室\n".encode("cp950")
    gb = "单位编号,名称\nGB-1,张家豪的店\n".encode("gb18030")
    assert post(admin, "lotus", "core.units", big5).json()["encoding"] == "big5"
    assert post(admin, "lotus", "core.units", gb).json()["encoding"] == "gb18030"
    names = dict(demo_server.call(lambda: Unit.filter(code__in=["B5-1", "GB-1"]).values_list("code", "name")))
    assert names == {"B5-1": "林美玲工作室", "GB-1": "张家豪的店"}
    wrong = post(admin, "lotus", "core.units", big5, dry_run=True, encoding="utf-8")
    assert wrong.status_code == 422 and "encoding" in wrong.text


def test_a_file_that_is_not_csv_or_xlsx_is_refused(demo_server):
    admin = demo_server.api_client("admin")
    response = post(admin, "lotus", "core.units", b"%PDF-1.4\n1 0 obj <<>> endobj\n", name="units.pdf")
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert "not CSV or XLSX" in response.json()["detail"]


def test_duplicates_in_the_file_and_against_the_database_and_another_site_are_row_errors(demo_server):
    admin = demo_server.api_client("admin")
    taken = demo_server.call(lambda: Unit.filter(site__code="harbour").first().values_list("code", flat=True))
    data = (f"Site,Unit code,Kind\nharbour,D-1,apartment\nharbour,D-1,apartment\nharbour,{taken},apartment\n"
            "lotus,D-2,apartment\nharbour,D-3,castle\n").encode()
    before = units_of(demo_server, "harbour")
    report = post(admin, "harbour", "core.units", data, dry_run=True).json()
    errors = {(e["row"], e["column"]) for e in report["errors"]}
    assert errors == {(3, "Unit code"), (4, "Unit code"), (5, "Site"), (6, "Kind")}
    assert "row 2" in next(e["message"] for e in report["errors"] if e["row"] == 3)
    assert "exists already" in next(e["message"] for e in report["errors"] if e["row"] == 4)
    refused = post(admin, "harbour", "core.units", data)
    assert refused.status_code == 422 and len(refused.json()["errors"]) == 4
    assert {"row": 6, "column": "Kind"} .items() <= refused.json()["errors"][-1].items()
    assert units_of(demo_server, "harbour") == before  # nothing written, not even the good D-3


def test_missing_required_columns_name_the_headers_expected(demo_server):
    admin = demo_server.api_client("admin")
    response = post(admin, "lotus", "core.units", "Kind,Name\napartment,x\n".encode(), dry_run=True)
    assert response.status_code == 422
    assert "單位編號" in response.json()["detail"] and "Unit code" in response.json()["detail"]


def test_too_many_rows_is_refused_with_the_limit(demo_server):
    admin = demo_server.api_client("admin")
    data = ("code\n" + "".join(f"X{i}\n" for i in range(200_000))).encode()
    response = post(admin, "lotus", "core.units", data, dry_run=True)
    assert response.status_code == 422 and "50,000" in response.json()["detail"]


def test_units_round_trip_through_xlsx_into_an_empty_site(demo_server):
    admin = demo_server.api_client("admin")
    exported = admin.get("/api/v1/sites/harbour/exports/core.units.xlsx")
    assert exported.status_code == 200 and exported.content[:2] == b"PK"
    new_site(demo_server, "empty-one")
    # The file names harbour in its site column: the import into another site refuses it
    # (a whole file for another site), until the column is left out.
    refused = post(admin, "empty-one", "core.units", exported.content, dry_run=True, name="u.xlsx").json()
    assert refused["errors"] and all(e["column"] == "Site" for e in refused["errors"])
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(exported.content)).active
    rows = [[cell for cell in row[1:]] for row in sheet.iter_rows(values_only=True)]
    done = post(admin, "empty-one", "core.units", xlsx(rows), name="u.xlsx")
    assert done.status_code == 200 and done.json()["applied"], done.text
    assert units_of(demo_server, "empty-one") == units_of(demo_server, "harbour")


def test_parties_round_trip_with_phones_and_formula_like_text(demo_server):
    admin = demo_server.api_client("admin")
    data = ("姓名,類別,電話,電子郵件,語言,備註\n王小明,個人,0912-345-678; +886 2 2345 6789,wang@example.com,繁體中文,=1+1\n"
            "大樓管委會,公司,02-2345-0000,,,\n").encode()
    new_site(demo_server, "party-a")
    new_site(demo_server, "party-b")
    created = post(admin, "party-a", "core.parties", data).json()
    assert created["created"] == 2
    again = post(admin, "party-a", "core.parties", data, dry_run=True).json()
    assert {e["row"] for e in again["errors"]} == {2, 3}  # the same people again
    csv = admin.get("/api/v1/sites/party-a/exports/core.parties.csv")
    assert csv.status_code == 200 and "'=1+1" in csv.text  # neutralised in the file...
    assert post(admin, "party-b", "core.parties", csv.content).json()["created"] == 2

    def parties(code):
        return demo_server.call(lambda: Party.filter(site__code=code).order_by("name").values(
            "name", "kind", "phones", "email", "preferred_language", "notes"))
    assert parties("party-b") == parties("party-a")  # ...and read back as written
    first = parties("party-a")[1]
    assert first["phones"] == ["0912345678", "+886223456789"] and first["notes"] == "=1+1"
    assert first["preferred_language"] == "zh_Hant"


def test_parties_export_needs_personal_data_permission(demo_server):
    agent = demo_server.api_client("cashier")
    assert agent.get("/api/v1/sites/lotus/exports/core.parties.csv").status_code in (403, 404)


def test_users_with_roles_unknown_role_and_no_password(demo_server):
    admin = demo_server.api_client("admin")
    data = ("帳號,姓名,角色,電子郵件\nmei,梅 Mei,agent; supervisor,mei@example.com\nbad,Bad,wizard,\n"
            "agent,Taken,agent,\nMEI,Twice,agent,\n").encode()
    report = post(admin, "harbour", "core.users", data, dry_run=True).json()
    messages = {(e["row"], e["column"]): e["message"] for e in report["errors"]}
    assert set(messages) == {(3, "角色"), (4, "帳號"), (5, "帳號")}
    assert "wizard" in messages[(3, "角色")] and "taken" in messages[(4, "帳號")]
    good = ("username,display name,roles,password\nmei,梅 Mei,agent; supervisor,Secret-Pass-1\n"
            "kai,Kai,agent,Secret-Pass-2\n").encode()
    imported = post(admin, "harbour", "core.users", good).json()
    assert imported["created"] == 2 and imported["unknown_columns"] == ["password"]  # ignored, never stored
    logged = demo_server.call(lambda: AuditEntry.filter(action__in=["user.create", "import.core.users"])
                              .values_list("after", flat=True))
    assert "Secret-Pass" not in str(logged)
    roles = demo_server.call(lambda: Membership.filter(user__username="mei", site__code="harbour")
                             .values_list("role__name", flat=True))
    assert sorted(roles) == ["agent", "supervisor"]
    # No password: nobody signs in as mei until one is set.
    assert demo_server.client().post("/api/v1/auth/token", json={"username": "mei", "password": ""}).status_code in (401, 422)
    hashes = demo_server.call(lambda: User.filter(username="mei").values_list("password_hash", flat=True))
    assert hashes[0].startswith("!")
    exported = admin.get("/api/v1/sites/harbour/exports/core.users.csv").text
    assert "mei,梅 Mei" in exported and "agent; supervisor" in exported


def test_a_manager_cannot_import_a_role_above_their_own(demo_server):
    manager = demo_server.api_client("manager")
    report = post(manager, "harbour", "core.users", b"username,roles\nzed,admin\n", dry_run=True)
    # The manager may not manage users at all: the importer is not theirs (403 naming the
    # permission); at a site where one is no member, the site does not exist (404).
    assert report.status_code == 403 and "core.user.manage" in report.json()["detail"]
    agent = demo_server.api_client("agent")
    assert post(agent, "lotus", "core.units", b"code\nX\n", dry_run=True).status_code == 404
    assert agent.get("/api/v1/sites/lotus/exports/core.units.csv").status_code == 404


def test_the_page_checks_then_imports_the_same_file(demo_server):
    browser = demo_server.sign_in("admin")
    page = browser.get("/sites/lotus/imports")
    assert page.status_code == 200 and "core.units" in page.text
    bad = "單位編號\nP-1\nP-1\n".encode()
    checked = browser.post("/sites/lotus/imports", data={"csrf_token": browser.csrf, "importer": "core.units",
                                                          "step": "check"}, files={"file": ("u.csv", bad)})
    assert checked.status_code == 200 and 'id="import-errors"' in checked.text and "P-1" in checked.text
    checked = browser.post("/sites/lotus/imports", data={"csrf_token": browser.csrf, "importer": "core.units",
                                                          "step": "check"}, files={"file": ("u.csv", b"code\nP-1\nP-2\n")})
    assert checked.status_code == 200 and 'value="import"' in checked.text
    import re

    token = re.search(r'name="token" value="([0-9a-f]{32})"', checked.text).group(1)
    done = browser.post("/sites/lotus/imports", data={"csrf_token": browser.csrf, "importer": "core.units",
                                                       "step": "import", "token": token})
    assert done.status_code == 200 and "Imported: 2" in done.text
    assert {"P-1", "P-2"} <= {u[0] for u in units_of(demo_server, "lotus")}
    from core.storage import StoredFile

    assert demo_server.call(lambda: StoredFile.filter(key__startswith="imports/").count()) == 0
    # Another user cannot import that upload (it is gone anyway, and under admin's prefix).
    refused = browser.post("/sites/lotus/imports", data={"csrf_token": browser.csrf, "importer": "core.units",
                                                          "step": "import", "token": token})
    assert refused.status_code == 422
    pdf = browser.post("/sites/lotus/imports", data={"csrf_token": browser.csrf, "importer": "core.units",
                                                      "step": "check"}, files={"file": ("u.pdf", b"%PDF-1.4 x")})
    assert pdf.status_code == 422 and "not CSV or XLSX" in pdf.text
    assert browser.get("/sites/lotus/imports/export/core.units.xlsx").content[:2] == b"PK"


def test_a_failing_write_leaves_nothing_behind(make_demo_app):
    async def write(rows, context):
        await Unit.bulk_create([Unit(site_id=context.site.id, code=row.values["code"], kind="other") for row in rows])
        raise ImportRefused([RowError(rows[-1].number, "code", "raced")])

    async def export(context):
        return []

    broken = Importer("boom.units", "Boom", "core.unit.edit", (Column("code", N_("Unit code"), required=True,
                                                                      parse=cells.code()),),
                      write=write, export=export)
    module = types.ModuleType("boom_plugin")
    module.meta = PluginMeta(name="boom", version="1.0", core_requires=">=0.1")
    module.register_importers = hookimpl(lambda: [broken])
    module.register_importers.__name__ = "register_importers"
    server = make_demo_app(extra_plugins=[module])
    admin = server.api_client("admin")
    before = units_of(server, "lotus")
    response = post(admin, "lotus", "boom.units", b"code\nZ-1\nZ-2\n")
    assert response.status_code == 422 and response.json()["errors"][0]["message"] == "raced"
    assert units_of(server, "lotus") == before


def test_hook_register_importers(make_demo_app):
    seen = []

    async def write(rows, context):
        seen.extend(row.values["plate"] for row in rows)
        return len(rows)

    async def export(context):
        return [{"plate": "AB-1234"}]

    permits = Importer("parking.permits", "Permits", "core.unit.edit",
                       (Column("plate", N_("Plate"), aliases=("車牌", "车牌"), required=True, parse=cells.code(12)),),
                       write=write, export=export)
    module = types.ModuleType("permits_plugin")
    module.meta = PluginMeta(name="parking", version="1.0", core_requires=">=0.1")

    def register_importers():
        return [permits]
    module.register_importers = hookimpl(register_importers)
    server = make_demo_app(extra_plugins=[module])
    admin = server.api_client("admin")
    assert post(admin, "lotus", "parking.permits", "車牌\nXY-1\n".encode()).json()["created"] == 1
    assert seen == ["XY-1"]
    assert "AB-1234" in admin.get("/api/v1/sites/lotus/exports/parking.permits.csv").text
    assert admin.post("/api/v1/sites/lotus/imports/nothing.here", content=b"a\n1\n").status_code == 404


def run(database_url, *args):
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "FRONTDESK_DATABASE_URL": database_url,
                               "FRONTDESK_SECRET_KEY": "k" * 40})


def test_cli_import_and_export(make_app, database_url, tmp_path):
    server = make_app()
    new_site(server, "cli-site")
    good = tmp_path / "units.csv"
    good.write_text("code,kind\nC-1,apartment\nC-2,shop\n")
    checked = run(database_url, "import", "core.units", str(good), "--site", "cli-site", "--dry-run")
    assert checked.returncode == 0 and "no errors" in checked.stdout
    assert units_of(server, "cli-site") == []
    assert run(database_url, "import", "core.units", str(good), "--site", "cli-site").returncode == 0
    assert [u[0] for u in units_of(server, "cli-site")] == ["C-1", "C-2"]
    bad = tmp_path / "bad.csv"
    bad.write_text("code,kind\n" + "".join("C-1,castle\n" for _ in range(30)))
    refused = run(database_url, "import", "core.units", str(bad), "--site", "cli-site")
    # every row's two errors (a bad kind, the code taken): 60, the first 20 shown
    assert refused.returncode == 1 and "row 2, kind" in refused.stderr and "and 40 more" in refused.stderr
    out = tmp_path / "out.xlsx"
    assert run(database_url, "export", "core.units", "--site", "cli-site", "-o", str(out)).returncode == 0
    assert out.read_bytes()[:2] == b"PK"
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.4 nothing")
    refused = run(database_url, "import", "core.units", str(pdf), "--site", "cli-site")
    assert refused.returncode == 1 and "not CSV or XLSX" in refused.stderr


def test_an_export_in_chinese_imports_back(demo_server):
    admin = demo_server.api_client("admin", headers={"Accept-Language": "zh-TW"})
    exported = admin.get("/api/v1/sites/harbour/exports/core.units.csv")
    header = exported.content.decode("utf-8-sig").splitlines()[0]
    assert exported.status_code == 200 and "Unit code" not in header  # headed in the reader's language
    new_site(demo_server, "zh-copy")
    rows = exported.content.decode("utf-8-sig").splitlines()
    without_site = "\n".join(line.split(",", 1)[1] for line in rows).encode("utf-8")
    report = post(admin, "zh-copy", "core.units", without_site)
    assert report.status_code == 200, report.text
    assert units_of(demo_server, "zh-copy") == units_of(demo_server, "harbour")


def test_every_error_of_a_row_is_reported_also_beside_a_cell_that_did_not_parse(demo_server):
    # Row 3 has a bad kind AND a code already on row 2; row 4 another site AND a bad kind;
    # row 5 no code at all (its empty code is compared with nothing); row 6 no name.
    admin = demo_server.api_client("admin")
    data = ("Site,Unit code,Kind\nharbour,E-1,apartment\nharbour,E-1,castle\nlotus,E-2,castle\nharbour,,shop\n"
            ",,\nharbour,E-1 X,shop\n").encode()
    report = post(admin, "harbour", "core.units", data, dry_run=True).json()
    assert {(e["row"], e["column"]) for e in report["errors"]} == {
        (3, "Unit code"), (3, "Kind"), (4, "Site"), (4, "Kind"), (5, "Unit code"), (7, "Unit code")}
    assert "row 2" in next(e["message"] for e in report["errors"] if (e["row"], e["column"]) == (3, "Unit code"))
    refused = post(admin, "harbour", "core.units", data)
    assert refused.status_code == 422 and len(refused.json()["errors"]) == 6
    # parties: a row without a name is not taken for a duplicate of another nameless row
    parties = "Name,Phones\n,0912345678\n,0912345678\n陳小美,0912 345 678; abc\n".encode()
    report = post(admin, "harbour", "core.parties", parties, dry_run=True).json()
    assert {(e["row"], e["column"]) for e in report["errors"]} == {(2, "Name"), (3, "Name"), (4, "Phones")}


def _after_commit_plugin(effects, fail_write):
    """A plugin whose importer writes units and leaves effects for after the commit:
    one that reads the units back (outside the import's transaction), one that fails."""
    async def write(rows, context):
        await Unit.bulk_create([Unit(site_id=context.site.id, code=row.values["code"], kind="other") for row in rows])
        codes = [row.values["code"] for row in rows]

        async def seen():
            effects.append(await Unit.filter(site_id=context.site.id, code__in=codes).count())

        async def broken():
            raise RuntimeError("the announcement failed")
        context.after_commit.extend([broken, seen])
        if fail_write:
            raise ImportRefused([RowError(rows[-1].number, "code", "raced")])
        return len(rows)

    async def export(context):
        return []

    importer = Importer("later.units", "Later", "core.unit.edit",
                        (Column("code", N_("Unit code"), required=True, parse=cells.code()),),
                        write=write, export=export)
    module = types.ModuleType("later_plugin")
    module.meta = PluginMeta(name="later", version="1.0", core_requires=">=0.1")
    module.register_importers = hookimpl(lambda: [importer])
    module.register_importers.__name__ = "register_importers"
    return module


def test_effects_run_after_the_commit_and_never_for_a_dry_run_or_an_undone_import(make_demo_app):
    effects = []
    server = make_demo_app(extra_plugins=[_after_commit_plugin(effects, fail_write=False)])
    admin = server.api_client("admin")
    assert post(admin, "lotus", "later.units", b"code\nL-1\n", dry_run=True).json()["errors"] == []
    assert effects == []  # a dry run never writes, so never announces
    done = post(admin, "lotus", "later.units", b"code\nL-1\nL-2\n")
    # the failing effect is logged and the next still runs: the import is stored, not a 500
    assert done.status_code == 200 and done.json()["applied"] and done.json()["created"] == 2
    assert effects == [2]  # read outside the transaction: it had committed


def test_an_undone_import_runs_none_of_its_effects(make_demo_app):
    effects = []
    server = make_demo_app(extra_plugins=[_after_commit_plugin(effects, fail_write=True)])
    admin = server.api_client("admin")
    before = units_of(server, "lotus")
    response = post(admin, "lotus", "later.units", b"code\nL-3\n")
    assert response.status_code == 422 and effects == []
    assert units_of(server, "lotus") == before


def test_money_cells_in_minor_units_with_core_money_messages():
    from core.imports import Row

    rows = [Row(2, {"price": "1,200"}), Row(3, {"price": "12.345"}), Row(4, {"price": "120.5"}),
            Row(5, {"price": "0"}), Row(6, {"price": ""}, frozenset({"price"})), Row(7, {"price": 500})]
    errors = cells.money(rows, "price", "TWD")
    assert [(error.row, error.column) for error in errors] == [(2, "price"), (3, "price"), (5, "price")]
    assert "decimals" in errors[1].message and "greater than zero" in errors[2].message
    assert rows[2].values["price"] == 12050 and isinstance(rows[2].values["price"], int)
    assert rows[4].values["price"] == "" and rows[5].values["price"] == 500  # failed and converted: left alone
    zero = [Row(2, {"fee": "0"})]
    assert cells.money(zero, "fee", "JPY", allow_zero=True) == [] and zero[0].values["fee"] == 0
    assert cells.money([Row(2, {"fee": "1.5"})], "fee", "JPY")[0].message.startswith("JPY has no decimals")
