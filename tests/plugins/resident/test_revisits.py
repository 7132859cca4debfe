"""Revisits worked to the end (issue 17): an unreached resident is called again per the
site's revisit_retry, then escalated to a supervisor; an unsatisfied campaign revisit makes
a follow-up task; revisits past their due time become overdue; the list and its counts;
versions, audits; the same through the pages."""

import datetime as dt
import re

from tests.plugins.resident.conftest import BASE, move, new_case

SITE = "/api/v1/sites/harbour"
PAGES = "/sites/harbour/resident"


def _user_id(server, username):
    from core.identity.models import User

    return server.call(lambda: User.get(username=username)).id


def _campaign(supervisor, unit_ids, agent_ids, **fields):
    created = supervisor.post(f"{BASE}/campaigns", json={"name": "Autumn calls", "rule": {
        "kind": "manual", "unit_ids": unit_ids}, "agent_ids": agent_ids, **fields})
    assert created.status_code == 201, created.text
    assert supervisor.post(f"{BASE}/campaigns/{created.json()['id']}/distribute").status_code == 200
    return created.json()


def _revisits(client, **params):
    response = client.get(f"{BASE}/revisits", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _set_retry(server, **values):
    admin = server.api_client("admin")
    version = admin.get(f"{SITE}/settings").json()["version"]
    return admin.patch(f"{SITE}/settings", json={"version": version, "values": {"resident": {"revisit_retry": values}}})


def _audits(server, revisit_id):
    from core.audit.models import AuditEntry

    return server.call(lambda: AuditEntry.filter(object_type="resident.revisit", object_id=str(revisit_id))
                       .order_by("id").values_list("action", flat=True))


def _when(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


UNREACHED = {"method": "phone", "reached": False, "notes": "No answer"}


def test_an_unreached_resident_is_called_again_after_the_default_interval(demo_server, supervisor, agent, units):
    _campaign(supervisor, [units["A-0101"]], [_user_id(demo_server, "agent")])
    revisit = _revisits(agent, status="pending")[0]
    assert revisit["attempts"] == 0 and revisit["version"] == 1
    missed = agent.post(f"{BASE}/revisits/{revisit['id']}", json=UNREACHED)
    assert missed.status_code == 200, missed.text
    body = missed.json()
    assert body["status"] == "pending" and body["attempts"] == 1 and body["reached"] is None
    assert body["escalated"] is False and body["escalation_task_id"] is None
    gap = _when(body["next_due_at"]) - _when(body["last_attempt_at"])
    assert abs(gap - dt.timedelta(hours=24)) < dt.timedelta(seconds=5)
    assert _audits(demo_server, revisit["id"]) == ["resident.revisit.attempt"]
    # still on the agent's list, and the next call that reaches the resident ends it
    assert [r["id"] for r in _revisits(agent, status="pending")] == [revisit["id"]]
    done = agent.post(f"{BASE}/revisits/{revisit['id']}", json={"method": "phone", "reached": True, "satisfied": True,
                                                                "score": 5, "version": body["version"]})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done" and done.json()["attempts"] == 2 and done.json()["next_due_at"] is None


def test_the_interval_and_the_attempts_come_from_the_site_settings(demo_server, supervisor, agent, units):
    assert _set_retry(demo_server, attempts=2, interval_hours=6).status_code == 200
    _campaign(supervisor, [units["A-0101"]], [_user_id(demo_server, "agent")])
    revisit = _revisits(agent, status="pending")[0]
    first = agent.post(f"{BASE}/revisits/{revisit['id']}", json=UNREACHED).json()
    gap = _when(first["next_due_at"]) - _when(first["last_attempt_at"])
    assert abs(gap - dt.timedelta(hours=6)) < dt.timedelta(seconds=5)
    second = agent.post(f"{BASE}/revisits/{revisit['id']}", json=UNREACHED).json()
    assert second["status"] == "done" and second["attempts"] == 2 and second["escalated"] is True


def test_the_retry_policy_is_validated_naming_the_key(demo_server):
    refused = _set_retry(demo_server, attempts=0)
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["resident.revisit_retry.attempts"]
    refused = _set_retry(demo_server, interval_hours="soon")
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["resident.revisit_retry.interval_hours"]


def test_after_the_last_unreached_attempt_the_revisit_goes_to_a_supervisor(demo_server, supervisor, agent, units):
    _campaign(supervisor, [units["A-0102"]], [_user_id(demo_server, "agent")])
    revisit = _revisits(agent, status="pending")[0]
    for attempt in (1, 2):
        assert agent.post(f"{BASE}/revisits/{revisit['id']}", json=UNREACHED).json()["attempts"] == attempt
    assert _revisits(agent, status="escalated") == []
    last = agent.post(f"{BASE}/revisits/{revisit['id']}", json=UNREACHED)
    assert last.status_code == 200, last.text
    body = last.json()
    assert body["status"] == "done" and body["reached"] is False and body["attempts"] == 3 and body["escalated"]
    task = supervisor.get(f"{SITE}/tasks/{body['escalation_task_id']}").json()
    assert task["type"] == "resident.revisit_escalation" and task["assignee_id"] == _user_id(demo_server, "supervisor")
    assert task["unit_id"] == units["A-0102"] and task["priority"] == "high"
    assert _audits(demo_server, revisit["id"]) == ["resident.revisit.attempt", "resident.revisit.attempt",
                                                   "resident.revisit.record", "resident.revisit.escalate"]
    assert [r["id"] for r in _revisits(supervisor, status="escalated")] == [revisit["id"]]
    # the task page shows what the task is about
    page = demo_server.sign_in("supervisor").get(f"/sites/harbour/tasks/{task['id']}")
    assert page.status_code == 200 and f"Revisit {revisit['id']} of A-0102" in page.text
    # recorded: no more attempts
    assert agent.post(f"{BASE}/revisits/{revisit['id']}", json=UNREACHED).status_code == 409


def test_an_unsatisfied_campaign_revisit_makes_a_follow_up_task(demo_server, supervisor, agent, units):
    household = supervisor.post(f"{BASE}/households", json={"unit_id": units["A-0103"], "members": [
        {"name": "Chen", "relation": "owner"}]}).json()
    _campaign(supervisor, [units["A-0103"], units["A-0104"]], [_user_id(demo_server, "agent")])
    unhappy, happy = _revisits(agent, status="pending")
    recorded = agent.post(f"{BASE}/revisits/{unhappy['id']}", json={
        "method": "phone", "reached": True, "satisfied": False, "score": 2, "evaluation": "Lift still noisy"})
    assert recorded.status_code == 200, recorded.text
    task_id = recorded.json()["follow_up_task_id"]
    task = supervisor.get(f"{SITE}/tasks/{task_id}").json()
    assert task["type"] == "resident.follow_up" and task["unit_id"] == units["A-0103"]
    assert task["assignee_id"] in (_user_id(demo_server, "agent"), _user_id(demo_server, "agent2"))
    assert "Lift still noisy" in task["description"]
    assert "resident.revisit.follow_up" in _audits(demo_server, unhappy["id"])
    from core.tasks.models import Task

    subject = demo_server.call(lambda: Task.get(id=task_id).values("subject_plugin", "subject_kind", "subject_id"))
    assert subject == {"subject_plugin": "resident", "subject_kind": "household", "subject_id": household["id"]}
    page = demo_server.sign_in("supervisor").get(f"/sites/harbour/tasks/{task_id}")
    assert page.status_code == 200 and "Household of A-0103" in page.text
    assert f'href="/sites/harbour/resident/households/{household["id"]}"' in page.text
    satisfied = agent.post(f"{BASE}/revisits/{happy['id']}", json={"method": "phone", "reached": True, "satisfied": True})
    assert satisfied.json()["follow_up_task_id"] is None


def test_a_case_revisit_that_reopens_the_case_makes_no_follow_up(demo_server, supervisor, agent, units):
    case = new_case(supervisor, units["A-0201"])
    supervisor.post(f"{BASE}/cases/{case['id']}/reply", json={"message": "Done."})
    assert move(supervisor, case["task_id"], "resolved").status_code == 200
    created = supervisor.post(f"{BASE}/campaigns", json={"name": "Resolved cases", "rule": {
        "kind": "closed_cases", "from": "2000-01-01", "to": "2099-12-31"}, "agent_ids": [_user_id(demo_server, "agent")]})
    assert created.status_code == 201, created.text
    supervisor.post(f"{BASE}/campaigns/{created.json()['id']}/distribute")
    revisit = _revisits(agent, status="pending", campaign_id=created.json()["id"])[0]
    recorded = agent.post(f"{BASE}/revisits/{revisit['id']}", json={"method": "phone", "reached": True, "satisfied": False})
    assert recorded.status_code == 200 and recorded.json()["follow_up_task_id"] is None
    assert supervisor.get(f"{BASE}/cases/{case['id']}").json()["status"] == "in_progress"  # the case is the remedy


def test_an_unreached_case_revisit_stays_pending_and_the_next_call_records_on_it(demo_server, supervisor, units):
    case = new_case(supervisor, units["A-0202"])
    supervisor.post(f"{BASE}/cases/{case['id']}/reply", json={"message": "Done."})
    assert move(supervisor, case["task_id"], "resolved").status_code == 200
    missed = supervisor.post(f"{BASE}/cases/{case['id']}/revisit", json=UNREACHED)
    assert missed.status_code == 201, missed.text
    assert missed.json()["status"] == "pending" and missed.json()["attempts"] == 1
    stale = supervisor.post(f"{BASE}/cases/{case['id']}/revisit", json={**UNREACHED, "version": 1})
    assert stale.status_code == 409
    again = supervisor.post(f"{BASE}/cases/{case['id']}/revisit", json={"method": "phone", "reached": True,
                                                                        "satisfied": True})
    assert again.json()["id"] == missed.json()["id"] and again.json()["attempts"] == 2
    assert again.json()["case"]["satisfied"] is True


def test_a_stale_version_is_409_and_writes_nothing(demo_server, supervisor, agent, units):
    _campaign(supervisor, [units["A-0101"]], [_user_id(demo_server, "agent")])
    revisit = _revisits(agent, status="pending")[0]
    assert agent.post(f"{BASE}/revisits/{revisit['id']}", json={**UNREACHED, "version": 1}).status_code == 200
    stale = agent.post(f"{BASE}/revisits/{revisit['id']}", json={**UNREACHED, "version": 1})
    assert stale.status_code == 409 and stale.json()["current"]["version"] == 2
    assert _revisits(agent)[0]["attempts"] == 1


def test_revisits_past_their_due_time_become_overdue_once(demo_server, supervisor, agent, units):
    from core.clock import utcnow
    from plugins.resident import services

    _campaign(supervisor, [units["A-0101"], units["A-0102"]], [_user_id(demo_server, "agent")], due_days=1)
    first, second = _revisits(agent, status="pending")
    assert first["due_at"] and not first["overdue"]
    bus = demo_server.app.state.tasks.bus
    assert demo_server.call(lambda: services.mark_overdue_revisits(bus)) == 0
    later = utcnow() + dt.timedelta(days=2)
    assert demo_server.call(lambda: services.mark_overdue_revisits(bus, now=later)) == 2
    assert demo_server.call(lambda: services.mark_overdue_revisits(bus, now=later)) == 0
    assert {r["id"] for r in _revisits(agent, status="overdue")} == {first["id"], second["id"]}
    assert "resident.revisit.overdue" in _audits(demo_server, first["id"])
    # a retry is due again later: no longer overdue
    retried = agent.post(f"{BASE}/revisits/{first['id']}", json=UNREACHED).json()
    assert retried["overdue"] is False
    assert [r["id"] for r in _revisits(agent, status="overdue")] == [second["id"]]
    counts = agent.get(f"{BASE}/revisits/counts").json()
    assert counts == {"pending": 2, "overdue": 1, "done": 0, "escalated": 0, "messaged": 0}


def test_the_list_filters_by_status_campaign_and_agent(demo_server, supervisor, agent, units):
    agent_id, agent2_id = _user_id(demo_server, "agent"), _user_id(demo_server, "agent2")
    autumn = _campaign(supervisor, [units["A-0101"], units["A-0102"]], [agent_id, agent2_id])
    spring = _campaign(supervisor, [units["A-0103"]], [agent_id])
    assert len(_revisits(supervisor, campaign_id=autumn["id"])) == 2
    assert len(_revisits(supervisor, agent_id=agent2_id)) == 1
    mine = _revisits(agent, status="pending")  # an agent sees their own whatever agent_id says
    assert len(mine) == 2 and {r["agent_id"] for r in _revisits(agent, agent_id=agent2_id)} == {agent_id}
    done = mine[0]
    agent.post(f"{BASE}/revisits/{done['id']}", json={"method": "sms", "reached": True, "satisfied": True})
    assert [r["id"] for r in _revisits(supervisor, status="done")] == [done["id"]]
    assert len(_revisits(supervisor, status="pending")) == 2
    assert len(_revisits(supervisor, status="pending", campaign_id=spring["id"])) == 1 - (done["campaign_id"] == spring["id"])
    assert supervisor.get(f"{BASE}/revisits", params={"status": "lost"}).status_code == 422
    paged = supervisor.get(f"{BASE}/revisits", params={"limit": 1}).json()
    assert len(paged["items"]) == 1 and paged["next_cursor"]


def test_the_revisit_page_lists_counts_and_filters(demo_server, supervisor, units):
    _campaign(supervisor, [units["A-0101"], units["A-0102"]], [_user_id(demo_server, "agent")])
    browser = demo_server.sign_in("agent")
    calls = browser.get(f"{PAGES}/calls").text
    revisit_id = re.search(r'action="/sites/harbour/resident/revisits/(\d+)"', calls).group(1)
    recorded = browser.form_post(f"{PAGES}/revisits/{revisit_id}", {"method": "phone", "reached": "no", "version": "1"})
    assert recorded.status_code == 303
    calls = browser.get(f"{PAGES}/calls").text
    assert "Attempt 2 of 3" in calls
    stale = browser.form_post(f"{PAGES}/revisits/{revisit_id}", {"method": "phone", "reached": "no", "version": "1"})
    assert stale.status_code == 409 and "Someone recorded this revisit since you read it." in stale.text
    page = browser.get(f"{PAGES}/revisits")
    assert page.status_code == 200 and "Pending: <strong>2</strong>" in page.text
    assert page.text.count('href="/sites/harbour/resident/units/') == 2
    done_only = browser.get(f"{PAGES}/revisits?status=done")
    assert done_only.status_code == 200 and "No revisits here." in done_only.text


def test_an_important_owner_is_marked_on_the_desk_and_the_case(demo_server, supervisor, units):
    supervisor.post(f"{BASE}/households", json={"unit_id": units["A-0301"], "important": True,
                                                "members": [{"name": "Chen", "relation": "owner"}]})
    case = new_case(supervisor, units["A-0301"])
    plain = new_case(supervisor, units["A-0302"])
    browser = demo_server.sign_in("supervisor")
    desk = browser.get(f"{PAGES}/").text
    row = desk.split(f'/resident/cases/{case["id"]}"', 1)[1].split("</tr>", 1)[0]
    other = desk.split(f'/resident/cases/{plain["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert "Important owner" in row and "Important owner" not in other
    assert "Important owner" in browser.get(f"{PAGES}/cases/{case['id']}").text
    assert "Important owner" not in browser.get(f"{PAGES}/cases/{plain['id']}").text


def test_the_plugin_job_marks_overdue_revisits(demo_server, supervisor, agent, units):
    from core.clock import utcnow
    from plugins.resident import jobs
    from plugins.resident.models import Revisit

    _campaign(supervisor, [units["A-0101"]], [_user_id(demo_server, "agent")], due_days=1)
    revisit = _revisits(agent)[0]

    async def past_due():
        await Revisit.filter(id=revisit["id"]).update(due_at=utcnow() - dt.timedelta(minutes=1))

    demo_server.call(past_due)
    assert demo_server.call(lambda: jobs.check(demo_server.app)) == 1
    assert _revisits(agent, status="overdue")[0]["id"] == revisit["id"]
    page = demo_server.sign_in("agent").get(f"{PAGES}/calls").text
    assert '<span class="badge">Overdue</span>' in page


# --- review fixes: one pending revisit per case under concurrency, the agent check, every attempt kept


def _resolved_case(supervisor, unit_id):
    case = new_case(supervisor, unit_id)
    supervisor.post(f"{BASE}/cases/{case['id']}/reply", json={"message": "Done."})
    assert move(supervisor, case["task_id"], "resolved").status_code == 200
    return case


def _case_revisits(server, case_id):
    from plugins.resident.models import Revisit

    return server.call(lambda: Revisit.filter(case_id=case_id).order_by("id").values("id", "status", "attempts"))


def test_concurrent_unreached_case_revisits_record_attempts_on_one_revisit(demo_server, supervisor, units, monkeypatch):
    """Four unreached calls of one case at once: one pending revisit holding four attempts,
    not four revisits (the case row is locked before the pending revisit is looked up)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from plugins.resident.models import Revisit

    assert _set_retry(demo_server, attempts=6, interval_hours=1).status_code == 200
    case = _resolved_case(supervisor, units["A-0203"])
    create = Revisit.create

    async def slow_create(cls, *args, **kwargs):  # widen the gap between the lookup and the insert
        await asyncio.sleep(0.2)
        return await create(*args, **kwargs)

    monkeypatch.setattr(Revisit, "create", classmethod(slow_create))
    tabs = [demo_server.api_client("supervisor") for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda tab: tab.post(f"{BASE}/cases/{case['id']}/revisit", json=UNREACHED), tabs))
    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    revisits = _case_revisits(demo_server, case["id"])
    assert len(revisits) == 1, revisits
    assert revisits[0]["status"] == "pending" and revisits[0]["attempts"] == 4
    assert {r.json()["id"] for r in responses} == {revisits[0]["id"]}
    assert sorted(r.json()["attempts"] for r in responses) == [1, 2, 3, 4]
    history = supervisor.get(f"{BASE}/cases/{case['id']}").json()["revisits"][0]["attempt_history"]
    assert [a["number"] for a in history] == [1, 2, 3, 4]


def test_a_case_revisit_refuses_a_pending_revisit_on_another_agents_call_list(demo_server, supervisor, units):
    case = _resolved_case(supervisor, units["A-0204"])
    created = supervisor.post(f"{BASE}/campaigns", json={"name": "Resolved cases", "rule": {
        "kind": "closed_cases", "from": "2000-01-01", "to": "2099-12-31"}, "agent_ids": [_user_id(demo_server, "agent")]})
    assert created.status_code == 201, created.text
    supervisor.post(f"{BASE}/campaigns/{created.json()['id']}/distribute")
    [planned] = _case_revisits(demo_server, case["id"])
    other = demo_server.api_client("agent2")
    refused = other.post(f"{BASE}/cases/{case['id']}/revisit", json=UNREACHED)
    assert refused.status_code == 403, refused.text
    assert "another agent's call list" in refused.json()["detail"]
    assert _case_revisits(demo_server, case["id"]) == [planned]  # nothing written
    assert _audits(demo_server, planned["id"]) == []
    # its agent records on it, and so may a campaign manager
    mine = demo_server.api_client("agent").post(f"{BASE}/cases/{case['id']}/revisit", json=UNREACHED)
    assert mine.status_code == 201 and mine.json()["id"] == planned["id"] and mine.json()["attempts"] == 1
    lead = supervisor.post(f"{BASE}/cases/{case['id']}/revisit", json=UNREACHED)
    assert lead.status_code == 201 and lead.json()["id"] == planned["id"] and lead.json()["attempts"] == 2
    # the page takes the same rule
    page = demo_server.sign_in("agent2").form_post(f"/sites/harbour/resident/cases/{case['id']}/revisit",
                                                   {"method": "phone", "reached": "no", "notes": "x"})
    assert page.status_code == 403 and "another agent&#39;s call list" in page.text
    assert _case_revisits(demo_server, case["id"])[0]["attempts"] == 2


def test_the_revisit_record_keeps_every_attempt(demo_server, supervisor, agent, units):
    _campaign(supervisor, [units["A-0104"]], [_user_id(demo_server, "agent")])
    revisit = _revisits(agent, status="pending")[0]
    assert revisit["attempt_history"] == []
    first = agent.post(f"{BASE}/revisits/{revisit['id']}", json={"method": "sms", "reached": False, "notes": "No reply"})
    assert first.status_code == 200, first.text
    assert [(a["number"], a["method"], a["reached"], a["notes"]) for a in first.json()["attempt_history"]] == [
        (1, "sms", False, "No reply")]
    agent.post(f"{BASE}/revisits/{revisit['id']}", json={"method": "phone", "reached": False, "notes": "Line busy"})
    done = agent.post(f"{BASE}/revisits/{revisit['id']}", json={"method": "visit", "reached": True, "satisfied": True,
                                                                "notes": "Met at the door"})
    assert done.status_code == 200, done.text
    history = done.json()["attempt_history"]
    assert [(a["number"], a["method"], a["reached"], a["notes"]) for a in history] == [
        (1, "sms", False, "No reply"), (2, "phone", False, "Line busy"), (3, "visit", True, "Met at the door")]
    assert {a["by_id"] for a in history} == {_user_id(demo_server, "agent")}
    assert _when(history[0]["at"]) <= _when(history[1]["at"]) <= _when(history[2]["at"]) == _when(done.json()["last_attempt_at"])
    # the list shows the same history, and so does the revisit page
    listed = _revisits(supervisor, status="done")
    assert [r["attempt_history"] for r in listed] == [history]
    page = demo_server.sign_in("supervisor").get(f"{PAGES}/revisits").text
    assert "No reply" in page and "Line busy" in page and "Met at the door" in page
    assert "Call 1" in page and "Call 3" in page


def test_the_call_list_shows_the_calls_made_so_far(demo_server, supervisor, units):
    _campaign(supervisor, [units["A-0201"]], [_user_id(demo_server, "agent")])
    browser = demo_server.sign_in("agent")
    revisit_id = re.search(r'action="/sites/harbour/resident/revisits/(\d+)"', browser.get(f"{PAGES}/calls").text).group(1)
    assert "Calls made so far" not in browser.get(f"{PAGES}/calls").text
    recorded = browser.form_post(f"{PAGES}/revisits/{revisit_id}", {"method": "phone", "reached": "no", "version": "1",
                                                                    "notes": "Voicemail left"})
    assert recorded.status_code == 303
    calls = browser.get(f"{PAGES}/calls").text
    assert "Calls made so far" in calls and "Voicemail left" in calls and "Call 1" in calls


def test_the_migration_keeps_the_last_call_of_revisits_recorded_before_it(demo_server, supervisor, agent, units):
    import importlib

    from tortoise import connections

    from plugins.resident.models import RevisitAttempt

    migration = importlib.import_module("plugins.resident.migrations.0008_revisit_attempts")
    _campaign(supervisor, [units["A-0102"], units["A-0103"]], [_user_id(demo_server, "agent")])
    called, untouched = _revisits(agent, status="pending")
    agent.post(f"{BASE}/revisits/{called['id']}", json=UNREACHED)
    agent.post(f"{BASE}/revisits/{called['id']}", json={"method": "email", "reached": True, "satisfied": False})

    async def backfill():
        await RevisitAttempt.all().delete()  # as before the migration: no attempt rows
        await connections.get("default").execute_script(migration.BACKFILL)
        return await RevisitAttempt.all().order_by("id").values("revisit_id", "number", "method", "reached", "by_id")

    assert demo_server.call(backfill) == [{"revisit_id": called["id"], "number": 2, "method": "email", "reached": True,
                                           "by_id": _user_id(demo_server, "agent")}]
    assert untouched["attempts"] == 0  # never called: no history to keep
