"""Cases: intake, escalation, duplicates, reply, and the closed loop through the API."""

from tests.plugins.resident.conftest import BASE, move, new_case


def test_a_case_is_a_kernel_task_of_its_kind_with_an_sla(supervisor, units):
    case = new_case(supervisor, units["A-0101"], kind="repair", category="plumbing", title="Leaking tap")
    task = supervisor.get(f"/api/v1/sites/harbour/tasks/{case['task_id']}").json()
    assert task["type"] == "resident.repair" and task["unit_id"] == units["A-0101"]
    assert task["due_at"] and case["reply_due_at"] and task["assignee_id"] is not None


def test_a_case_on_another_sites_unit_is_refused_naming_the_field(supervisor, demo_server):
    from core.entities.models import Site, Unit

    async def foreign():
        lotus = await Site.get(code="lotus")
        return (await Unit.create(site=lotus, code="L-101", kind="room")).id

    response = supervisor.post(f"{BASE}/cases", json={"kind": "repair", "channel": "phone", "unit_id": demo_server.call(foreign),
                                                      "title": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "unit_id"
    assert supervisor.get(f"{BASE}/cases").json()["items"] == []


def test_a_major_complaint_goes_to_the_supervisor_at_once(agent, user_ids, units):
    case = new_case(agent, units["A-0102"], severity="major")
    assert case["assignee_id"] == user_ids["supervisor"]
    assert case["escalated_to"] == "supervisor" and case["priority"] == "urgent"
    events = agent.get(f"/api/v1/sites/harbour/tasks/{case['task_id']}/events").json()
    assert "escalated" in [e["kind"] for e in events]
    normal = new_case(agent, units["A-0103"])
    assert normal["assignee_id"] in (user_ids["agent"], user_ids["agent2"]) and normal["escalated_to"] is None


def test_an_important_owners_case_goes_to_the_supervisor(agent, user_ids, units):
    response = agent.post(f"{BASE}/households", json={"unit_id": units["B-0301"], "important": True,
                                                      "members": [{"name": "Owner", "relation": "owner"}]})
    assert response.status_code == 201, response.text
    case = new_case(agent, units["B-0301"], kind="repair", category="lift")
    assert case["assignee_id"] == user_ids["supervisor"]


def test_duplicates_on_the_same_unit_and_category_are_offered_and_can_be_merged(agent, units):
    first = new_case(agent, units["A-0201"], kind="repair", category="water")
    second = new_case(agent, units["A-0201"], kind="repair", category="water")
    other = new_case(agent, units["A-0201"], kind="repair", category="lift")
    assert second["duplicates"] == [first["id"]] and other["duplicates"] == []
    merged = agent.post(f"{BASE}/cases/{second['id']}/merge", json={"into_id": first["id"]})
    assert merged.status_code == 200, merged.text
    assert merged.json()["merged_into_id"] == first["id"] and merged.json()["status"] == "cancelled"
    assert agent.post(f"{BASE}/cases/{second['id']}/merge", json={"into_id": first["id"]}).status_code == 409


def test_the_reply_is_the_first_response(agent, units):
    case = new_case(agent, units["A-0301"], kind="inquiry", category="parking")
    assert agent.post(f"{BASE}/cases/{case['id']}/reply", json={"message": ""}).status_code == 422
    replied = agent.post(f"{BASE}/cases/{case['id']}/reply", json={"message": "Parking permits are at the office."})
    assert replied.status_code == 200
    body = replied.json()
    assert body["replied_at"] and body["status"] == "in_progress"
    kinds = [e["kind"] for e in agent.get(f"/api/v1/sites/harbour/tasks/{case['task_id']}/events").json()]
    assert "replied" in kinds


def test_closed_loop_end_to_end(supervisor, units):
    case = new_case(supervisor, units["A-0401"])
    url = f"{BASE}/cases/{case['id']}"
    # a revisit before the case is resolved is refused
    early = supervisor.post(f"{url}/revisit", json={"method": "phone", "reached": True, "satisfied": True})
    assert early.status_code == 409
    supervisor.post(f"{url}/reply", json={"message": "We will talk to the neighbours."})
    assert move(supervisor, case["task_id"], "resolved").status_code == 200
    # no closing before a satisfied revisit: 409 naming the rule
    refused = move(supervisor, case["task_id"], "closed")
    assert refused.status_code == 409 and "resident.complaint.revisit_before_close" in refused.json()["detail"]
    # an unreached revisit changes nothing
    missed = supervisor.post(f"{url}/revisit", json={"method": "phone", "reached": False})
    assert missed.status_code == 201 and missed.json()["case"]["status"] == "resolved"
    # unsatisfied: reopened and escalated
    unhappy = supervisor.post(f"{url}/revisit", json={"method": "phone", "reached": True, "satisfied": False, "score": 2})
    assert unhappy.status_code == 201, unhappy.text
    assert unhappy.json()["case"]["status"] == "in_progress" and unhappy.json()["case"]["reopen_count"] == 1
    assert unhappy.json()["case"]["escalated_to"] == "supervisor"
    assert move(supervisor, case["task_id"], "resolved").status_code == 200
    # A complaint closes with its category (given at intake) and its cause, from the site's lists.
    assert supervisor.post(f"{url}/classify", json={"cause": "neighbour"}).status_code == 200
    happy = supervisor.post(f"{url}/revisit", json={"method": "visit", "reached": True, "satisfied": True, "score": 5})
    assert happy.status_code == 201 and happy.json()["case"]["satisfied"] is True
    closed = move(supervisor, case["task_id"], "closed")
    assert closed.status_code == 200, closed.text
    assert supervisor.get(url).json()["status"] == "closed"


def test_a_revisit_must_say_whether_the_resident_was_satisfied(supervisor, units):
    case = new_case(supervisor, units["A-0402"], kind="repair")
    move(supervisor, case["task_id"], "in_progress")
    move(supervisor, case["task_id"], "resolved")
    response = supervisor.post(f"{BASE}/cases/{case['id']}/revisit", json={"method": "phone", "reached": True})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "satisfied"


def test_reopened_more_than_the_limit_escalates_to_the_manager(supervisor, user_ids, units):
    case = new_case(supervisor, units["A-0501"])
    url = f"{BASE}/cases/{case['id']}"
    for _round in range(3):  # the default limit is 2 reopenings
        move(supervisor, case["task_id"], "in_progress")
        assert move(supervisor, case["task_id"], "resolved").status_code == 200
        supervisor.post(f"{url}/revisit", json={"method": "phone", "reached": True, "satisfied": False})
    body = supervisor.get(url).json()
    assert body["reopen_count"] == 3 and body["escalated_to"] == "manager"
    assert body["assignee_id"] == user_ids["manager"]


def test_a_repair_closes_without_a_revisit_but_a_complaint_does_not(supervisor, units):
    repair = new_case(supervisor, units["A-0601"], kind="repair")
    for to in ("in_progress", "resolved", "closed"):
        assert move(supervisor, repair["task_id"], to).status_code == 200
