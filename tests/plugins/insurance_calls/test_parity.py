"""Quick entry and the calls API do the same: same live events, tasks, audit entries, rows."""

from tests.plugins.insurance_calls.conftest import BASE

ENTRY = "/sites/sunrise/insurance_calls/"
CALL = {"direction": "inbound", "phone": "13900001234", "caller_name": "测试客户", "call_type": "other",
        "summary": "Asked for the branch address", "outcome": "resolved"}


def test_logging_a_call(parity):
    footprint = parity.check("caller", api=("POST", f"{BASE}/calls", CALL), page=(ENTRY, CALL))
    assert footprint.rows.get("insurance_calls_call") == 1


def test_logging_a_complaint(parity):
    complaint = {**CALL, "call_type": "complaint", "outcome": "complaint", "summary": "Claim money late"}
    footprint = parity.check("caller", api=("POST", f"{BASE}/calls", complaint), page=(ENTRY, complaint))
    assert "task.created" in footprint.events and "task.create" in footprint.audit
