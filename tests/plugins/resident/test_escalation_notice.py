"""A resident's case escalated to someone rings their bell (in-app), with the escalation's
writes: the supervisor after an unsatisfied revisit, the manager past the reopening limit;
nobody else, nobody for an escalation that rolled back, and not the one who escalated it
to themselves."""

import pytest

from core.messages.models import Message
from tests.plugins.resident.conftest import BASE, move, new_case

NOTICE = "resident.case_escalated"


def notices_about(server, case_id):
    return server.call(lambda: Message.filter(template=NOTICE, subject_plugin="resident", subject_kind="case",
                                              subject_id=case_id).order_by("id"))


def resolved_case(client, unit_id, **fields):
    case = new_case(client, unit_id, **fields)
    assert client.post(f"{BASE}/cases/{case['id']}/reply", json={"message": "We spoke to the neighbours."}) \
        .status_code == 200
    assert move(client, case["task_id"], "resolved").status_code == 200
    return case


def user(server, name):
    from core.identity.models import User

    return server.call(lambda: User.get(username=name))


def test_an_unsatisfied_revisit_rings_the_supervisors_bell_only(demo_server, agent, supervisor, user_ids, units):
    from core.messages import services
    from core.messages.worker import deliver_due

    case = resolved_case(supervisor, units["A-0401"])  # replied and resolved; the agent calls the resident back
    supervisor = user(demo_server, "supervisor")
    assert notices_about(demo_server, case["id"]) == []
    bus = demo_server.app.state.events
    theirs = bus.subscribe(_harbour(demo_server).id, {"core.task.read"}, user_id=supervisor.id)
    try:
        unhappy = agent.post(f"{BASE}/cases/{case['id']}/revisit",
                             json={"method": "phone", "reached": True, "satisfied": False, "score": 2})
        assert unhappy.status_code == 201, unhappy.text
        assert unhappy.json()["case"]["escalated_to"] == "supervisor"
        notices = notices_about(demo_server, case["id"])
        assert [(n.user_id, n.channel, n.status) for n in notices] == [(user_ids["supervisor"], "in_app", "queued")]
        assert notices[0].context["url"] == f"/sites/harbour/resident/cases/{case['id']}"
        demo_server.call(lambda: deliver_due(demo_server.app))
        event = theirs.queue.get_nowait()
        while event.name != "notification":
            event = theirs.queue.get_nowait()
        assert "Noise from upstairs at night" in event.data["body"]
    finally:
        bus.unsubscribe(theirs)
    assert demo_server.call(lambda: services.unread_count(supervisor)) == 1
    for other in (user(demo_server, name) for name in ("agent", "agent2", "manager")):
        assert demo_server.call(lambda other=other: services.unread_count(other)) == 0


def _harbour(server):
    from core.entities.models import Site

    return server.call(lambda: Site.get(code="harbour"))


def test_past_the_reopening_limit_the_manager_hears_of_it(demo_server, supervisor, user_ids, units):
    case = new_case(supervisor, units["A-0501"])
    url = f"{BASE}/cases/{case['id']}"
    for _round in range(3):  # the default limit is 2 reopenings
        move(supervisor, case["task_id"], "in_progress")
        assert move(supervisor, case["task_id"], "resolved").status_code == 200
        supervisor.post(f"{url}/revisit", json={"method": "phone", "reached": True, "satisfied": False})
    assert supervisor.get(url).json()["escalated_to"] == "manager"
    # The supervisor escalated to themselves (no notice); the manager is told once.
    assert [n.user_id for n in notices_about(demo_server, case["id"])] == [user_ids["manager"]]


def test_an_escalation_that_rolled_back_rings_nobody(demo_server, agent, units):
    from core.tasks.models import Task
    from plugins.resident import services

    case = new_case(agent, units["A-0402"])
    kernel = demo_server.app.state.tasks
    escalating = user(demo_server, "agent")

    async def escalates_then_fails():
        task = await Task.get(id=case["task_id"])
        async with kernel.transaction():
            target = await services._escalate(kernel, task, "supervisor", "Escalated for the test.", escalating)
            assert target is not None
            raise RuntimeError("the change around it failed")

    with pytest.raises(RuntimeError):
        demo_server.call(escalates_then_fails)
    assert notices_about(demo_server, case["id"]) == []


def test_the_notice_is_declared_in_app(demo_server):
    from core.messages.services import registry

    template = registry().template(NOTICE)
    assert template.channels == ("in_app",) and {"case_id", "title"} <= set(template.placeholders)
