"""A case and its task: the task names its case, cancelling a complaint is a supervisor's
act that still counts, and each page links to the other."""

from tests.plugins.resident.conftest import BASE, new_case

TASKS = "/api/v1/sites/harbour/tasks"


def _cancel(client, task_id, note="Withdrawn by the resident"):
    task = client.get(f"{TASKS}/{task_id}").json()
    return client.post(f"{TASKS}/{task_id}/transition", json={"to": "cancelled", "version": task["version"],
                                                              "note": note})


def test_the_task_of_a_case_names_the_case(agent, units):
    case = new_case(agent, units["A-0101"], kind="repair", category="plumbing", title="Leaking tap")
    task = agent.get(f"{TASKS}/{case['task_id']}").json()
    assert task["subject"] == {"plugin": "resident", "kind": "case", "id": case["id"]}


def test_an_agent_cannot_cancel_a_complaint_a_supervisor_can_and_it_still_counts(agent, supervisor, units,
                                                                                   user_ids):
    case = new_case(agent, units["B-0901"])
    task = supervisor.get(f"{TASKS}/{case['task_id']}").json()
    given = supervisor.post(f"{TASKS}/{task['id']}/assign", json={"assignee_id": user_ids["agent"],
                                                                  "version": task["version"]})
    assert given.status_code == 200  # the agent's own complaint: only the cancel permission is missing
    refused = _cancel(agent, case["task_id"])
    assert refused.status_code == 403 and "resident.complaint.cancel" in refused.json()["detail"]
    assert agent.get(f"{TASKS}/{case['task_id']}").json()["status"] != "cancelled"
    done = _cancel(supervisor, case["task_id"])
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    data = supervisor.get(f"{BASE}/kpis").json()
    assert data["complaints"] == 1 and data["handled"] == 1 and data["handled_to_standard"] == 0
    assert data["standard_handling_rate"] == 0.0


def test_an_agent_may_still_cancel_their_repair_with_a_reason(agent, supervisor, units, user_ids):
    case = new_case(agent, units["A-0102"], kind="repair", category="plumbing", title="Dripping tap")
    task = supervisor.get(f"{TASKS}/{case['task_id']}").json()
    supervisor.post(f"{TASKS}/{task['id']}/assign", json={"assignee_id": user_ids["agent"], "version": task["version"]})
    assert _cancel(agent, case["task_id"]).status_code == 200


def test_the_case_page_links_its_task_and_the_task_page_shows_the_case(demo_server, agent, units):
    case = new_case(agent, units["A-0101"], kind="repair", category="plumbing", title="Leaking tap")
    page = demo_server.sign_in("agent")
    case_page = page.get(f"/sites/harbour/resident/cases/{case['id']}").text
    assert f'href="/sites/harbour/tasks/{case["task_id"]}"' in case_page
    task_page = page.get(f"/sites/harbour/tasks/{case['task_id']}").text
    assert f'href="/sites/harbour/resident/cases/{case["id"]}"' in task_page
    assert f'action="/sites/harbour/resident/cases/{case["id"]}/reply"' in task_page  # reply from the task
