"""Plugins narrow balanced assignment (``eligible_assignees``): only eligible people get
tasks; nobody eligible leaves a created task unassigned with its reason, and an explicit
balanced assignment is refused; a broken plugin is ignored (fail open).

The rostering plugin is disabled in these apps: a test plugin says who is eligible."""

import types

import pytest

from core import PluginMeta, hookimpl
from tests.core.tasks.conftest import new_task

HARBOUR_TASKS = "/api/v1/sites/harbour/tasks"
LOTUS = "/api/v1/sites/lotus"


def narrowing_plugin(name="oncall", answer=None, calls=None):
    """A plugin whose ``eligible_assignees`` answers ``answer(candidates)`` and records
    what it was asked."""
    module = types.ModuleType(f"eligibility_test_{name}")
    module.meta = PluginMeta(name=name, version="1.0", core_requires=">=0.1")

    async def eligible_assignees(site, task_type, at, candidates):
        if calls is not None:
            calls.append({"site": site.code, "type": task_type.name, "at": at, "candidates": list(candidates)})
        return answer(candidates)

    module.eligible_assignees = hookimpl(eligible_assignees)
    return module


def ids_of(server, *usernames):
    from core.identity.models import User

    return dict(server.call(lambda: User.filter(username__in=list(usernames)).values_list("username", "id")))


@pytest.fixture
def quiet(make_demo_app):
    """An app with a narrowing plugin, rostering off, the demo tasks parked."""
    def build(*plugins):
        from core.tasks.models import Task

        server = make_demo_app(extra_plugins=list(plugins), disabled_plugins=["rostering"])
        server.call(lambda: Task.all().update(is_open=False, status="closed", assignee_id=None))
        return server
    return build


def test_balanced_assignment_picks_only_eligible_people(quiet):
    calls = []
    holder = {}
    server = quiet(narrowing_plugin(answer=lambda candidates: [holder["agent2"]], calls=calls))
    holder.update(ids_of(server, "agent", "agent2"))
    supervisor = server.api_client("supervisor")
    for _ in range(3):  # agent2 is busier: plain balance would choose agent
        new_task(supervisor, type="core.follow_up", assignee_id=holder["agent2"])
    picks = {new_task(supervisor, type="core.follow_up", assign="balanced")["assignee_id"] for _ in range(2)}
    assert picks == {holder["agent2"]}
    assert calls[0]["site"] == "harbour" and calls[0]["type"] == "core.follow_up"
    assert set(calls[0]["candidates"]) == {holder["agent"], holder["agent2"]}
    assert calls[0]["at"].tzinfo is not None  # a UTC moment
    # The explicit balanced reassignment asks too.
    task = new_task(supervisor, type="core.follow_up", assignee_id=holder["agent"])
    moved = supervisor.post(f"{HARBOUR_TASKS}/{task['id']}/assign", json={"assignee_id": "balanced", "version": task["version"]})
    assert moved.status_code == 200 and moved.json()["assignee_id"] == holder["agent2"]


def test_nobody_eligible_creates_the_task_unassigned_with_the_reason(quiet):
    server = quiet(narrowing_plugin(answer=lambda candidates: []))
    supervisor = server.api_client("supervisor")
    task = new_task(supervisor, type="core.follow_up", assign="balanced", title="Call back Mrs Lin")
    assert task["assignee_id"] is None
    events = supervisor.get(f"{HARBOUR_TASKS}/{task['id']}/events").json()
    assert [e["kind"] for e in events] == ["created", "unassigned"]
    assert events[1]["note"] == "agent, call_agent"  # the roles nobody on duty holds
    page = server.sign_in("supervisor").get(f"/sites/harbour/tasks/{task['id']}")
    assert page.status_code == 200 and "left it unassigned: nobody holding agent, call_agent could take it then" in page.text


def test_an_explicit_balanced_assignment_with_nobody_eligible_is_409(quiet):
    server = quiet(narrowing_plugin(answer=lambda candidates: []))
    supervisor = server.api_client("supervisor")
    task = new_task(supervisor, type="core.follow_up")
    refused = supervisor.post(f"{HARBOUR_TASKS}/{task['id']}/assign", json={"assignee_id": "balanced", "version": task["version"]})
    assert refused.status_code == 409, refused.text
    assert "Nobody holding a role this task type is assigned to (agent, call_agent) may take it now" in refused.json()["detail"]
    assert supervisor.get(f"{HARBOUR_TASKS}/{task['id']}").json()["assignee_id"] is None
    # The task page's balanced button re-shows the page with the reason.
    page = server.sign_in("supervisor")
    shown = page.form_post(f"/sites/harbour/tasks/{task['id']}/assign", {"assignee": "balanced", "version": str(task["version"])})
    assert shown.status_code == 409 and "may take it now" in shown.text


def test_answers_are_intersected_and_foreign_ids_ignored(quiet):
    holder = {}
    first = narrowing_plugin("first", answer=lambda candidates: [*candidates, 999999])
    second = narrowing_plugin("second", answer=lambda candidates: [holder["agent"], 888888])
    no_opinion = narrowing_plugin("silent", answer=lambda candidates: None)
    server = quiet(first, second, no_opinion)
    holder.update(ids_of(server, "agent", "agent2"))
    supervisor = server.api_client("supervisor")
    for _ in range(2):
        new_task(supervisor, type="core.follow_up", assignee_id=holder["agent"])
    assert new_task(supervisor, type="core.follow_up", assign="balanced")["assignee_id"] == holder["agent"]


def test_a_broken_plugin_is_ignored_fail_open(quiet, caplog):
    def broken(candidates):
        raise RuntimeError("the roster table is gone")

    server = quiet(narrowing_plugin("broken", answer=broken), narrowing_plugin("odd", answer=lambda c: 42))
    supervisor = server.api_client("supervisor")
    task = new_task(supervisor, type="core.follow_up", assign="balanced")
    assert task["assignee_id"] is not None  # assigned as without the plugins
    assert "broken" in caplog.text and "eligible_assignees" in caplog.text


def test_without_implementations_the_hook_costs_nothing(make_demo_app):
    server = make_demo_app(disabled_plugins=["rostering"])
    kernel = server.app.state.tasks
    assert kernel.narrows_assignment is False

    async def never(*args, **kwargs):
        raise AssertionError("the hook was asked although no plugin implements it")

    kernel.host.ask = never  # this app only
    supervisor = server.api_client("supervisor")
    assert new_task(supervisor, type="core.follow_up", assign="balanced")["assignee_id"] is not None

    async def eligible():
        from core.entities.models import Site

        return await kernel.eligible(await Site.get(code="harbour"), kernel.type_of("core.follow_up"), [3, 1, 2])

    assert server.call(eligible) == [3, 1, 2]


# --- the hotel's attendants ---------------------------------------------------------------------


def _room(client, **match):
    board = client.get(f"{LOTUS}/hotel/board").json()
    return next(room for room in board["rooms"] if all(room.get(k) == v for k, v in match.items()))


def test_hotel_guest_requests_and_cleans_go_only_to_an_eligible_attendant(quiet):
    holder = {}
    server = quiet(narrowing_plugin(answer=lambda candidates: [holder["housekeeper2"]]))
    holder.update(ids_of(server, "housekeeper", "housekeeper2"))
    desk = server.api_client("frontdesk")
    # Room 204 is section A (housekeeper's); she is not eligible, so the other attendant gets it.
    request = desk.post(f"{LOTUS}/hotel/guest-requests", json={"room": "204", "title": "Two towels"})
    assert request.status_code == 201, request.text
    assert request.json()["assignee_id"] == holder["housekeeper2"] and request.json()["in_section"] is False
    room = _room(desk, occupancy="occupied", service="in_service", section="A")
    out = desk.post(f"{LOTUS}/hotel/rooms/{room['id']}/check-out", json={"version": room["version"]})
    assert out.status_code == 200, out.text
    tasks = desk.get(f"{LOTUS}/tasks", params={"type": "hotel.departure_clean", "limit": 200}).json()["items"]
    clean = next(t for t in tasks if t["subject"] == {"plugin": "hotel", "kind": "room", "id": room["id"]}
                 and t["status"] == "open")
    assert clean["assignee_id"] == holder["housekeeper2"]


def test_hotel_with_no_attendant_on_duty_leaves_the_clean_unassigned_and_says_why(quiet):
    server = quiet(narrowing_plugin(answer=lambda candidates: []))
    desk = server.api_client("frontdesk")
    room = _room(desk, occupancy="occupied", service="in_service")
    assert desk.post(f"{LOTUS}/hotel/rooms/{room['id']}/check-out", json={"version": room["version"]}).status_code == 200
    tasks = desk.get(f"{LOTUS}/tasks", params={"type": "hotel.departure_clean", "limit": 200}).json()["items"]
    clean = next(t for t in tasks if t["subject"] == {"plugin": "hotel", "kind": "room", "id": room["id"]}
                 and t["status"] == "open")
    assert clean["assignee_id"] is None
    kinds = [e["kind"] for e in desk.get(f"{LOTUS}/tasks/{clean['id']}/events").json()]
    assert "unassigned" in kinds
    request = desk.post(f"{LOTUS}/hotel/guest-requests", json={"room": "204", "title": "A kettle"})
    assert request.status_code == 201 and request.json()["assignee_id"] is None
