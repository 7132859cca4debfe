"""Task types belong to their plugin: what the generic task routes may do with them."""

import pytest

from core.audit.models import AuditEntry
from core.tasks.models import Task

OWNED = [
    # (site, user, type, the plugin's own endpoint named in the refusal)
    ("harbour", "agent", "resident.complaint", "/resident/cases"),
    ("sunrise", "caller", "insurance_calls.complaint", "/insurance/calls"),
    ("lotus", "housekeeper", "cashier.refund_approval", "/cashier/transactions/{id}/decision"),
    ("lotus", "frontdesk", "hotel.departure_clean", "/hotel/rooms/{id}/check-out"),
]


def _counts(server):
    async def count():
        return await Task.all().count(), await AuditEntry.filter(action="task.create").count()
    return server.call(count)


@pytest.mark.parametrize("site, username, type_name, endpoint", OWNED)
def test_generic_creation_of_a_plugin_owned_type_is_422_naming_its_endpoint(demo_server, site, username, type_name,
                                                                            endpoint):
    client = demo_server.api_client(username)
    before = _counts(demo_server)
    response = client.post(f"/api/v1/sites/{site}/tasks", json={"type": type_name, "title": "Made up"})
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["field"] == "type" and type_name in error["message"] and endpoint in error["message"]
    assert _counts(demo_server) == before  # nothing written


def test_the_new_task_page_offers_only_types_it_may_create(demo_server):
    page = demo_server.sign_in("frontdesk").get("/sites/lotus/tasks/new").text
    assert 'value="core.general"' in page and 'value="hotel.guest_request"' in page
    assert 'value="hotel.departure_clean"' not in page and 'value="cashier.refund_approval"' not in page
    refused = demo_server.sign_in("frontdesk")
    form = refused.get("/sites/lotus/tasks/new")
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = refused.post("/sites/lotus/tasks/new", data={"csrf_token": token, "type": "cashier.refund_approval",
                                                            "title": "Made up", "priority": "normal"})
    assert response.status_code == 422 and "cashier.refund_approval" in response.text


def test_task_types_say_what_the_generic_routes_may_do(demo_server):
    listed = {t["name"]: t for t in demo_server.api_client("agent").get("/api/v1/task-types").json()}
    assert listed["core.general"]["generic"] == {"create": True, "cancel": True, "close": True}
    assert listed["resident.complaint"]["generic"]["create"] is False
    assert listed["resident.complaint"]["cancel_permission"] == "resident.complaint.cancel"
    assert listed["cashier.refund_approval"]["generic"] == {"create": False, "cancel": False, "close": False}
    assert listed["resident.repair"]["owner_endpoint"] == "POST /api/v1/sites/{site}/resident/cases"


def test_cancelling_needs_a_reason(demo_server):
    from tests.core.tasks.conftest import move, new_task

    agent = demo_server.api_client("agent")
    task = new_task(agent)
    refused = move(agent, task, "cancelled")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "note"
    blank = move(agent, task, "cancelled", note="   ")
    assert blank.status_code == 422
    assert agent.get(f"/api/v1/sites/harbour/tasks/{task['id']}").json()["status"] == "open"
    done = move(agent, task, "cancelled", note="The resident withdrew the request")
    assert done.status_code == 200 and done.json()["status"] == "cancelled"


def test_the_task_page_asks_for_the_reason_to_cancel(demo_server):
    from tests.core.tasks.conftest import new_task

    task = new_task(demo_server.api_client("agent"))
    page = demo_server.sign_in("agent")
    html = page.get(f"/sites/harbour/tasks/{task['id']}").text
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    refused = page.post(f"/sites/harbour/tasks/{task['id']}/transition",
                        data={"csrf_token": token, "to": "cancelled", "version": task["version"], "note": ""})
    assert refused.status_code == 422 and "reason for cancelling" in refused.text and 'role="alert"' in refused.text
    stale = page.post(f"/sites/harbour/tasks/{task['id']}/transition",
                      data={"csrf_token": token, "to": "cancelled", "version": task["version"] + 5, "note": "Duplicate"})
    assert stale.status_code == 409 and 'value="Duplicate"' in stale.text  # what was typed is kept
