"""An insurance complaint whose revisit is unsatisfied reopens and escalates, as resident
complaints do; a reopened complaint is never handled to the standard."""

from core.audit.models import AuditEntry
from tests.plugins.insurance_calls.conftest import BASE, call_body, log

TASKS = "/api/v1/sites/sunrise/tasks"
ENTRY = "/sites/sunrise/insurance_calls/"


def _complaint(caller, callsup, **fields):
    """A complaint logged by the agent and replied (resolved) by the supervisor; its call,
    the complaint task and its open revisit."""
    call = log(caller, call_type="complaint", outcome="complaint", summary="Claim money late", **fields)
    task_id = call["complaint_task_id"]
    complaint = callsup.get(f"{TASKS}/{task_id}").json()
    for to in ("in_progress", "resolved"):
        complaint = callsup.post(f"{TASKS}/{task_id}/transition",
                                 json={"to": to, "version": complaint["version"], "note": "Paid"}).json()
    return call, complaint, _open_revisit(callsup, task_id)


def _open_revisit(client, complaint_id):
    revisits = client.get(f"{TASKS}?type=insurance_calls.revisit&open=true").json()["items"]
    return next(t for t in revisits if t["parent_id"] == complaint_id)


def _revisit(caller, revisit, satisfied, **fields):
    return log(caller, direction="outbound", task_id=revisit["id"], satisfied=satisfied,
               summary="Revisit", **fields)


def test_an_unsatisfied_revisit_reopens_and_escalates_the_complaint(demo_server, caller, callsup, user_ids):
    call, complaint, revisit = _complaint(caller, callsup)
    # Someone handed the complaint to an agent: the escalation gives it back to a supervisor.
    complaint = callsup.post(f"{TASKS}/{complaint['id']}/assign",
                             json={"assignee_id": user_ids["caller2"], "version": complaint["version"]}).json()
    assert complaint["status"] == "resolved" and complaint["assignee_id"] == user_ids["caller2"]
    _revisit(caller, revisit, False)
    reopened = callsup.get(f"{TASKS}/{complaint['id']}").json()
    assert reopened["status"] == "in_progress" and reopened["priority"] == "urgent"
    assert reopened["assignee_id"] == user_ids["callsup"]
    events = callsup.get(f"{TASKS}/{complaint['id']}/events").json()
    kinds = [event["kind"] for event in events]
    assert "reopened" in kinds and "escalated" in kinds
    assert any(event["kind"] == "escalated" and "not satisfied" in event["note"] for event in events)
    # counted on the complaint's call, which the caller's history shows
    assert caller.get(f"{BASE}/calls/{call['id']}").json()["reopen_count"] == 1
    history = caller.get(f"{BASE}/lookup?phone=13900001234").json()
    assert next(c for c in history["calls"] if c["id"] == call["id"])["reopen_count"] == 1
    assert next(t for t in history["complaints"] if t["id"] == complaint["id"])["priority"] == "urgent"
    audited = demo_server.call(lambda: AuditEntry.filter(action="insurance_calls.complaint.escalate",
                                                         object_id=str(complaint["id"])).first())
    assert audited is not None and audited.before["status"] == "resolved" and audited.after["priority"] == "urgent"
    # worked again: a new revisit; closing waits for a satisfied one
    second = _open_revisit(callsup, complaint["id"])
    assert second["id"] != revisit["id"] and second["priority"] == "high"
    url = f"{TASKS}/{complaint['id']}/transition"
    again = callsup.post(url, json={"to": "resolved", "version": reopened["version"], "note": "Paid again"}).json()
    assert callsup.post(url, json={"to": "closed", "version": again["version"]}).status_code == 409
    _revisit(caller, second, True)
    closed = callsup.post(url, json={"to": "closed", "version": again["version"]})
    assert closed.status_code == 200, closed.text
    assert caller.get(f"{BASE}/calls/{call['id']}").json()["reopen_count"] == 1


def test_a_supervisor_keeps_the_escalated_complaint_and_an_unreplied_one_is_not_reopened(demo_server, caller,
                                                                                          callsup, user_ids):
    call = log(caller, call_type="complaint", outcome="complaint", summary="Rude adjuster")
    complaint = callsup.get(f"{TASKS}/{call['complaint_task_id']}").json()
    assert complaint["status"] == "open" and complaint["assignee_id"] == user_ids["callsup"]
    _revisit(caller, _open_revisit(callsup, complaint["id"]), False)
    escalated = callsup.get(f"{TASKS}/{complaint['id']}").json()
    assert escalated["status"] == "open" and escalated["priority"] == "urgent"
    assert escalated["assignee_id"] == user_ids["callsup"]
    assert caller.get(f"{BASE}/calls/{call['id']}").json()["reopen_count"] == 0


def test_a_satisfied_revisit_changes_nothing(caller, callsup):
    call, complaint, revisit = _complaint(caller, callsup)
    _revisit(caller, revisit, True)
    after = callsup.get(f"{TASKS}/{complaint['id']}").json()
    assert after["status"] == "resolved" and after["priority"] == "high"
    assert caller.get(f"{BASE}/calls/{call['id']}").json()["reopen_count"] == 0


def test_a_reopened_complaint_is_not_handled_to_the_standard(caller, callsup):
    def standard():
        return callsup.get(f"{BASE}/kpis").json()["complaints"]["handled_to_standard"]

    def close(task_id):
        task = callsup.get(f"{TASKS}/{task_id}").json()
        for to in (["resolved"] if task["status"] == "in_progress" else []) + ["closed"]:
            task = callsup.post(f"{TASKS}/{task_id}/transition",
                                json={"to": to, "version": task["version"], "note": "Done"}).json()
        assert task["status"] == "closed", task

    before = standard()
    _, good, revisit = _complaint(caller, callsup, phone="13700000001")
    _revisit(caller, revisit, True, phone="13700000001")
    close(good["id"])
    assert standard() == before + 1  # the control: replied on time, revisited, closed
    _, reopened, revisit = _complaint(caller, callsup, phone="13700000002")
    _revisit(caller, revisit, False, phone="13700000002")
    _revisit(caller, _open_revisit(callsup, reopened["id"]), True, phone="13700000002")
    close(reopened["id"])
    assert standard() == before + 1


def test_a_manual_reopening_counts_too(caller, callsup):
    call, complaint, _ = _complaint(caller, callsup)
    back = callsup.post(f"{TASKS}/{complaint['id']}/transition",
                        json={"to": "in_progress", "version": complaint["version"], "note": "Not done"})
    assert back.status_code == 200, back.text
    assert caller.get(f"{BASE}/calls/{call['id']}").json()["reopen_count"] == 1


def test_the_task_page_shows_the_reopenings_and_the_escalation(demo_server, caller, callsup):
    call, complaint, revisit = _complaint(caller, callsup)
    _revisit(caller, revisit, False)
    page = demo_server.sign_in("callsup").get(f"/sites/sunrise/tasks/{complaint['id']}").text
    assert "data-reopen-count>1<" in page and "Escalated: the customer was not satisfied" in page


def test_unsatisfied_revisit_page_and_api_leave_the_same_footprint(parity):
    def prepare(server):
        caller, callsup = server.api_client("caller"), server.api_client("callsup")
        _, complaint, revisit = _complaint(caller, callsup)
        return revisit["id"]

    def api(revisit_id):
        return ("POST", f"{BASE}/calls", call_body(direction="outbound", task_id=revisit_id, satisfied=False,
                                                   summary="Revisit: still unhappy"))

    def page(revisit_id):
        return (ENTRY, {"direction": "outbound", "phone": "13900001234", "caller_name": "测试客户",
                        "call_type": "other", "summary": "Revisit: still unhappy", "outcome": "resolved",
                        "task_id": str(revisit_id), "satisfied": "no"})

    footprint = parity.check("caller", api=api, page=page, prepare=prepare)
    assert "insurance_calls.complaint.escalated" in footprint.events
    assert "insurance_calls.complaint.escalate" in footprint.audit
    assert "reopened" in footprint.task_events and "escalated" in footprint.task_events
