"""Leave through the API: bad input named by field, half days, overlaps, approval taking the
duties inside the leave off the roster unless a shift falls under its minimum, racing approvals."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from tests.plugins.rostering.test_swaps import BASE, DAY, draw, fields_of, uid


def ask(client, starts_on, ends_on=None, **body):
    body = {"leave_type": "annual", "starts_on": str(starts_on), "ends_on": str(ends_on or starts_on), **body}
    return client.post(f"{BASE}/leave", json=body)


def ours(client) -> list[dict]:
    """The caller's leave on the far days the tests use (the demo has leave of its own)."""
    items = client.get(f"{BASE}/leave", params={"limit": 200}).json()["items"]
    return [leave for leave in items if leave["starts_on"] >= str(DAY - dt.timedelta(days=7))]


async def _duties_of(username: str) -> list[int]:
    from plugins.rostering.models import Duty

    # Only the far days the tests draw on: the demo's own rosters are not theirs to judge.
    return sorted(await Duty.filter(user__username=username, day__gte=DAY - dt.timedelta(days=7))
                  .values_list("id", flat=True))


def test_bad_leave_is_refused_naming_the_field(demo_server):
    agent = demo_server.api_client("agent")
    backwards = ask(agent, DAY, DAY - dt.timedelta(days=1))
    assert backwards.status_code == 422 and fields_of(backwards) == {"ends_on"}
    unknown = ask(agent, DAY, leave_type="holiday-in-space")
    assert unknown.status_code == 422 and fields_of(unknown) == {"leave_type"}
    no_time = ask(agent, DAY, start_half="pm", end_half="am")
    assert no_time.status_code == 422 and fields_of(no_time) == {"end_half"}
    wrong_half = ask(agent, DAY, start_half="am")
    assert wrong_half.status_code == 422 and fields_of(wrong_half) == {"start_half"}
    too_long = ask(agent, DAY, DAY + dt.timedelta(days=400))
    assert too_long.status_code == 422 and fields_of(too_long) == {"ends_on"}
    for_someone = ask(agent, DAY, user_id=uid(demo_server, "agent2"))
    assert for_someone.status_code == 403
    sup = demo_server.api_client("supervisor")
    stranger = ask(sup, DAY, user_id=uid(demo_server, "caller"))
    assert stranger.status_code == 422 and fields_of(stranger) == {"user_id"}
    assert ours(agent) == []


def test_half_days_and_overlaps(demo_server):
    agent = demo_server.api_client("agent")
    first = ask(agent, DAY, DAY + dt.timedelta(days=2), start_half="pm", end_half="am")
    assert first.status_code == 201, first.text
    assert first.json()["half_days"] == 4 and first.json()["status"] == "requested"
    overlapping = ask(agent, DAY + dt.timedelta(days=1))
    assert overlapping.status_code == 409 and overlapping.json()["current"]["id"] == first.json()["id"]
    # The afternoon after a leave that ends at noon is free; so is the morning before a pm start.
    assert ask(agent, DAY + dt.timedelta(days=2), start_half="pm").status_code == 201
    assert ask(agent, DAY, end_half="am").status_code == 201
    # Someone else's leave on the same days is theirs.
    assert ask(demo_server.api_client("agent2"), DAY).status_code == 201
    assert ask(agent, DAY, DAY, reason="x" * 501).status_code == 422


def test_approval_takes_the_duties_inside_the_leave_off_the_roster(demo_server):
    agent, sup = demo_server.api_client("agent"), demo_server.api_client("supervisor")
    # Early (07:00) and late (15:00) on DAY; early on DAY+1 and DAY+2. A pm start keeps the
    # early of DAY; an am end takes the early of DAY+2 (it starts before noon).
    early, late, next_early, last_early, after = draw(demo_server, [
        ("agent", "E", DAY), ("agent", "L", DAY), ("agent", "E", DAY + dt.timedelta(days=1)),
        ("agent", "E", DAY + dt.timedelta(days=2)), ("agent", "L", DAY + dt.timedelta(days=2))])["duties"]
    leave = ask(agent, DAY, DAY + dt.timedelta(days=2), start_half="pm", end_half="am").json()
    approved = sup.post(f"{BASE}/leave/{leave['id']}/approve", json={"version": leave["version"], "note": "ok"})
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "approved" and body["decision_note"] == "ok"
    assert sorted(duty["id"] for duty in body["removed_duties"]) == sorted([late, next_early, last_early])
    assert demo_server.call(_duties_of, "agent") == sorted([early, after])
    # Approved leave blocks cancelling by its person, not by a supervisor (duties stay off).
    refused = agent.post(f"{BASE}/leave/{leave['id']}/cancel", json={"version": body["version"]})
    assert refused.status_code == 409
    cancelled = sup.post(f"{BASE}/leave/{leave['id']}/cancel", json={"version": body["version"]})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert demo_server.call(_duties_of, "agent") == sorted([early, after])


def test_approval_that_leaves_a_shift_under_its_minimum_is_refused(demo_server):
    agent, sup = demo_server.api_client("agent"), demo_server.api_client("supervisor")
    duties = draw(demo_server, [("agent", "E", DAY), ("agent2", "E", DAY)],
                  shifts={"E": (420, 480, 2)})["duties"]
    leave = ask(agent, DAY).json()
    refused = sup.post(f"{BASE}/leave/{leave['id']}/approve", json={"version": leave["version"]})
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert "Shift E" in detail and DAY.isoformat() in detail and "minimum of 2" in detail
    assert demo_server.call(_duties_of, "agent") == [duties[0]]
    assert ours(agent)[0]["status"] == "requested"


def test_reject_with_a_note_and_cancel_by_the_requester(demo_server):
    agent, sup = demo_server.api_client("agent"), demo_server.api_client("supervisor")
    one = ask(agent, DAY).json()
    rejected = sup.post(f"{BASE}/leave/{one['id']}/reject", json={"version": one["version"], "note": "Busy week"})
    assert rejected.status_code == 200 and rejected.json()["decision_note"] == "Busy week"
    assert agent.post(f"{BASE}/leave/{one['id']}/reject", json={"version": 2}).status_code == 403
    two = ask(agent, DAY).json()  # a rejected leave no longer blocks the days
    assert demo_server.api_client("agent2").post(f"{BASE}/leave/{two['id']}/cancel",
                                                 json={"version": two["version"]}).status_code == 403
    cancelled = agent.post(f"{BASE}/leave/{two['id']}/cancel", json={"version": two["version"]})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    late = sup.post(f"{BASE}/leave/{two['id']}/approve", json={"version": cancelled.json()["version"]})
    assert late.status_code == 409


def test_a_supervisor_files_leave_for_a_member_and_lists_the_sites(demo_server):
    sup, agent, agent2 = (demo_server.api_client(name) for name in ("supervisor", "agent", "agent2"))
    made = ask(sup, DAY, user_id=uid(demo_server, "agent2"), leave_type="sick")
    assert made.status_code == 201 and made.json()["user_id"] == uid(demo_server, "agent2")
    assert ours(agent) == []
    assert [leave["id"] for leave in ours(agent2)] == [made.json()["id"]]
    assert {leave["user_id"] for leave in agent2.get(f"{BASE}/leave").json()["items"]} == {uid(demo_server, "agent2")}
    listed = sup.get(f"{BASE}/leave", params={"status": "requested", "user_id": uid(demo_server, "agent2")})
    assert made.json()["id"] in [leave["id"] for leave in listed.json()["items"]]
    assert {leave["user_id"] for leave in listed.json()["items"]} == {uid(demo_server, "agent2")}


def test_racing_approvals_of_one_leave_one_wins(demo_server):
    agent = demo_server.api_client("agent")
    sup, manager = demo_server.api_client("supervisor"), demo_server.api_client("manager")
    draw(demo_server, [("agent", "E", DAY)])
    leave = ask(agent, DAY).json()
    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(lambda client: client.post(f"{BASE}/leave/{leave['id']}/approve",
                                                             json={"version": leave["version"]}), (sup, manager)))
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()
    assert len(winner["removed_duties"]) == 1
    assert demo_server.call(_duties_of, "agent") == []
