"""Personal-data requests (core.personal_data): export a demo resident's data as a ZIP, erase
them, and find their name, phone and e-mail nowhere in the database afterwards."""

from __future__ import annotations

import io
import json
import types
import zipfile

import pytest

from core import PluginMeta, hookimpl
from core.integrity import problems_of, run_checks
from core.personal_data import Source, Table
from core.personal_data.sources import Scrubber, Subject

RESIDENT = "陳大文"  # the first demo resident of harbour (core.demo.RESIDENTS)
BASE = "/api/v1/sites/harbour"


def _party(server, name=RESIDENT) -> dict:
    async def find():
        from core.entities.models import Party

        return await Party.filter(site__code="harbour", name=name).first().values()

    return server.call(find)


def _prepare(server) -> dict:
    """The resident with an e-mail, a case naming them (their number in its text), a reply
    to it (a message to them) and a note on their record."""
    party = _party(server)
    phone = party["phones"][0]
    agent = server.api_client("admin")
    email = "chan.taiman@example.com"
    changed = agent.patch(f"{BASE}/parties/{party['id']}", json={"email": email, "version": party["version"],
                                                                   "notes": f"{RESIDENT} prefers calls"})
    assert changed.status_code == 200, changed.text
    units = agent.get(f"{BASE}/units?limit=1").json()["items"]
    case = agent.post(f"{BASE}/resident/cases", json={
        "kind": "repair", "channel": "phone", "unit_id": units[0]["id"], "party_id": party["id"],
        "title": f"Leak reported by {RESIDENT}",
        "description": f"{RESIDENT} called from {phone[:4]}-{phone[4:7]}-{phone[7:]}, write to {email}"})
    assert case.status_code == 201, case.text
    reply = agent.post(f"{BASE}/resident/cases/{case.json()['id']}/reply",
                       json={"message": f"Dear {RESIDENT}, a plumber comes tomorrow.", "send_by": ["sms", "email"]})
    assert reply.status_code in (200, 201), reply.text
    return {**party, "email": email, "phone": phone, "case_id": case.json()["id"]}


async def _every_text_value(is_sqlite: bool) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text, varchar and JSON column of every table, read
    from the database's own catalogue (not from the models)."""
    from tortoise.connection import get_connection

    connection = get_connection("default")
    columns = []
    if is_sqlite:
        _n, tables = await connection.execute_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        for table in tables:
            _n, info = await connection.execute_query(f"PRAGMA table_info(\"{table['name']}\")")
            columns += [(table["name"], column["name"]) for column in info
                        if any(word in (column["type"] or "").upper() for word in ("CHAR", "TEXT", "JSON", "CLOB"))]
    else:
        _n, rows = await connection.execute_query(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')")
        columns = [(row["table_name"], row["column_name"]) for row in rows]
    assert len(columns) > 100  # every table of core and the plugins
    values = []
    for table, column in columns:
        _n, rows = await connection.execute_query(
            f"SELECT CAST(\"{column}\" AS TEXT) AS v FROM \"{table}\" WHERE \"{column}\" IS NOT NULL")  # noqa: S608
        values += [(table, column, row["v"]) for row in rows]
    return values


def _found(values, needle: str) -> list[tuple[str, str]]:
    escaped = json.dumps(needle)[1:-1]
    return sorted({(table, column) for table, column, value in values
                   if needle.lower() in value.lower() or escaped.lower() in value.lower()})


def _money_totals(server) -> dict:
    async def totals():
        from tortoise.functions import Sum

        from plugins.cashier.models import Entry
        from plugins.resident.models import Bill, Payment

        return {"bills": await Bill.annotate(t=Sum("amount_minor")).first().values("t"),
                "outstanding": await Bill.annotate(t=Sum("outstanding_minor")).first().values("t"),
                "payments": await Payment.annotate(t=Sum("amount_minor")).first().values("t"),
                "entries": await Entry.annotate(t=Sum("amount")).first().values("t")}

    return server.call(totals)


def test_export_of_a_demo_resident_holds_their_records(demo_server):
    party = _prepare(demo_server)
    response = demo_server.api_client("admin").post(f"{BASE}/parties/{party['id']}/personal-data/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"README.txt", "manifest.json", "mentions.json", "core.party.json", "resident.json",
            "core.messages.json", "core.audit.json", "core.tasks.json"} <= names
    assert "resident/cases.csv" in names and "core.party/parties.csv" in names
    resident = json.loads(archive.read("resident.json"))
    assert [case["id"] for case in resident["cases"]] == [party["case_id"]]
    assert resident["members"][0]["name"] == RESIDENT
    assert resident["bills"]  # the fees of their unit
    messages = json.loads(archive.read("core.messages.json"))["messages"]
    assert any(RESIDENT in json.dumps(message, ensure_ascii=False) for message in messages)
    audit = json.loads(archive.read("core.audit.json"))["audit_entries"]
    assert any(entry["action"] == "party.update" for entry in audit)
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["subject"] == {"kind": "party", "id": party["id"], "site_id": party["site_id"]}
    assert manifest["exported_by"] == "admin"
    assert any(item["open"] for item in manifest["kept"])  # their unit's unpaid bills
    mentions = json.loads(archive.read("mentions.json"))
    assert "core_task" in mentions  # the case's task names them in its title
    assert RESIDENT in archive.read("resident/cases.csv").decode("utf-8-sig")
    # The export itself is audited, without the data.
    entry = demo_server.call(_last_audit, "personal_data.export")
    assert entry["object_id"] == str(party["id"]) and RESIDENT not in json.dumps(entry, ensure_ascii=False, default=str)


async def _last_audit(action):
    from core.audit.models import AuditEntry

    return await AuditEntry.filter(action=action).order_by("-id").first().values()


def test_erase_leaves_the_name_phone_and_email_nowhere(demo_server):
    party = _prepare(demo_server)
    is_sqlite = demo_server.app.state.settings.is_sqlite
    before = demo_server.call(_every_text_value, is_sqlite)
    assert _found(before, RESIDENT) and _found(before, party["phone"]) and _found(before, party["email"])
    totals = _money_totals(demo_server)
    client = demo_server.api_client("admin")
    preview = client.get(f"{BASE}/parties/{party['id']}/personal-data")
    assert preview.status_code == 200
    assert any(item["open"] for item in preview.json()["kept"])
    refused = client.post(f"{BASE}/parties/{party['id']}/personal-data/erase", json={"confirm": False})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "confirm"

    erased = client.post(f"{BASE}/parties/{party['id']}/personal-data/erase", json={"confirm": True})
    assert erased.status_code == 200, erased.text
    result = erased.json()
    assert result["pseudonym"].startswith("Erased person #")
    open_kept = [item for item in result["kept"] if item["open"]]
    assert open_kept and "unpaid" in open_kept[0]["what"]  # open money records, explained

    after = demo_server.call(_every_text_value, is_sqlite)
    assert _found(after, RESIDENT) == []
    assert _found(after, party["phone"]) == []
    assert _found(after, party["email"]) == []
    assert _found(after, f"{party['phone'][:4]}-{party['phone'][4:7]}-{party['phone'][7:]}") == []
    # Linked to the pseudonym, money untouched and the data whole.
    assert _party(demo_server, result["pseudonym"])["id"] == party["id"]
    assert _money_totals(demo_server) == totals
    assert problems_of(demo_server.call(run_checks, demo_server.app.state.host, is_sqlite)) == []
    entry = demo_server.call(_last_audit, "personal_data.erase")
    assert entry["after"]["pseudonym"] == result["pseudonym"] and entry["actor_name"] == "admin"
    # The erased party's page and its case still open.
    now = client.get(f"{BASE}/parties/{party['id']}").json()
    assert now["name"] == result["pseudonym"] and now["phones"] == [] and now["email"] == ""
    # Its version moved on: an editor holding the old record gets 409, cannot write it back.
    stale = client.patch(f"{BASE}/parties/{party['id']}", json={"name": RESIDENT, "version": party["version"] + 1})
    assert stale.status_code == 409
    assert client.get(f"{BASE}/resident/cases/{party['case_id']}").status_code == 200


def test_non_admins_may_neither_export_nor_erase(demo_server):
    party = _party(demo_server)
    for username in ("agent", "supervisor", "manager"):
        client = demo_server.api_client(username)
        assert client.post(f"{BASE}/parties/{party['id']}/personal-data/export").status_code == 403
        assert client.post(f"{BASE}/parties/{party['id']}/personal-data/erase",
                           json={"confirm": True}).status_code == 403
    assert _party(demo_server)["name"] == RESIDENT
    # Another site's party is not found through this site.
    other = demo_server.api_client("admin").post(f"/api/v1/sites/lotus/parties/{party['id']}/personal-data/export")
    assert other.status_code == 404


def test_page_flow_confirm_then_erase(demo_server):
    party = _party(demo_server)
    browser = demo_server.sign_in("admin")
    url = f"/sites/harbour/parties/{party['id']}/personal-data"
    assert f'href="{url}"' in browser.get(f"/sites/harbour/parties/{party['id']}").text
    page = browser.get(url)
    assert page.status_code == 200 and 'id="kept"' in page.text and "unpaid" in page.text
    download = browser.form_post(f"{url}/export", {})
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    unconfirmed = browser.form_post(f"{url}/erase", {})
    assert unconfirmed.status_code == 422 and "cannot be undone" in unconfirmed.text
    assert _party(demo_server)["name"] == RESIDENT  # nothing written
    done = browser.form_post(f"{url}/erase", {"confirm": "yes"})
    assert done.status_code == 200 and "Erased person #" in done.text
    assert _party(demo_server, RESIDENT) is None
    # An agent sees no link and gets 403.
    agent = demo_server.sign_in("agent")
    assert url not in agent.get(f"/sites/harbour/parties/{party['id']}").text
    assert agent.get(url).status_code == 403


def test_cli_export_and_erase(demo_server, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from core.cli import cli

    party = _party(demo_server)
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", demo_server.app.state.settings.database_url)
    runner = CliRunner()
    target = tmp_path / "export.zip"
    exported = runner.invoke(cli, ["privacy", "export", "--party", str(party["id"]), "-o", str(target)])
    assert exported.exit_code == 0, exported.output
    assert "core.party.json" in zipfile.ZipFile(target).namelist()
    refused = runner.invoke(cli, ["privacy", "erase", "--party", str(party["id"])], input="n\n")
    assert refused.exit_code != 0 and "陳大文" not in refused.output  # the plan names no one
    assert "unpaid" in refused.output
    erased = runner.invoke(cli, ["privacy", "erase", "--party", str(party["id"]), "--yes"])
    assert erased.exit_code == 0, erased.output
    assert _party(demo_server, RESIDENT) is None
    missing = runner.invoke(cli, ["privacy", "export", "--party", "999999", "-o", str(target)])
    assert missing.exit_code != 0 and "No such party" in missing.output


def test_erase_a_user(demo_server):
    async def user(username):
        from core.identity.models import User

        return await User.get_or_none(username=username).values()

    agent = demo_server.call(user, "agent2")
    client = demo_server.api_client("admin")
    me = demo_server.call(user, "admin")
    own = client.post(f"/api/v1/users/{me['id']}/personal-data/erase", json={"confirm": True})
    assert own.status_code == 409 and "your own account" in own.json()["detail"]
    token = demo_server.api_client("agent2")
    assert token.get("/api/v1/me").status_code == 200
    admin_page = demo_server.sign_in("admin")
    assert f"/admin/users/{agent['id']}/personal-data" in admin_page.get(f"/admin/users/{agent['id']}").text
    assert admin_page.get(f"/admin/users/{agent['id']}/personal-data").status_code == 200
    exported = client.post(f"/api/v1/users/{agent['id']}/personal-data/export")
    assert exported.status_code == 200
    assert "core.user.json" in zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
    erased = client.post(f"/api/v1/users/{agent['id']}/personal-data/erase", json={"confirm": True})
    assert erased.status_code == 200, erased.text
    assert demo_server.call(user, "agent2") is None
    assert token.get("/api/v1/me").status_code == 401  # signed out everywhere
    values = demo_server.call(_every_text_value, demo_server.app.state.settings.is_sqlite)
    if agent["display_name"]:
        assert _found(values, agent["display_name"]) == []
    # The audit log's actor names follow the pseudonym's username.
    assert demo_server.call(_actor_names, agent["id"]) <= {f"erased-{erased.json()['pseudonym'][-4:]}-{agent['id']}"}


async def _actor_names(user_id):
    from core.audit.models import AuditEntry

    return set(await AuditEntry.filter(actor_id=user_id).values_list("actor_name", flat=True))


def test_scrubber_names_phones_and_short_names():
    subject = Subject(kind="party", id=7, site_id=1, name="Lee Ann", phones=("0912345678",), emails=("a@b.example",))
    scrubber = Scrubber(subject)
    text = "Call Lee Ann on 0912-345 678 or a@B.example; Lee Annette is someone else"
    assert scrubber.text(text) == (f"Call {subject.pseudonym} on […] or […]; Lee Annette is someone else")
    assert scrubber.value({"who": ["lee ann"], "n": 3}) == {"who": [subject.pseudonym], "n": 3}
    short = Scrubber(Subject(kind="party", id=8, site_id=1, name="Li"))
    assert short.text("Lift broken") == "Lift broken" and short.text("Li") == short.subject.pseudonym
    assert subject.pseudonym == Subject(kind="party", id=7, site_id=2, name="x").pseudonym  # stable


def test_hook_register_personal_data(make_demo_app):
    """A plugin's source: its table exported and its declared name field erased; its kept
    reason shown."""
    from core.entities.models import Party
    from tortoise.expressions import Q

    async def kept(subject):
        from core.personal_data import Kept

        return [Kept(what="plugin record", why="the plugin's reason", open=True)]

    source = Source("probe", "Probe", tables=(
        Table("parties_again", Party, lambda subject: Q(id=subject.id) if subject.kind == "party" else None,
              names=("name",)),), kept=kept)
    module = types.ModuleType("probe")
    module.meta = PluginMeta(name="probe", version="1")
    module.register_personal_data = hookimpl(lambda: [source])
    module.register_personal_data.__name__ = "register_personal_data"
    server = make_demo_app(extra_plugins=[module])
    party = _party(server)
    client = server.api_client("admin")
    archive = zipfile.ZipFile(io.BytesIO(client.post(f"{BASE}/parties/{party['id']}/personal-data/export").content))
    assert json.loads(archive.read("probe.json"))["parties_again"][0]["name"] == RESIDENT
    assert "the plugin's reason" in archive.read("README.txt").decode()
    erased = client.post(f"{BASE}/parties/{party['id']}/personal-data/erase", json={"confirm": True}).json()
    assert erased["declared"]["probe.parties_again"] == 1
    assert any(item["why"] == "the plugin's reason" and item["open"] for item in erased["kept"])


@pytest.mark.parametrize("username", ["admin"])
def test_permissions_granted_to_admin_by_default(demo_server, username):
    me = demo_server.api_client(username).get("/api/v1/me").json()
    harbour = next(site for site in me["sites"] if site["code"] == "harbour")
    assert {"core.personal_data.export", "core.personal_data.erase"} <= set(harbour["permissions"])


def test_a_caller_at_the_phone_desk_export_and_erase(demo_server):
    """Calls are found by the party's number; erase removes the caller's name, number and
    plate everywhere and keeps the complaint, saying why."""
    client = demo_server.api_client("admin")
    base = "/api/v1/sites/sunrise"
    created = client.post(f"{base}/parties", json={"name": "Wong Siu Ming", "kind": "person",
                                                   "phones": ["0987-654-321"], "email": "wong@example.net"})
    assert created.status_code == 201, created.text
    party = created.json()
    call = client.post(f"{base}/insurance/calls", json={
        "direction": "inbound", "phone": "0987654321", "caller_name": "Wong Siu Ming", "plate": "ABC-9876",
        "call_type": "other", "summary": "Wong Siu Ming complains about the claim for ABC-9876",
        "outcome": "complaint"})
    assert call.status_code == 201, call.text
    archive = zipfile.ZipFile(io.BytesIO(client.post(f"{base}/parties/{party['id']}/personal-data/export").content))
    calls = json.loads(archive.read("insurance_calls.json"))["calls"]
    assert [row["id"] for row in calls] == [call.json()["id"]]
    erased = client.post(f"{base}/parties/{party['id']}/personal-data/erase", json={"confirm": True}).json()
    assert any("complaint" in item["what"] and "legal hold" in item["why"] for item in erased["kept"])
    values = demo_server.call(_every_text_value, demo_server.app.state.settings.is_sqlite)
    for needle in ("Wong Siu Ming", "0987654321", "0987-654-321", "wong@example.net", "ABC-9876"):
        assert _found(values, needle) == [], needle
    # The call itself is kept, with what was said.
    kept = client.get(f"{base}/insurance/calls?call_type=other").json()["items"]
    assert any(row["id"] == call.json()["id"] and "complains about the claim" in row["summary"] for row in kept)


def test_archived_audit_months_are_named_as_kept(demo_server):
    """Retention's signed audit files are outside erase: the plan says which months."""
    async def archive():
        from core.clock import utcnow
        from core.retention.models import AuditArchive

        await AuditArchive.create(month="2019-03", entry_count=1, first_id=1, last_id=1, sha256="0" * 64,
                                  signature="x", storage_key="core/audit-archive/2019-03.jsonl.gz",
                                  created_at=utcnow())

    demo_server.call(archive)
    party = _party(demo_server)
    plan = demo_server.api_client("admin").get(f"{BASE}/parties/{party['id']}/personal-data").json()
    assert any("2019-03" in item["what"] and "signature" in item["why"] for item in plan["kept"])
