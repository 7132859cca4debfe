"""First-contact ownership (首問負責制, issue 17): the taker of a request may resolve it on
the spot although balanced assignment gave it to someone else (a site setting, on by
default), and follows it as a watcher otherwise."""

from __future__ import annotations

import asyncio

import pytest

from core.audit.models import AuditEntry
from core.identity.models import User
from core.tasks.models import Task, TaskEvent, TaskWatcher
from tests.core.tasks.conftest import move, new_task
from tests.plugins.resident.conftest import take_permission

SITE = "/api/v1/sites/harbour"


def user_id(server, username: str) -> int:
    return server.call(lambda: User.get(username=username)).id


def task_of(client, task_id: int) -> dict:
    response = client.get(f"{SITE}/tasks/{task_id}")
    assert response.status_code == 200, response.text
    return response.json()


def kinds(client, task_id: int) -> list[str]:
    return [event["kind"] for event in client.get(f"{SITE}/tasks/{task_id}/events").json()]


def set_first_contact(server, on: bool) -> None:
    admin = server.api_client("admin")
    version = admin.get(f"{SITE}/settings").json()["version"]
    response = admin.patch(f"{SITE}/settings", json={"version": version,
                                                     "values": {"tasks": {"first_contact_resolution": on}}})
    assert response.status_code == 200, response.text


@pytest.fixture
def agent_busy(demo_server, no_demo_tasks, supervisor):
    """agent holds one open task, so balanced assignment gives the next one to agent2."""
    new_task(supervisor, title="Already on agent's desk", assignee_id=user_id(demo_server, "agent"))


def resident_inquiry(demo_server, client, kind: str = "inquiry") -> dict:
    units = client.get(f"{SITE}/units?limit=200").json()["items"]
    response = client.post(f"{SITE}/resident/cases", json={
        "kind": kind, "channel": "phone", "unit_id": units[-1]["id"], "title": "When is the water back?"})
    assert response.status_code == 201, response.text
    return task_of(client, response.json()["task_id"])


def test_the_setting_is_a_site_setting_on_by_default(demo_server):
    body = demo_server.api_client("admin").get(f"{SITE}/settings").json()
    group = next(item for item in body["groups"] if item["group"] == "tasks")
    setting = next(item for item in group["settings"] if item["key"] == "first_contact_resolution")
    assert (setting["type"], setting["value"], setting["default"]) == ("bool", True, True)
    assert setting["label"] and setting["help"]


def test_a_resident_agent_resolves_an_inquiry_balanced_to_agent2_on_the_spot(demo_server, agent_busy, agent):
    agent_id, agent2_id = user_id(demo_server, "agent"), user_id(demo_server, "agent2")
    task = resident_inquiry(demo_server, agent)
    assert task["assignee_id"] == agent2_id and task["created_by_id"] == agent_id
    assert task["watchers"] == [agent_id]  # the taker follows what went to someone else

    taken = move(agent, task, "in_progress", note="Answered on the phone")
    assert taken.status_code == 200, taken.text
    assert taken.json()["assignee_id"] == agent_id  # handled on the spot: it is the taker's now
    resolved = move(agent, taken.json(), "resolved")
    assert resolved.status_code == 200, resolved.text

    events = agent.get(f"{SITE}/tasks/{task['id']}/events").json()
    assert [e["kind"] for e in events] == ["created", "assigned", "watch_added", "transitioned", "assigned",
                                           "transitioned"]
    first_contact = demo_server.call(lambda: TaskEvent.filter(task_id=task["id"], kind="assigned").order_by("-id")
                                     .first())
    assert first_contact.data == {"assignee_id": agent_id, "previous": agent2_id, "first_contact": True}
    audited = demo_server.call(lambda: AuditEntry.filter(action="task.transition", object_id=str(task["id"]))
                               .order_by("id").first())
    assert audited.before == {"status": "open", "assignee_id": agent2_id}
    assert audited.after == {"status": "in_progress", "assignee_id": agent_id}


def test_with_the_setting_off_the_taker_gets_403_as_before(demo_server, agent_busy, agent):
    set_first_contact(demo_server, False)
    task = resident_inquiry(demo_server, agent)
    refused = move(agent, task, "in_progress")
    assert refused.status_code == 403, refused.text
    assert task_of(agent, task["id"])["status"] == "open"
    assert task_of(agent, task["id"])["watchers"] == [user_id(demo_server, "agent")]  # still follows it


def test_the_taker_watches_and_sees_agent2s_progress(demo_server, agent_busy, agent):
    task = resident_inquiry(demo_server, agent)
    watching = agent.get(f"{SITE}/tasks?watching=me").json()["items"]
    assert [item["id"] for item in watching] == [task["id"]]
    assert agent.get(f"{SITE}/tasks?watching=me&status=closed").json()["items"] == []

    agent2 = demo_server.api_client("agent2")
    step = move(agent2, task, "in_progress", note="Calling the water company")
    assert step.status_code == 200, step.text
    assert move(agent2, step.json(), "resolved", note="Water back at 3 pm").status_code == 200

    history = agent.get(f"{SITE}/tasks/{task['id']}/events").json()
    progress = [(e["kind"], e["to_status"], e["note"]) for e in history if e["actor_id"] == user_id(demo_server, "agent2")]
    assert progress == [("transitioned", "in_progress", "Calling the water company"),
                        ("transitioned", "resolved", "Water back at 3 pm")]
    # once agent2 has started, the taker no longer takes it over
    assert move(agent, task_of(agent, task["id"]), "closed").status_code == 403
    comment = agent.post(f"{SITE}/tasks/{task['id']}/comments", json={"body": "Thanks, told the resident."})
    assert comment.status_code == 201, comment.text


def test_the_kernels_guards_still_hold_for_the_taker(demo_server, agent_busy, agent):
    """A complaint the taker resolves on the spot still closes only after a satisfied revisit."""
    demo_server.call(lambda: User.filter(username__in=["agent", "agent2"]).update(skills=[]))
    task = resident_inquiry(demo_server, agent, kind="complaint")
    assert task["assignee_id"] == user_id(demo_server, "agent2")
    task = move(agent, task, "in_progress").json()
    task = move(agent, task, "resolved").json()
    refused = move(agent, task, "closed")
    assert refused.status_code == 409 and "resident.complaint.revisit_before_close" in refused.text


def test_only_moves_towards_done_and_only_while_balanced_assignment_stands(demo_server, agent_busy, agent,
                                                                          supervisor):
    agent2_id = user_id(demo_server, "agent2")
    for _ in range(3):  # agent stays the busier one, so balanced assignment keeps choosing agent2
        new_task(supervisor, assignee_id=user_id(demo_server, "agent"))
    task = resident_inquiry(demo_server, agent)
    assert task["assignee_id"] == agent2_id
    assert move(agent, task, "cancelled", note="not needed").status_code == 403  # not towards done

    by_hand = new_task(agent, assignee_id=agent2_id)  # the taker chose who does it
    assert move(agent, by_hand, "in_progress").status_code == 403

    reassigned = resident_inquiry(demo_server, agent)
    handed = supervisor.post(f"{SITE}/tasks/{reassigned['id']}/assign",
                             json={"assignee_id": agent2_id, "version": reassigned["version"]})
    assert handed.status_code == 200
    assert move(agent, handed.json(), "in_progress").status_code == 403  # a supervisor decided

    others = resident_inquiry(demo_server, supervisor)  # not agent's own intake
    assert others["assignee_id"] == agent2_id
    assert move(agent, others, "in_progress").status_code == 403


def test_the_taker_becomes_a_watcher_only_when_someone_else_holds_the_task(demo_server, no_demo_tasks, agent,
                                                                          supervisor):
    agent_id = user_id(demo_server, "agent")
    assert task_of(agent, new_task(agent)["id"])["watchers"] == []  # unassigned
    assert task_of(agent, new_task(agent, assignee_id=agent_id)["id"])["watchers"] == []  # their own
    given = new_task(agent, assignee_id=user_id(demo_server, "agent2"))
    assert task_of(agent, given["id"])["watchers"] == [agent_id]
    created = demo_server.call(lambda: AuditEntry.get(action="task.create", object_id=str(given["id"])))
    assert created.after["watchers"] == [agent_id]  # audited with the change that made them one

    later = new_task(agent)  # unassigned at first, given to agent2 by the supervisor
    handed = supervisor.post(f"{SITE}/tasks/{later['id']}/assign",
                             json={"assignee_id": user_id(demo_server, "agent2"), "version": later["version"]})
    assert handed.status_code == 200
    assert task_of(agent, later["id"])["watchers"] == [agent_id]
    assert kinds(agent, later["id"])[-1] == "watch_added"
    assigned = demo_server.call(lambda: AuditEntry.get(action="task.assign", object_id=str(later["id"])))
    assert assigned.after["watchers_added"] == [agent_id]


def test_watchers_added_and_removed_by_themselves_and_supervisors(demo_server, no_demo_tasks, agent, supervisor):
    agent_id, agent2_id = user_id(demo_server, "agent"), user_id(demo_server, "agent2")
    task = new_task(supervisor, assignee_id=user_id(demo_server, "supervisor"))
    url = f"{SITE}/tasks/{task['id']}/watchers"

    added = agent.post(url, json={})
    assert added.status_code == 201, added.text
    assert added.json()["user_id"] == agent_id and added.json()["reason"] == "added"
    assert agent.post(url, json={}).status_code == 409
    assert agent.post(url, json={"user_id": agent2_id}).status_code == 403  # someone else: a supervisor's act
    unknown = supervisor.post(url, json={"user_id": 999999})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "user_id"
    outsider = supervisor.post(url, json={"user_id": user_id(demo_server, "caller")})  # not a harbour member
    assert outsider.status_code == 422 and outsider.json()["errors"][0]["field"] == "user_id"
    assert supervisor.post(url, json={"user_id": agent2_id}).status_code == 201
    assert [w["user_id"] for w in agent.get(url).json()] == [agent_id, agent2_id]

    assert agent.delete(f"{url}/{agent2_id}").status_code == 403
    assert agent.delete(f"{url}/{agent_id}").status_code == 204
    assert agent.delete(f"{url}/{agent_id}").status_code == 404
    assert supervisor.delete(f"{url}/{agent2_id}").status_code == 204
    assert agent.get(url).json() == []
    assert [k for k in kinds(agent, task["id"]) if k.startswith("watch")] == [
        "watch_added", "watch_added", "watch_removed", "watch_removed"]
    actions = demo_server.call(lambda: AuditEntry.filter(object_id=str(task["id"]), action__startswith="task.watch")
                               .order_by("id").values_list("action", flat=True))
    assert actions == ["task.watch.add", "task.watch.add", "task.watch.remove", "task.watch.remove"]


def test_a_watcher_without_core_task_read_still_sees_the_task(demo_server, agent_busy, agent, supervisor):
    task = resident_inquiry(demo_server, agent)
    unwatched = new_task(supervisor)
    take_permission(demo_server, "agent", "core.task.read")
    assert task_of(agent, task["id"])["id"] == task["id"]
    assert agent.get(f"{SITE}/tasks/{task['id']}/events").status_code == 200
    assert [item["id"] for item in agent.get(f"{SITE}/tasks?watching=me").json()["items"]] == [task["id"]]
    assert agent.get(f"{SITE}/tasks").status_code == 403
    assert agent.get(f"{SITE}/tasks/{unwatched['id']}").status_code == 403
    assert agent.get(f"{SITE}/tasks/{unwatched['id']}/events").status_code == 403
    assert agent.get(f"{SITE}/tasks/99999999").status_code == 403  # no telling what exists


def test_watchers_get_their_tasks_live_events_without_core_task_read(demo_server, agent_busy, agent):
    task = resident_inquiry(demo_server, agent)
    kernel, bus = demo_server.app.state.tasks, demo_server.app.state.events
    site_id = demo_server.call(lambda: Task.get(id=task["id"])).site_id

    agent_id, supervisor_id = user_id(demo_server, "agent"), user_id(demo_server, "supervisor")

    async def hear():
        watcher = bus.subscribe(site_id, set(), user_id=agent_id)
        stranger = bus.subscribe(site_id, set(), user_id=supervisor_id)
        try:
            model = await Task.get(id=task["id"])
            agent2 = await User.get(username="agent2")
            await kernel.transition(model, "in_progress", model.version, agent2)
            event = await asyncio.wait_for(watcher.queue.get(), 2)
            return event.name, event.data["id"], stranger.queue.empty()
        finally:
            bus.unsubscribe(watcher)
            bus.unsubscribe(stranger)

    assert demo_server.call(hear) == ("task.transitioned", task["id"], True)


def test_an_insurance_complaint_is_watched_by_the_caller_who_took_it(demo_server):
    caller = demo_server.api_client("caller")
    response = caller.post("/api/v1/sites/sunrise/insurance/calls", json={
        "direction": "inbound", "phone": "0912345678", "call_type": "complaint", "caller_name": "Mr Chen",
        "summary": "The claim took too long", "outcome": "complaint"})
    assert response.status_code == 201, response.text
    complaint_id = response.json()["complaint_task_id"]
    complaint = caller.get(f"/api/v1/sites/sunrise/tasks/{complaint_id}").json()
    caller_id = user_id(demo_server, "caller")
    assert complaint["created_by_id"] == caller_id and complaint["assignee_id"] != caller_id
    assert caller_id in complaint["watchers"]
    watching = caller.get("/api/v1/sites/sunrise/tasks?watching=me&limit=200").json()["items"]
    assert complaint_id in [item["id"] for item in watching]
    assert demo_server.call(lambda: TaskWatcher.filter(task_id=complaint_id, user_id=caller_id).first()).reason == "taker"
    # complaints go to supervisors: a call agent follows it, but does not take it over
    taken = caller.post(f"/api/v1/sites/sunrise/tasks/{complaint_id}/transition",
                        json={"to": "in_progress", "version": complaint["version"]})
    assert taken.status_code == 403, taken.text


# --- pages ---------------------------------------------------------------------------------


def test_my_work_lists_what_i_watch(demo_server, agent_busy, agent):
    task = resident_inquiry(demo_server, agent)
    page = demo_server.sign_in("agent").get("/sites/harbour/my-work")
    assert page.status_code == 200
    watching = page.text.split('id="watching"')[1]
    # A case's task opens where it is worked: the case page (its task type's page).
    assert f"/sites/harbour/resident/cases/{task['subject']['id']}" in watching and "李專員 Agent Li" in watching


def test_the_task_page_offers_the_taker_the_move_on_the_spot(demo_server, agent_busy, agent):
    task = resident_inquiry(demo_server, agent)
    browser = demo_server.sign_in("agent")
    page = browser.get(f"/sites/harbour/tasks/{task['id']}").text
    assert 'name="to" value="in_progress"' in page and 'value="cancelled"' not in page
    assert "stop-watching" in page
    taken = browser.form_post(f"/sites/harbour/tasks/{task['id']}/transition",
                              {"to": "in_progress", "note": "", "version": str(task["version"])})
    assert taken.status_code in (200, 303), taken.text
    assert task_of(agent, task["id"])["assignee_id"] == user_id(demo_server, "agent")

    set_first_contact(demo_server, False)
    other = resident_inquiry(demo_server, agent)
    assert other["assignee_id"] == user_id(demo_server, "agent2")
    page = browser.get(f"/sites/harbour/tasks/{other['id']}").text
    assert 'name="to"' not in page


def test_watching_from_the_task_page(demo_server, no_demo_tasks, supervisor):
    task = new_task(supervisor, assignee_id=user_id(demo_server, "supervisor"))
    browser = demo_server.sign_in("agent2")
    watched = browser.form_post(f"/sites/harbour/tasks/{task['id']}/watchers", {"user_id": ""})
    assert watched.status_code in (200, 303), watched.text
    agent2_id = user_id(demo_server, "agent2")
    assert demo_server.call(lambda: TaskWatcher.filter(task_id=task["id"]).values_list("user_id", flat=True)) == [
        agent2_id]
    page = browser.get(f"/sites/harbour/tasks/{task['id']}").text
    assert "李專員 Agent Li" in page.split('id="watchers"')[1]
    stopped = browser.form_post(f"/sites/harbour/tasks/{task['id']}/watchers/{agent2_id}/remove", {})
    assert stopped.status_code in (200, 303), stopped.text
    assert demo_server.call(lambda: TaskWatcher.filter(task_id=task["id"]).count()) == 0
    refused = browser.form_post(f"/sites/harbour/tasks/{task['id']}/watchers",
                                {"user_id": str(user_id(demo_server, "agent"))})
    assert refused.status_code == 403


def test_my_work_lists_a_watched_task_nobody_holds(demo_server, no_demo_tasks, agent, supervisor):
    task = new_task(supervisor)
    assert task["assignee_id"] is None
    assert supervisor.post(f"{SITE}/tasks/{task['id']}/watchers",
                           json={"user_id": user_id(demo_server, "agent")}).status_code == 201
    assert [t["id"] for t in agent.get(f"{SITE}/tasks", params={"watching": "me"}).json()["items"]] == [task["id"]]
    watching = demo_server.sign_in("agent").get("/sites/harbour/my-work").text.split('id="watching"')[1]
    assert f"/sites/harbour/tasks/{task['id']}" in watching
