"""Call logging through the API: normalising, per-type required fields, bad input, tasks."""

import pytest

from core.audit.models import AuditEntry
from core.tasks.models import Task
from plugins.insurance_calls.models import Call
from tests.plugins.insurance_calls.conftest import BASE, call_body, later, log


def test_a_call_is_logged_with_numbers_normalised(caller, user_ids):
    call = log(caller, plate="粤b·12345", policy_no="pdaa-2026-4403-0000-012345", call_type="quote",
               fields={"vehicle": "丰田 凯美瑞"}, started_at="2026-01-05T08:00:00Z", ended_at="2026-01-05T08:03:30Z")
    assert call["phone"] == "13900001234" and call["plate"] == "粤B12345"
    assert call["policy_no"] == "PDAA202644030000012345"
    assert call["handle_seconds"] == 210 and call["agent_id"] == user_ids["caller"]
    assert call["fields"] == {"vehicle": "丰田 凯美瑞"}
    assert call["follow_up_task_id"] is None and call["complaint_task_id"] is None


@pytest.mark.parametrize("call_type, fields, missing", [
    ("quote", {"plate": "粤B12345"}, "fields.vehicle"),
    ("quote", {"fields": {"vehicle": "Camry"}}, "plate"),
    ("card_activation", {}, "fields.card_number"),
    ("policy_entry", {}, "policy_no"),
    ("repair_referral", {"plate": "粤B12345"}, "fields.repair_shop"),
    ("renewal", {"plate": "粤B12345"}, "policy_no"),
])
def test_each_call_type_requires_its_fields(demo_server, caller, call_type, fields, missing):
    response = caller.post(f"{BASE}/calls", json=call_body(call_type=call_type, **fields))
    assert response.status_code == 422
    assert missing in [error["field"] for error in response.json()["errors"]]
    assert demo_server.call(lambda: Call.filter(summary="Asked for the branch address").count()) == 0


@pytest.mark.parametrize("fields, field", [
    ({"phone": "12ab"}, "phone"),
    ({"phone": "123"}, "phone"),
    ({"plate": "??"}, "plate"),
    ({"policy_no": "12345"}, "policy_no"),
    ({"outcome": "follow_up"}, "follow_up_at"),
    ({"outcome": "follow_up", "follow_up_at": "2020-01-01T00:00:00Z"}, "follow_up_at"),
    ({"follow_up_at": "2099-01-01T00:00:00Z"}, "follow_up_at"),
    ({"started_at": "2026-01-05T08:10:00Z", "ended_at": "2026-01-05T08:00:00Z"}, "ended_at"),
    ({"started_at": "2099-01-05T08:10:00Z"}, "started_at"),
    ({"call_type": "fortune_telling"}, "call_type"),
    ({"fields": {"colour": "red"}}, "fields.colour"),
    ({"satisfied": True}, "satisfied"),
    ({"task_id": 999999}, "task_id"),
])
def test_bad_input_names_the_field_and_writes_nothing(demo_server, caller, fields, field):
    before = demo_server.call(lambda: Call.all().count())
    tasks_before = demo_server.call(lambda: Task.all().count())
    response = caller.post(f"{BASE}/calls", json=call_body(**fields))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [error["field"] for error in response.json()["errors"]]
    assert demo_server.call(lambda: Call.all().count()) == before
    assert demo_server.call(lambda: Task.all().count()) == tasks_before


def test_follow_up_creates_a_callback_task_due_at_the_promised_time(demo_server, caller, user_ids):
    promised = later(hours=3)
    call = log(caller, outcome="follow_up", follow_up_at=promised)
    task = caller.get(f"/api/v1/sites/sunrise/tasks/{call['follow_up_task_id']}").json()
    assert task["type"] == "insurance_calls.callback" and task["due_at"] == promised
    assert task["assignee_id"] == user_ids["caller"] and task["status"] == "open"


def test_a_callback_is_done_only_by_logging_the_call(demo_server, caller):
    call = log(caller, outcome="follow_up", follow_up_at=later(hours=3))
    task_id = call["follow_up_task_id"]
    task = caller.get(f"/api/v1/sites/sunrise/tasks/{task_id}").json()
    moved = caller.post(f"/api/v1/sites/sunrise/tasks/{task_id}/transition", json={"to": "in_progress",
                                                                                  "version": task["version"]}).json()
    refused = caller.post(f"/api/v1/sites/sunrise/tasks/{task_id}/transition",
                          json={"to": "resolved", "version": moved["version"]})
    assert refused.status_code == 409 and "logging the outbound call" in refused.json()["detail"]
    inbound = caller.post(f"{BASE}/calls", json=call_body(task_id=task_id))
    assert inbound.status_code == 422 and inbound.json()["errors"][0]["field"] == "direction"
    back = log(caller, direction="outbound", task_id=task_id, summary="Called back with the quote")
    assert back["task_id"] == task_id
    done = caller.get(f"/api/v1/sites/sunrise/tasks/{task_id}").json()
    assert done["status"] == "closed"
    again = caller.post(f"{BASE}/calls", json=call_body(direction="outbound", task_id=task_id))
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "task_id"


def test_complaint_creates_a_task_with_sla_and_a_required_revisit(demo_server, caller, callsup, user_ids):
    call = log(caller, call_type="complaint", outcome="complaint", summary="Claim money late")
    complaint = callsup.get(f"/api/v1/sites/sunrise/tasks/{call['complaint_task_id']}").json()
    assert complaint["type"] == "insurance_calls.complaint" and complaint["due_at"]
    assert complaint["assignee_id"] == user_ids["callsup"] and complaint["priority"] == "high"
    revisits = callsup.get("/api/v1/sites/sunrise/tasks?type=insurance_calls.revisit").json()["items"]
    revisit = next(t for t in revisits if t["parent_id"] == complaint["id"])
    assert revisit["assignee_id"] == user_ids["caller"]
    url = f"/api/v1/sites/sunrise/tasks/{complaint['id']}/transition"
    complaint = callsup.post(url, json={"to": "in_progress", "version": complaint["version"]}).json()
    complaint = callsup.post(url, json={"to": "resolved", "version": complaint["version"], "note": "Paid"}).json()
    early = callsup.post(url, json={"to": "closed", "version": complaint["version"]})
    assert early.status_code == 409
    no_verdict = caller.post(f"{BASE}/calls", json=call_body(direction="outbound", task_id=revisit["id"]))
    assert no_verdict.status_code == 422 and no_verdict.json()["errors"][0]["field"] == "satisfied"
    log(caller, direction="outbound", task_id=revisit["id"], satisfied=False, summary="Revisit: still unhappy")
    # reopened and escalated (test_complaint_reopen); replied again, it still cannot close
    complaint = callsup.get(f"/api/v1/sites/sunrise/tasks/{complaint['id']}").json()
    assert complaint["status"] == "in_progress"
    complaint = callsup.post(url, json={"to": "resolved", "version": complaint["version"], "note": "Paid"}).json()
    unhappy = callsup.post(url, json={"to": "closed", "version": complaint["version"]})
    assert unhappy.status_code == 409 and "unsatisfied" in unhappy.json()["detail"]
    revisits = callsup.get("/api/v1/sites/sunrise/tasks?type=insurance_calls.revisit&open=true").json()["items"]
    second = next(t for t in revisits if t["parent_id"] == complaint["id"])
    log(caller, direction="outbound", task_id=second["id"], satisfied=True, summary="Revisit: satisfied")
    closed = callsup.post(url, json={"to": "closed", "version": complaint["version"]})
    assert closed.status_code == 200, closed.text


def test_masking_and_search_by_full_number(demo_server, caller):
    log(caller, phone="13912345670", policy_no="PDAA202644030000099999", call_type="policy_entry")
    manager = demo_server.api_client("manager")
    listed = manager.get(f"{BASE}/calls?limit=5").json()["items"]
    assert listed and all("*" in item["phone"] and item["phone_masked"] for item in listed)
    assert manager.get(f"{BASE}/calls?phone=13912345670").status_code == 403
    assert manager.get(f"{BASE}/lookup?phone=13912345670").status_code == 403
    found = caller.get(f"{BASE}/calls?phone=139-1234-5670").json()["items"]
    assert found[0]["phone"] == "13912345670" and found[0]["policy_no"] == "PDAA202644030000099999"
    by_policy = caller.get(f"{BASE}/calls?policy_no=PDAA202644030000099999").json()["items"]
    assert len(by_policy) == 1
    audited = demo_server.call(lambda: AuditEntry.filter(action="insurance_calls.personal_data.view").count())
    assert audited >= 2


def test_lookup_shows_history_open_tasks_complaints_and_repeat_caller(demo_server, caller):
    phone = "13700001111"
    first = caller.get(f"{BASE}/lookup?phone={phone}").json()
    assert first == {"calls": [], "open_tasks": [], "complaints": [], "repeat_caller": False,
                     "calls_last_30_days": 0, "caller_name": "", "plate": "", "policy_no": ""}
    log(caller, phone=phone, caller_name="李先生", plate="粤B54321", outcome="follow_up", follow_up_at=later(hours=2))
    once = caller.get(f"{BASE}/lookup?phone={phone}").json()
    assert once["calls_last_30_days"] == 1 and not once["repeat_caller"] and len(once["open_tasks"]) == 1
    log(caller, phone=phone, caller_name="李建国", call_type="complaint", outcome="complaint", summary="Rude service")
    data = caller.get(f"{BASE}/lookup?plate=粤b54321").json()
    assert len(data["calls"]) == 1  # the complaint call gave no plate
    data = caller.get(f"{BASE}/lookup?phone=137-0000-1111").json()
    assert data["repeat_caller"] and data["calls_last_30_days"] == 2 and data["caller_name"] == "李建国"
    assert len(data["complaints"]) == 1
    types = sorted(task["type"] for task in data["open_tasks"])
    assert types == ["insurance_calls.callback", "insurance_calls.complaint", "insurance_calls.revisit"]
    assert caller.get(f"{BASE}/lookup").status_code == 422
    assert caller.get(f"{BASE}/lookup?plate=x").status_code == 422


def test_call_list_filters(caller, caller2, user_ids):
    log(caller2, phone="13511112222", call_type="vehicle_price", fields={"vehicle": "Golf"})
    items = caller.get(f"{BASE}/calls?agent_id={user_ids['caller2']}&call_type=vehicle_price").json()["items"]
    assert items and all(i["agent_id"] == user_ids["caller2"] and i["call_type"] == "vehicle_price" for i in items)
    assert caller.get(f"{BASE}/calls?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z").status_code == 422
    assert caller.get(f"{BASE}/calls?call_type=nope").status_code == 422


def test_other_sites_and_roles(demo_server):
    agent = demo_server.api_client("agent")  # harbour only
    assert agent.get(f"{BASE}/calls").status_code == 404
    manager = demo_server.api_client("manager")
    assert manager.post(f"{BASE}/calls", json=call_body()).status_code == 403
