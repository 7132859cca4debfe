"""The audit log is append-only and written in the same transaction as the change."""

import pytest
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from core.audit import services as audit
from core.audit.models import AuditEntry
from core.entities.models import Site


def test_entries_cannot_be_changed_or_deleted(server):
    async def try_to_rewrite():
        entry = await audit.record("test.event", note="original")
        entry.note = "rewritten"
        with pytest.raises(OperationalError):
            await entry.save()
        with pytest.raises(OperationalError):
            await entry.delete()
        return (await AuditEntry.get(id=entry.id)).note

    assert server.call(try_to_rewrite) == "original"


def test_a_change_and_its_audit_entry_commit_or_roll_back_together(server):
    async def fail_after_writing():
        with pytest.raises(RuntimeError):
            async with in_transaction():
                site = await Site.create(code="tmp", name="Temporary", kind="other")
                await audit.record("site.create", object_type="site", object_id=site.id)
                raise RuntimeError("something later in the same change failed")
        return await Site.filter(code="tmp").exists(), await AuditEntry.filter(action="site.create").exists()

    assert server.call(fail_after_writing) == (False, False)


def test_admins_read_the_log_with_filters(demo_server):
    admin = demo_server.api_client("admin")
    demo_server.client().post("/api/v1/auth/token", json={"username": "agent", "password": "wrong-password"})
    failed = admin.get("/api/v1/audit", params={"action": "auth.login_failed"}).json()["items"]
    assert len(failed) == 1 and failed[0]["note"].startswith("agent")
    logins = admin.get("/api/v1/audit", params={"action": "auth.login", "actor": "admin"}).json()["items"]
    assert logins and all(item["actor_name"] == "admin" for item in logins)
    assert demo_server.api_client("agent").get("/api/v1/audit").status_code == 403
