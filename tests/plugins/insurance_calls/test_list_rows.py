"""The calls list reads plain rows of only the columns it returns (``core.rows``) and
answers exactly what each call's own read answers, masked alike, audited alike."""

from core.audit.models import AuditEntry
from plugins.insurance_calls.models import Call
from plugins.insurance_calls.services import CALL_COLUMNS, call_out
from tests.plugins.insurance_calls.conftest import BASE, later, log
from tests.sql_log import columns_read, statements


def test_the_calls_list_answers_what_each_call_answers(demo_server, caller, caplog):
    log(caller, plate="粤b·12345", call_type="quote", fields={"vehicle": "丰田 凯美瑞"},
        started_at="2026-01-05T08:00:00Z", ended_at="2026-01-05T08:03:30Z")
    log(caller, phone="13912345670", policy_no="PDAA202644030000099999", call_type="policy_entry",
        outcome="follow_up", follow_up_at=later(hours=2))
    log(caller, outcome="complaint", call_type="complaint", summary="Rude branch staff")
    manager = demo_server.api_client("manager")  # reads calls, numbers masked
    views = lambda: demo_server.call(  # noqa: E731
        lambda: AuditEntry.filter(action="insurance_calls.personal_data.view").count())
    for client, personal in ((caller, True), (manager, False)):
        before = views()
        sent = statements(caplog, lambda client=client: client.get(f"{BASE}/calls", params={"limit": 200}))
        assert views() == before + personal  # the list's unmasked view is audited, once; a masked one is not
        items = client.get(f"{BASE}/calls", params={"limit": 200}).json()["items"]
        assert len(items) >= 3 and all(item["phone_masked"] is not personal for item in items)
        for item in items[:3]:
            assert client.get(f"{BASE}/calls/{item['id']}").json() == item
        models = demo_server.call(lambda: Call.filter(site__code="sunrise").order_by("-id"))
        assert items == [call_out(call, personal) for call in models]
        assert columns_read(sent, "insurance_calls_call") == set(CALL_COLUMNS)  # not site_id
    follow_up = next(item for item in items if item["follow_up_task_id"])
    assert follow_up["follow_up_at"] and "*" in follow_up["policy_no"]
