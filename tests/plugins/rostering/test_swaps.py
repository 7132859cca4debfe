"""Shift swaps through the API: who may ask, answer and decide; bad input named by field; the
approval moves the duties only when the roster rules pass; racing approvals, one wins."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

BASE = "/api/v1/sites/harbour/rostering"
#: Far enough ahead that no demo roster reaches it, so each test draws its own.
DAY = dt.date.today() + dt.timedelta(days=400)


async def _draw(site_code: str, department: str, shifts: dict, duties: list, status: str = "published") -> dict:
    """Shift patterns ``{code: (start minute, minutes, min staff)}`` and duties
    ``[(username, code, day)]`` on week rosters of ``status``, made with the models (so the
    tests do not depend on the roster API). Returns the ids."""
    from core.entities.models import Site
    from core.identity.models import User
    from plugins.rostering.models import Duty, Roster, ShiftPattern
    from plugins.rostering.rules import shift_times

    site = await Site.get(code=site_code)
    made = {}
    for code, (start, minutes, minimum) in shifts.items():
        made[code] = await ShiftPattern.create(site=site, department=department, code=code, name=f"Shift {code}",
                                               start_minute=start, duration_minutes=minutes, min_staff=minimum)
    ids, users = [], {}
    for username, code, day in duties:
        users[username] = users.get(username) or await User.get(username=username)
        monday = day - dt.timedelta(days=day.weekday())
        roster = await Roster.get_or_none(site=site, department=department, starts_on=monday) \
            or await Roster.create(site=site, department=department, starts_on=monday,
                                   ends_on=monday + dt.timedelta(days=6), status=status)
        starts_at, ends_at = shift_times(site, made[code], day)
        duty = await Duty.create(site=site, roster=roster, user=users[username], shift=made[code], day=day,
                                 starts_at=starts_at, ends_at=ends_at)
        ids.append(duty.id)
    return {"shifts": {code: shift.id for code, shift in made.items()}, "duties": ids}


def draw(server, duties, shifts=None, site="harbour", department="service", status="published"):
    shifts = shifts or {"E": (7 * 60, 8 * 60, 0), "L": (15 * 60, 8 * 60, 0), "N": (23 * 60, 8 * 60, 0)}
    return server.call(_draw, site, department, shifts, duties, status)


async def _user_id(username: str) -> int:
    from core.identity.models import User

    return (await User.get(username=username)).id


def uid(server, username: str) -> int:
    return server.call(_user_id, username)


async def _duty(duty_id: int) -> dict:
    from plugins.rostering.models import Duty

    duty = await Duty.get(id=duty_id).prefetch_related("user")
    return {"user": duty.user.username, "origin": duty.origin}


def duty_of(server, duty_id: int) -> dict:
    return server.call(_duty, duty_id)


def fields_of(response) -> set[str]:
    return {error["field"] for error in response.json().get("errors", [])}


def ask(client, **body):
    return client.post(f"{BASE}/swaps", json=body)


def test_a_swap_exchanged_accepted_and_approved_moves_both_duties(demo_server):
    agent, agent2, sup = (demo_server.api_client(name) for name in ("agent", "agent2", "supervisor"))
    mine, theirs = draw(demo_server, [("agent", "E", DAY), ("agent2", "L", DAY + dt.timedelta(days=2))])["duties"]
    made = ask(agent, duty_id=mine, colleague_id=uid(demo_server, "agent2"), colleague_duty_id=theirs,
               reason="A family dinner")
    assert made.status_code == 201, made.text
    swap = made.json()
    assert swap["status"] == "requested" and swap["snapshot"]["duty"]["shift_code"] == "E"
    assert swap["snapshot"]["colleague_duty"]["id"] == theirs
    # The colleague sees it in their list; the supervisor too.
    assert [s["id"] for s in agent2.get(f"{BASE}/swaps").json()["items"]] == [swap["id"]]
    accepted = agent2.post(f"{BASE}/swaps/{swap['id']}/accept", json={"version": swap["version"]})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    approved = sup.post(f"{BASE}/swaps/{swap['id']}/approve", json={"version": accepted.json()["version"],
                                                                     "note": "Fine"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["decision_note"] == "Fine"
    assert duty_of(demo_server, mine) == {"user": "agent2", "origin": "swap"}
    assert duty_of(demo_server, theirs) == {"user": "agent", "origin": "swap"}


def test_a_handover_moves_only_the_requesters_duty(demo_server):
    agent, agent2, sup = (demo_server.api_client(name) for name in ("agent", "agent2", "supervisor"))
    (mine,) = draw(demo_server, [("agent", "E", DAY)])["duties"]
    swap = ask(agent, duty_id=mine, colleague_id=uid(demo_server, "agent2")).json()
    swap = agent2.post(f"{BASE}/swaps/{swap['id']}/accept", json={"version": swap["version"]}).json()
    assert sup.post(f"{BASE}/swaps/{swap['id']}/approve", json={"version": swap["version"]}).status_code == 200
    assert duty_of(demo_server, mine)["user"] == "agent2"


def test_bad_swaps_are_refused_naming_the_field(demo_server):
    agent = demo_server.api_client("agent")
    mine, theirs, draft = draw(demo_server, [("agent", "E", DAY), ("agent2", "E", DAY + dt.timedelta(days=1)),
                                             ("agent", "L", DAY + dt.timedelta(days=14))])["duties"]
    (unpublished,) = draw(demo_server, [("agent", "X", DAY + dt.timedelta(days=21))], shifts={"X": (420, 480, 0)},
                          status="draft")["duties"]
    past = draw(demo_server, [("agent", "P", dt.date.today() - dt.timedelta(days=3))],
                shifts={"P": (420, 480, 0)})["duties"][0]
    colleague = uid(demo_server, "agent2")
    myself = ask(agent, duty_id=mine, colleague_id=uid(demo_server, "agent"))
    assert myself.status_code == 422 and fields_of(myself) == {"colleague_id"}
    stranger = ask(agent, duty_id=mine, colleague_id=uid(demo_server, "caller"))  # a sunrise member only
    assert stranger.status_code == 422 and fields_of(stranger) == {"colleague_id"}
    for duty_id in (theirs, unpublished, past, 10**12):
        refused = ask(agent, duty_id=duty_id, colleague_id=colleague)
        assert refused.status_code == 422 and fields_of(refused) == {"duty_id"}, (duty_id, refused.text)
    not_theirs = ask(agent, duty_id=mine, colleague_id=colleague, colleague_duty_id=draft)
    assert not_theirs.status_code == 422 and fields_of(not_theirs) == {"colleague_duty_id"}
    missing = ask(agent, colleague_id=colleague)
    assert missing.status_code == 422 and fields_of(missing) == {"duty_id"}
    assert agent.get(f"{BASE}/swaps").json()["items"] == []
    # One open request per duty.
    assert ask(agent, duty_id=mine, colleague_id=colleague).status_code == 201
    again = ask(agent, duty_id=mine, colleague_id=uid(demo_server, "supervisor"))
    assert again.status_code == 409


def test_only_the_colleague_answers_and_only_an_accepted_swap_is_approved(demo_server):
    agent, agent2, sup = (demo_server.api_client(name) for name in ("agent", "agent2", "supervisor"))
    (mine,) = draw(demo_server, [("agent", "E", DAY)])["duties"]
    swap = ask(agent, duty_id=mine, colleague_id=uid(demo_server, "agent2")).json()
    for client in (agent, sup):
        refused = client.post(f"{BASE}/swaps/{swap['id']}/accept", json={"version": swap["version"]})
        assert refused.status_code == 403, refused.text
    early = sup.post(f"{BASE}/swaps/{swap['id']}/approve", json={"version": swap["version"]})
    assert early.status_code == 409 and early.json()["current"]["status"] == "requested"
    # Staff cannot decide at all.
    assert agent2.post(f"{BASE}/swaps/{swap['id']}/approve", json={"version": swap["version"]}).status_code == 403
    stale = agent2.post(f"{BASE}/swaps/{swap['id']}/accept", json={"version": swap["version"] + 5})
    assert stale.status_code == 409
    declined = agent2.post(f"{BASE}/swaps/{swap['id']}/decline", json={"version": swap["version"]})
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert duty_of(demo_server, mine)["user"] == "agent"


def test_the_requester_cancels_until_decided(demo_server):
    agent, agent2 = demo_server.api_client("agent"), demo_server.api_client("agent2")
    (mine,) = draw(demo_server, [("agent", "E", DAY)])["duties"]
    swap = ask(agent, duty_id=mine, colleague_id=uid(demo_server, "agent2")).json()
    assert agent2.post(f"{BASE}/swaps/{swap['id']}/cancel", json={"version": swap["version"]}).status_code == 403
    cancelled = agent.post(f"{BASE}/swaps/{swap['id']}/cancel", json={"version": swap["version"]})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    late = agent2.post(f"{BASE}/swaps/{swap['id']}/accept", json={"version": cancelled.json()["version"]})
    assert late.status_code == 409


def test_staff_see_their_own_swaps_and_deciders_the_sites(demo_server):
    agent, sup = demo_server.api_client("agent"), demo_server.api_client("supervisor")
    (mine,) = draw(demo_server, [("agent2", "E", DAY)])["duties"]
    agent2 = demo_server.api_client("agent2")
    made = ask(agent2, duty_id=mine, colleague_id=uid(demo_server, "supervisor")).json()
    assert agent.get(f"{BASE}/swaps").json()["items"] == []
    assert [s["id"] for s in sup.get(f"{BASE}/swaps", params={"status": "requested"}).json()["items"]] == [made["id"]]
    assert sup.get(f"{BASE}/swaps", params={"user_id": uid(demo_server, "agent")}).json()["items"] == []


def _accepted_swap(server, duties):
    agent, agent2 = server.api_client("agent"), server.api_client("agent2")
    swap = ask(agent, duty_id=duties[0], colleague_id=uid(server, "agent2"),
               colleague_duty_id=duties[1] if len(duties) > 1 else None)
    assert swap.status_code == 201, swap.text
    swap = swap.json()
    return agent2.post(f"{BASE}/swaps/{swap['id']}/accept", json={"version": swap["version"]}).json()


def test_a_swap_that_breaks_the_colleagues_rest_is_refused_with_the_reason(demo_server):
    sup = demo_server.api_client("supervisor")
    # agent2 works the late of DAY (15:00-23:00); agent's early of DAY+1 (07:00) would leave
    # agent2 8 hours of rest, under the site's minimum of 11.
    mine, _late = draw(demo_server, [("agent", "E", DAY + dt.timedelta(days=1)), ("agent2", "L", DAY)])["duties"]
    swap = _accepted_swap(demo_server, [mine])
    refused = sup.post(f"{BASE}/swaps/{swap['id']}/approve", json={"version": swap["version"]})
    assert refused.status_code == 409, refused.text
    assert "rest less than 11 hours" in refused.json()["detail"]
    assert fields_of(refused) == {"colleague_id"}
    assert duty_of(demo_server, mine)["user"] == "agent"
    listed = sup.get(f"{BASE}/swaps", params={"status": "accepted"}).json()["items"]
    assert [s["id"] for s in listed] == [swap["id"]]  # still waiting, nothing written


def test_a_swap_onto_an_overlapping_duty_is_refused(demo_server):
    sup = demo_server.api_client("supervisor")
    # The colleague works 09:00-17:00 that day; the early is 07:00-15:00.
    mine, _other = draw(demo_server, [("agent", "E", DAY), ("agent2", "M", DAY)],
                        shifts={"E": (420, 480, 0), "M": (540, 480, 0)})["duties"]
    swap = _accepted_swap(demo_server, [mine])
    refused = sup.post(f"{BASE}/swaps/{swap['id']}/approve", json={"version": swap["version"]})
    assert refused.status_code == 409 and "may not overlap" in refused.json()["detail"]
    assert duty_of(demo_server, mine)["user"] == "agent"


def test_an_exchange_that_would_leave_the_requester_without_rest_is_refused(demo_server):
    sup = demo_server.api_client("supervisor")
    # agent gives the early of DAY+3 and would take agent2's night of DAY, while agent works the
    # early of DAY+1 (07:00), right after that night ends (07:00): no rest at all.
    mine, theirs, _next = draw(demo_server, [("agent", "E", DAY + dt.timedelta(days=3)), ("agent2", "N", DAY),
                                             ("agent", "E", DAY + dt.timedelta(days=1))])["duties"]
    swap = _accepted_swap(demo_server, [mine, theirs])
    refused = sup.post(f"{BASE}/swaps/{swap['id']}/approve", json={"version": swap["version"]})
    assert refused.status_code == 409 and fields_of(refused) == {"requester_id"}
    assert duty_of(demo_server, theirs)["user"] == "agent2"


def test_racing_approvals_of_one_swap_one_wins(demo_server):
    sup, manager = demo_server.api_client("supervisor"), demo_server.api_client("manager")
    (mine,) = draw(demo_server, [("agent", "E", DAY)])["duties"]
    swap = _accepted_swap(demo_server, [mine])
    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(lambda client: client.post(f"{BASE}/swaps/{swap['id']}/approve",
                                                             json={"version": swap["version"]}), (sup, manager)))
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    assert duty_of(demo_server, mine)["user"] == "agent2"


def test_racing_approve_and_reject_one_wins(demo_server):
    sup, manager = demo_server.api_client("supervisor"), demo_server.api_client("manager")
    (mine,) = draw(demo_server, [("agent", "E", DAY)])["duties"]
    swap = _accepted_swap(demo_server, [mine])
    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(lambda pair: pair[0].post(f"{BASE}/swaps/{swap['id']}/{pair[1]}",
                                                            json={"version": swap["version"]}),
                                  ((sup, "approve"), (manager, "reject"))))
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    final = sup.get(f"{BASE}/swaps").json()["items"][0]["status"]
    assert duty_of(demo_server, mine)["user"] == ("agent2" if final == "approved" else "agent")


def test_the_colleague_hears_of_the_request_live(demo_server):
    """The colleague holds no decide permission, yet the live event names them."""
    agent = demo_server.api_client("agent")
    (mine,) = draw(demo_server, [("agent", "E", DAY)])["duties"]
    colleague, site_id = uid(demo_server, "agent2"), demo_server.call(_site_id, "harbour")
    bus = demo_server.app.state.events
    theirs = bus.subscribe(site_id, set(), user_id=colleague)
    stranger = bus.subscribe(site_id, set(), user_id=uid(demo_server, "supervisor"))
    try:
        swap = ask(agent, duty_id=mine, colleague_id=colleague).json()
        heard = [theirs.queue.get_nowait() for _ in range(theirs.queue.qsize())]
        assert [(e.name, e.data["id"]) for e in heard] == [("rostering.swap.changed", swap["id"])]
        assert stranger.queue.qsize() == 0
    finally:
        bus.unsubscribe(theirs)
        bus.unsubscribe(stranger)


async def _site_id(code: str) -> int:
    from core.entities.models import Site

    return (await Site.get(code=code)).id
