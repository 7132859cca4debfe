"""The SLA pause, the overdue job, follow-ups before closing, plugin guards, KPIs."""

import datetime as dt
import types

from core import PluginMeta, hookimpl
from core.tasks.models import Task, TaskEvent
from core.tasks.types import GenericUse, TaskType
from tests.core.tasks.conftest import move, new_task


def parse(value):
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_the_sla_clock_pauses_while_waiting(agent, clock):
    task = move(agent, new_task(agent), "in_progress").json()
    due_before = parse(task["due_at"])
    task = move(agent, task, "waiting").json()
    clock.shift(30)  # half a minute waiting for the resident, without sleeping
    task = move(agent, task, "in_progress").json()
    shifted = (parse(task["due_at"]) - due_before).total_seconds()
    assert 29 <= shifted <= 31  # moved by the time spent waiting (the API shows whole seconds)


def _past_due(demo_server, task_id, minutes=5):
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=minutes)
    demo_server.call(lambda: Task.filter(id=task_id).update(due_at=past))


def test_overdue_job_marks_once_and_skips_waiting_and_done_tasks(demo_server, agent):
    late = new_task(agent)
    waiting = move(agent, move(agent, new_task(agent), "in_progress").json(), "waiting").json()
    done = move(agent, new_task(agent), "cancelled", note="No longer needed").json()
    for task in (late, waiting, done):
        _past_due(demo_server, task["id"])
    kernel = demo_server.app.state.tasks
    demo_server.call(kernel.mark_overdue)
    assert demo_server.call(kernel.mark_overdue) == 0  # each mark happens once
    assert agent.get(f"/api/v1/sites/harbour/tasks/{late['id']}").json()["overdue"] is True
    assert agent.get("/api/v1/sites/harbour/tasks", params={"overdue": "true"}).json()["items"][0]["id"] == late["id"]
    kinds = [e["kind"] for e in agent.get(f"/api/v1/sites/harbour/tasks/{late['id']}/events").json()]
    assert kinds == ["created", "overdue"]


def test_two_workers_running_the_overdue_job_together_mark_each_task_once(make_demo_app):
    import threading

    first, second = make_demo_app(), make_demo_app()
    client = first.api_client("agent")
    ids = [new_task(client)["id"] for _ in range(20)]
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    first.call(lambda: Task.filter(id__in=ids).update(due_at=past))
    from core.tasks.jobs import overdue_pass

    results = []

    def run(server):
        postgres = not server.app.state.settings.is_sqlite
        results.append(server.call(overdue_pass, server.app.state.tasks, postgres))

    threads = [threading.Thread(target=run, args=(server,)) for server in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) >= 20  # ours, and any demo task that was already late
    assert first.call(lambda: TaskEvent.filter(kind="overdue", task_id__in=ids).count()) == 20
    assert first.call(lambda: Task.filter(id__in=ids, overdue=True).count()) == 20


def _plugin(name, **hooks):
    module = types.ModuleType(name)
    module.meta = PluginMeta(name=name, version="1.0")
    for hook_name, function in hooks.items():
        function.__name__ = hook_name
        setattr(module, hook_name, hookimpl(function))
    return module


COMPLAINT = TaskType(name="complaints.complaint", label="Complaint", default_sla_minutes=240,
                     requires_follow_up="core.follow_up", generic=GenericUse(create=True))


def test_a_type_can_require_a_done_follow_up_before_its_parent_closes(make_demo_app):
    server = make_demo_app(extra_plugins=[_plugin("complaints", register_task_types=lambda: [COMPLAINT])])
    supervisor = server.api_client("supervisor")
    parent = new_task(supervisor, type="complaints.complaint")
    for step in ("in_progress", "resolved"):
        parent = move(supervisor, parent, step).json()
    refused = move(supervisor, parent, "closed")
    assert refused.status_code == 409 and "follow-up" in refused.json()["detail"]
    revisit = new_task(supervisor, type="core.follow_up", parent_id=parent["id"])
    for step in ("in_progress", "resolved"):
        revisit = move(supervisor, revisit, step).json()
    assert move(supervisor, parent, "closed").status_code == 200


def test_hook_task_transition_guard(make_demo_app, caplog):
    """The first reason a guard gives refuses the transition; a guard that raises refuses
    it too (fail closed), naming the rule, and is logged."""
    def guard(task, to_status):
        if task.type == "core.general" and to_status == "cancelled" and task.priority == "urgent":
            return "Urgent tasks are never cancelled; resolve them."

    async def broken_guard(task):
        raise RuntimeError("a plugin bug must not block the desk")

    server = make_demo_app(extra_plugins=[_plugin("rules", task_transition_guard=guard),
                                          _plugin("buggy", task_transition_guard=broken_guard)])
    agent = server.api_client("agent")
    urgent = new_task(agent, priority="urgent")
    refused = move(agent, urgent, "cancelled", note="No longer needed")
    assert refused.status_code == 409 and refused.json()["detail"] == "Urgent tasks are never cancelled; resolve them."
    broken = move(agent, new_task(agent), "cancelled", note="No longer needed")
    assert broken.status_code == 503 and broken.json()["rule"] == "buggy.task_transition_guard"
    assert "buggy.task_transition_guard" in broken.json()["detail"]
    assert any("plugin buggy: hook task_transition_guard failed" in r.getMessage() for r in caplog.records)


def test_a_guard_that_answers_lets_the_transition_through(make_demo_app):
    server = make_demo_app(extra_plugins=[_plugin("calm", task_transition_guard=lambda task: None)])
    agent = server.api_client("agent")
    assert move(agent, new_task(agent), "cancelled", note="No longer needed").status_code == 200


def test_hook_register_task_types(make_demo_app):
    server = make_demo_app(extra_plugins=[_plugin("complaints", register_task_types=lambda: [COMPLAINT])])
    agent = server.api_client("agent")
    types_listed = {t["name"]: t for t in agent.get("/api/v1/task-types").json()}
    assert types_listed["complaints.complaint"]["plugin"] == "complaints"
    assert types_listed["complaints.complaint"]["default_sla_minutes"] == 240
    assert new_task(agent, type="complaints.complaint")["status"] == "open"


def test_hook_on_task_event(make_demo_app):
    seen = []

    async def failing(task, event):
        raise RuntimeError("one plugin failing must not break the request or the others")

    server = make_demo_app(extra_plugins=[
        _plugin("broken_listener", on_task_event=failing),
        _plugin("listener", on_task_event=lambda task, event: seen.append((task.type, event.kind)))])
    agent = server.api_client("agent")
    task = new_task(agent)
    assert move(agent, task, "in_progress").status_code == 200
    assert seen == [("core.general", "created"), ("core.general", "transitioned")]


def test_stats_from_the_history(demo_server, supervisor, agent):
    answered = move(agent, new_task(supervisor), "in_progress").json()
    move(agent, answered, "resolved")
    commented = new_task(supervisor)
    agent.post(f"/api/v1/sites/harbour/tasks/{commented['id']}/comments", json={"body": "On my way."})
    late = new_task(supervisor)
    _past_due(demo_server, late["id"], minutes=1)
    late = supervisor.get(f"/api/v1/sites/harbour/tasks/{late['id']}").json()
    move(supervisor, move(supervisor, late, "in_progress").json(), "resolved")
    new_task(supervisor)
    stats = supervisor.get("/api/v1/sites/harbour/tasks/stats", params={"type": "core.general"}).json()
    assert stats["total"] == 4
    assert stats["by_status"] == {"in_progress": 0, "open": 2, "resolved": 2} or stats["by_status"] == {"open": 2, "resolved": 2}
    assert stats["responded"] == 3 and stats["resolved"] == 2
    assert stats["on_time_first_response_rate"] == 1.0
    assert stats["on_time_resolution_rate"] == 0.5
    assert stats["average_seconds_to_first_response"] is not None
    assert agent.get("/api/v1/sites/harbour/tasks/stats").status_code == 403


def test_kernel_transaction_publishes_after_commit_and_not_after_rollback(demo_server):
    import pytest as _pytest

    from core.entities.models import Site
    from core.identity.models import User

    kernel = demo_server.app.state.tasks
    bus = demo_server.app.state.events

    async def scenario():
        site = await Site.get(code="harbour")
        actor = await User.get(username="agent")
        subscription = bus.subscribe(site.id, {"core.task.read"})
        try:
            async with kernel.transaction():
                await kernel.create(site, actor, type="core.general", title="inside")
                queued_before_commit = subscription.queue.qsize()
            delivered = subscription.queue.qsize()
            with _pytest.raises(RuntimeError):
                async with kernel.transaction():
                    await kernel.create(site, actor, type="core.general", title="rolled back")
                    raise RuntimeError("the plugin's own write failed")
            rolled_back = await Task.filter(title="rolled back").exists()
            return queued_before_commit, delivered, subscription.queue.qsize(), rolled_back
        finally:
            bus.unsubscribe(subscription)

    assert demo_server.call(scenario) == (0, 1, 1, False)


def test_hook_task_subject_panel(make_demo_app):
    """The owner of a task's subject renders its panel on the task page; a panel that
    fails is left out and the page still shows."""
    from core.tasks.types import Subject, SubjectPanel

    def panel(task, subject, request):
        if subject.plugin != "lockers":
            return None
        return SubjectPanel(title=f"Locker {subject.id}", url=f"/lockers/{subject.id}")

    async def broken(task, subject):
        raise RuntimeError("a broken panel must not break the task page")

    server = make_demo_app(extra_plugins=[_plugin("lockers", task_subject_panel=panel),
                                          _plugin("broken_panel", task_subject_panel=broken)])

    async def make_task():
        from core.entities.models import Site

        kernel = server.app.state.tasks
        task = await kernel.create(await Site.get(code="harbour"), None, type="core.general", title="Locker jammed",
                                   subject=Subject("lockers", "locker", 12))
        return task.id

    task_id = server.call(make_task)
    assert server.api_client("agent").get(f"/api/v1/sites/harbour/tasks/{task_id}").json()["subject"] == {
        "plugin": "lockers", "kind": "locker", "id": 12}
    page = server.sign_in("agent").get(f"/sites/harbour/tasks/{task_id}")
    assert page.status_code == 200 and '<a href="/lockers/12">Locker 12</a>' in page.text


OWNED_TYPES = ("from core.tasks.types import GenericUse, TaskType\n"
               "TASK_TYPES = [TaskType('keys.handover', 'Key handover', 60, generic=GenericUse(create=True))]\n")
OWN_GUARD = ("async def transition_guard(task, to_status):\n"
             "    if to_status == 'resolved' and 'signed' not in task.description:\n"
             "        return 'A key handover is resolved once the receipt is signed.'\n"
             "    if to_status == 'cancelled':\n"
             "        raise RuntimeError('a bug in the owner rule')\n")


def test_the_owner_guards_its_own_types_by_convention_and_fails_closed(make_demo_app, tmp_path, monkeypatch, caplog):
    """``services.transition_guard`` of the plugin a type belongs to rules that type's
    transitions, without a hook; when it raises, the transition is refused (503)."""
    from tests.core.test_plugin_host import write_package

    monkeypatch.syspath_prepend(str(tmp_path))
    keys = write_package(tmp_path, "keys", "", task_types=OWNED_TYPES, services=OWN_GUARD)
    agent = make_demo_app(extra_plugins=[keys]).api_client("agent")
    task = move(agent, new_task(agent, type="keys.handover"), "in_progress").json()
    refused = move(agent, task, "resolved")
    assert refused.status_code == 409 and refused.json()["detail"] == "A key handover is resolved once the receipt is signed."
    broken = move(agent, task, "cancelled", note="Not needed")
    assert broken.status_code == 503 and broken.json()["rule"] == "keys.services.transition_guard"
    assert any("plugin keys: services.transition_guard failed" in r.getMessage() for r in caplog.records)
    assert agent.get(f"/api/v1/sites/harbour/tasks/{task['id']}").json()["status"] == "in_progress"


def test_a_workflow_s_own_cancelling_state_needs_a_reason_and_skips_the_follow_up(make_demo_app):
    """Any terminal state that does not resolve is a cancellation (``Workflow.cancels``),
    not only one named "cancelled"."""
    from core.tasks.types import Workflow

    withdrawn = TaskType(name="offers.offer", label="Offer", default_sla_minutes=60, generic=GenericUse(create=True),
                         requires_follow_up="core.follow_up",
                         workflow=Workflow(transitions={"open": ("accepted", "withdrawn")},
                                           terminal=("accepted", "withdrawn"), resolved=("accepted",)))
    agent = make_demo_app(extra_plugins=[_plugin("offers", register_task_types=lambda: [withdrawn])]).api_client("agent")
    offer = new_task(agent, type="offers.offer")
    assert move(agent, offer, "withdrawn").status_code == 422  # no reason
    assert move(agent, offer, "withdrawn", note="The resident said no").status_code == 200  # no follow-up needed
    accepted = move(agent, new_task(agent, type="offers.offer"), "accepted")
    assert accepted.status_code == 409 and "follow-up" in accepted.json()["detail"]


def test_tasks_about_a_record_are_found_by_its_subject(make_demo_app):
    from core.entities.models import Site
    from core.identity.models import User
    from core.tasks.types import Subject

    server = make_demo_app()
    locker = Subject("lockers", "locker", 7)

    async def run():
        kernel = server.app.state.tasks
        site, supervisor = await Site.get(code="harbour"), await User.get(username="supervisor")
        about = await kernel.create(site, None, type="core.general", title="Jammed", subject=locker)
        done = await kernel.create(site, None, type="core.general", title="Jammed again", subject=locker)
        await kernel.drive(done, "closed", None)  # the system drives it: nobody is made its assignee
        assert (await Task.get(id=done.id)).assignee_id is None
        await kernel.drive(about, "in_progress", supervisor)  # a person taking it makes it theirs
        assert (await Task.get(id=about.id)).assignee_id == supervisor.id
        await kernel.create(site, None, type="core.general", title="Another locker", subject=Subject("lockers", "locker", 8))
        open_ids = [t.id for t in await kernel.tasks_about(locker, site_id=site.id)]
        all_ids = [t.id for t in await kernel.tasks_about(locker, open_only=False)]
        return about.id, done.id, open_ids, all_ids

    about, done, open_ids, all_ids = server.call(run)
    assert open_ids == [about] and all_ids == [about, done]
