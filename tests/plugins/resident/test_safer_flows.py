"""Issue 22's safer resident flows over real HTTP: revisit answers start empty and must be
chosen, unit codes in any case."""

from core.tasks.models import Task
from tests.plugins.resident.conftest import BASE, move, new_case

PAGES = "/sites/harbour/resident"


def test_the_revisit_form_starts_without_answers_and_requires_them(demo_server, units, supervisor):
    case = new_case(supervisor, units["A-0101"])
    supervisor.post(f"{BASE}/cases/{case['id']}/reply", json={"message": "We will talk to the neighbours."})
    assert move(supervisor, case["task_id"], "resolved").status_code == 200
    browser = demo_server.sign_in("supervisor")
    page = browser.get(f"{PAGES}/cases/{case['id']}").text
    reached = page.split('id="reached-case"', 1)[1].split("</select>", 1)[0]
    # No option is pre-selected: the first (empty) one shows, and the browser refuses an empty answer.
    assert "selected" not in reached and 'required' in reached and '<option value="">' in reached
    url = f"{PAGES}/cases/{case['id']}/revisit"
    missing = browser.form_post(url, {"method": "phone"})
    assert missing.status_code == 422 and "Choose whether the resident was reached." in missing.text
    no_satisfaction = browser.form_post(url, {"method": "phone", "reached": "yes"})
    assert no_satisfaction.status_code == 422 and "Choose whether the resident was satisfied." in no_satisfaction.text
    assert "not reached" not in browser.get(f"{PAGES}/cases/{case['id']}").text  # nothing recorded
    # Not reached: satisfaction is not asked.
    assert browser.form_post(url, {"method": "phone", "reached": "no"}).status_code == 303
    assert "not reached" in browser.get(f"{PAGES}/cases/{case['id']}").text


def test_the_case_page_carries_its_tasks_sla_and_assignment(demo_server, units, supervisor, user_ids):
    case = new_case(supervisor, units["A-0101"])
    task = demo_server.api_client("supervisor").get(f"/api/v1/sites/harbour/tasks/{case['task_id']}").json()
    browser = demo_server.sign_in("supervisor")
    page = browser.get(f"{PAGES}/cases/{case['id']}").text
    due = page.split('id="case-due">', 1)[1].split("</dd>", 1)[0]
    assert task["due_at"] and due.strip() != "–" and "data-overdue" not in due
    assert f'action="{PAGES}/cases/{case["id"]}/assign"' in page and 'name="assignee"' in page
    given = browser.form_post(f"{PAGES}/cases/{case['id']}/assign",
                              {"assignee": str(user_ids["agent"]), "version": str(task["version"])})
    assert given.status_code == 303 and given.headers["location"].endswith(f"/cases/{case['id']}")
    after = supervisor.get(f"/api/v1/sites/harbour/tasks/{case['task_id']}").json()
    assert after["assignee_id"] == user_ids["agent"]
    stale = browser.form_post(f"{PAGES}/cases/{case['id']}/assign", {"assignee": "balanced", "version": str(task["version"])})
    assert stale.status_code == 409  # the page re-shown with the reason, nothing changed
    bad = browser.form_post(f"{PAGES}/cases/{case['id']}/assign", {"assignee": "x", "version": str(after["version"])})
    assert bad.status_code == 422 and "Choose who gets the task." in bad.text


def test_an_overdue_case_says_so_in_words(demo_server, units, supervisor):
    case = new_case(supervisor, units["A-0101"])
    demo_server.call(lambda: Task.filter(id=case["task_id"]).update(overdue=True))
    page = demo_server.sign_in("supervisor").get(f"{PAGES}/cases/{case['id']}").text
    due = page.split('id="case-due">', 1)[1].split("</dd>", 1)[0]
    assert "data-overdue" in due and "Overdue" in due


def test_my_work_opens_the_case_and_the_agent_lands_on_own_and_new_cases(demo_server, units, supervisor, user_ids):
    mine = new_case(supervisor, units["A-0101"], title="Mine: dripping tap")
    theirs = new_case(supervisor, units["A-0201"], title="Theirs: squeaky door")
    new = new_case(supervisor, units["A-0301"], title="New: lift noise")
    api = demo_server.api_client("supervisor")

    def give(case, user_id):
        task = api.get(f"/api/v1/sites/harbour/tasks/{case['task_id']}").json()
        response = api.post(f"/api/v1/sites/harbour/tasks/{case['task_id']}/assign",
                            json={"assignee_id": user_id, "version": task["version"]})
        assert response.status_code == 200, response.text

    give(mine, user_ids["agent"])
    give(theirs, user_ids["supervisor"])
    demo_server.call(lambda: Task.filter(id=new["task_id"]).update(assignee_id=None))  # nobody took it yet
    agent = demo_server.sign_in("agent")
    work = agent.get("/sites/harbour/my-work").text
    assert f'href="{PAGES}/cases/{mine["id"]}"' in work  # the case, not /tasks/<id>
    assert f'/tasks/{mine["task_id"]}"' not in work
    # (cases the supervisor took in: the agent did not; one the agent takes in stays on their list)
    landing = agent.get(f"{PAGES}/").text.split('id="case-filter"', 1)[1]
    assert "Mine: dripping tap" in landing and "New: lift noise" in landing and "Theirs: squeaky door" not in landing
    assert landing.index("Mine: dripping tap") < landing.index("New: lift noise")  # own first
    everything = agent.get(f"{PAGES}/?show=all").text
    assert "Theirs: squeaky door" in everything
    # the agent takes the new case from its page
    page = agent.get(f"{PAGES}/cases/{new['id']}").text
    assert "Take this case" in page
    version = api.get(f"/api/v1/sites/harbour/tasks/{new['task_id']}").json()["version"]
    taken = agent.form_post(f"{PAGES}/cases/{new['id']}/assign", {"assignee": "me", "version": str(version)})
    assert taken.status_code == 303
    assert api.get(f"/api/v1/sites/harbour/tasks/{new['task_id']}").json()["assignee_id"] == user_ids["agent"]
    # but not one someone else holds
    version = api.get(f"/api/v1/sites/harbour/tasks/{theirs['task_id']}").json()["version"]
    refused = agent.form_post(f"{PAGES}/cases/{theirs['id']}/assign", {"assignee": "me", "version": str(version)})
    assert refused.status_code == 403
