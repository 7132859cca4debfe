"""Supervisors hear of an overdue task: an in-app notice to everyone at the task's site who
may assign tasks, in their own language, once per task and due time, and none for a mark
that rolled back."""

import datetime as dt

import pytest

from core.messages.models import Message

NOTICE = "core.task_overdue"


@pytest.fixture
def harbour(demo_server):
    """The demo with its plugins' tasks parked (closed), so the overdue pass sees only the test's."""
    from core.entities.models import Site
    from core.tasks.models import Task

    demo_server.call(lambda: Task.all().update(is_open=False, status="closed"))
    return demo_server.call(lambda: Site.get(code="harbour"))


def users(server, *names):
    from core.identity.models import User

    return [server.call(lambda name=name: User.get(username=name)) for name in names]


def late_task(server, site, title="Leaking pipe in A-0101", minutes=5):
    """A task at ``site`` due ``minutes`` ago (created due later, then moved back as time passes)."""
    from core.tasks.models import Task

    kernel = server.app.state.tasks

    async def make():
        agent = (await _user("agent"))
        task = await kernel.create(site, agent, type="core.general", title=title)
        past = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(minutes=minutes)
        await Task.filter(id=task.id).update(due_at=past)
        await task.refresh_from_db()
        return task
    return server.call(make)


async def _user(name):
    from core.identity.models import User

    return await User.get(username=name)


def notices_about(server, task):
    return server.call(lambda: Message.filter(template=NOTICE, subject_plugin="core", subject_kind="task",
                                              subject_id=task.id).order_by("user_id"))


def deliver(server):
    from core.messages.worker import deliver_due

    return server.call(lambda: deliver_due(server.app))


def test_an_overdue_task_rings_the_bell_of_its_sites_supervisors_only(demo_server, harbour):
    from core.messages import services

    supervisor, manager, admin, agent, hotelsup = users(demo_server, "supervisor", "manager", "admin", "agent",
                                                        "hotelsup")
    task = late_task(demo_server, harbour)
    bus = demo_server.app.state.events
    theirs = bus.subscribe(harbour.id, {"core.task.read"}, user_id=supervisor.id)
    others = bus.subscribe(harbour.id, {"core.task.read", "core.task.assign"}, user_id=agent.id)
    try:
        assert demo_server.call(demo_server.app.state.tasks.mark_overdue) == 1
        notices = notices_about(demo_server, task)
        # Everyone at harbour whose roles grant core.task.assign: the supervisor, the manager
        # and the administrator; not the agent, nor the hotel's supervisor (another site).
        assert {n.user_id for n in notices} == {supervisor.id, manager.id, admin.id}
        assert all(n.channel == "in_app" and n.status == "queued" for n in notices)
        assert notices[0].context["url"] == f"/sites/harbour/tasks/{task.id}"
        deliver(demo_server)
        events = []
        while not theirs.queue.empty():
            events.append(theirs.queue.get_nowait())
        mine = [e for e in events if e.name == "notification"]
        assert len(mine) == 1 and "Leaking pipe in A-0101" in mine[0].data["body"]
        assert not [e for e in _drain(others) if e.name == "notification"]
    finally:
        bus.unsubscribe(theirs)
        bus.unsubscribe(others)
    for user in (supervisor, manager, admin):
        assert demo_server.call(lambda user=user: services.unread_count(user, harbour.id)) == 1
    assert demo_server.call(lambda: services.unread_count(agent)) == 0
    assert demo_server.call(lambda: services.unread_count(hotelsup)) == 0


def _drain(subscription):
    events = []
    while not subscription.queue.empty():
        events.append(subscription.queue.get_nowait())
    return events


def test_the_notice_is_in_each_supervisors_language_with_the_site_local_due_time(demo_server, harbour):
    from core.identity.models import User

    supervisor, manager = users(demo_server, "supervisor", "manager")
    demo_server.call(lambda: User.filter(id=supervisor.id).update(locale="en"))
    demo_server.call(lambda: User.filter(id=manager.id).update(locale="zh_Hans"))
    task = late_task(demo_server, harbour)
    demo_server.call(demo_server.app.state.tasks.mark_overdue)
    deliver(demo_server)
    by_user = {n.user_id: n for n in notices_about(demo_server, task)}
    english, chinese = by_user[supervisor.id], by_user[manager.id]
    assert english.language == "en" and chinese.language == "zh_Hans"
    # Due 5 minutes ago at harbour (Asia/Taipei): the local clock, not UTC.
    from zoneinfo import ZoneInfo

    local = task.due_at.astimezone(ZoneInfo(harbour.timezone))
    hour = local.hour % 12 or 12
    assert f"{hour}:{local.minute:02d}" in english.context["due"]
    assert english.rendered_body.startswith("The task \u201cLeaking pipe in A-0101\u201d was due ")
    assert f"{local.month}月{local.day}日" in chinese.context["due"]
    assert f"{local.hour:02d}:{local.minute:02d}" in chinese.context["due"]  # zh-Hans writes 24-hour time
    assert english.rendered_subject == "Overdue: Leaking pipe in A-0101"


def test_the_overdue_pass_run_twice_gives_one_notice_per_supervisor(demo_server, harbour):
    from core.messages import notices

    task = late_task(demo_server, harbour)
    kernel = demo_server.app.state.tasks
    assert demo_server.call(kernel.mark_overdue) == 1
    assert demo_server.call(kernel.mark_overdue) == 0
    # Even when the hook hears of the same overdue task again (another process's pass).
    demo_server.call(lambda: notices.task_overdue(task))
    rows = notices_about(demo_server, task)
    assert len(rows) == 3 and len({n.user_id for n in rows}) == 3
    # A new due time is a new lateness: a new notice.
    from core.tasks.models import Task

    demo_server.call(lambda: Task.filter(id=task.id).update(due_at=task.due_at - dt.timedelta(hours=1)))
    fresh = demo_server.call(lambda: Task.get(id=task.id))
    demo_server.call(lambda: notices.task_overdue(fresh))
    assert len(notices_about(demo_server, task)) == 6


def test_an_overdue_mark_that_rolled_back_notifies_nobody(demo_server, harbour):
    from core.tasks.models import Task

    task = late_task(demo_server, harbour)
    kernel = demo_server.app.state.tasks

    async def marks_then_fails():
        async with kernel.transaction():
            assert await kernel.mark_overdue() == 1
            raise RuntimeError("the surrounding change failed")

    with pytest.raises(RuntimeError):
        demo_server.call(marks_then_fails)
    assert demo_server.call(lambda: Task.get(id=task.id)).overdue is False
    assert notices_about(demo_server, task) == []
    demo_server.call(kernel.mark_overdue)  # the next pass marks it, and then they hear
    assert len(notices_about(demo_server, task)) == 3


def test_the_overdue_notice_is_a_declared_in_app_template(demo_server):
    from core.messages.services import registry

    template = registry().template(NOTICE)
    assert template.channels == ("in_app",) and set(template.placeholders) == {"title", "due", "url"}
