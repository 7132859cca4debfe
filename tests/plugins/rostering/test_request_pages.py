"""The swap and leave pages: the supervisor's queue, the two forms (re-shown with the field's
message on bad input), the action posts (303 back, the reason shown when refused), and parity
with the API."""

import datetime as dt

from tests.plugins.rostering.test_swaps import BASE, DAY, draw, uid

PAGES = "/sites/harbour/rostering"


def leave_form(starts_on, ends_on=None, **fields):
    return {"leave_type": "annual", "starts_on": str(starts_on), "ends_on": str(ends_on or starts_on), **fields}


def test_the_queue_is_for_deciders_and_lists_what_waits(demo_server):
    agent, agent2 = demo_server.api_client("agent"), demo_server.api_client("agent2")
    (mine,) = draw(demo_server, [("agent", "E", DAY)])["duties"]
    swap = agent.post(f"{BASE}/swaps", json={"duty_id": mine, "colleague_id": uid(demo_server, "agent2"),
                                             "reason": "Dentist at seven"}).json()
    agent2.post(f"{BASE}/swaps/{swap['id']}/accept", json={"version": swap["version"]})
    agent.post(f"{BASE}/leave", json={"leave_type": "annual", "starts_on": str(DAY + dt.timedelta(days=9)),
                                      "ends_on": str(DAY + dt.timedelta(days=9)), "reason": "Moving house"})
    page = demo_server.sign_in("supervisor").get(f"{PAGES}/requests")
    assert page.status_code == 200
    assert "Dentist at seven" in page.text and "Moving house" in page.text
    assert f"/rostering/swaps/{swap['id']}/approve" in page.text
    assert demo_server.sign_in("agent").get(f"{PAGES}/requests").status_code == 403


def test_the_swap_form_reshows_bad_input_and_asks(demo_server):
    (mine,) = draw(demo_server, [("agent", "E", DAY)])["duties"]
    browser = demo_server.sign_in("agent")
    form = browser.get(f"{PAGES}/swaps/new")
    assert form.status_code == 200 and f'value="{mine}"' in form.text
    myself = browser.form_post(f"{PAGES}/swaps/new", {"duty_id": str(mine), "colleague_id": str(uid(demo_server, "agent"))})
    assert myself.status_code == 422 and "not of yourself" in myself.text
    blank = browser.form_post(f"{PAGES}/swaps/new", {"colleague_id": str(uid(demo_server, "agent2"))})
    assert blank.status_code == 422 and 'id="duty_id-error"' in blank.text
    asked = browser.form_post(f"{PAGES}/swaps/new", {"duty_id": str(mine), "colleague_id": str(uid(demo_server, "agent2")),
                                                     "colleague_duty_id": ""})
    assert asked.status_code == 303 and asked.headers["location"] == f"{PAGES}/me"
    assert demo_server.api_client("agent2").get(f"{BASE}/swaps").json()["items"][0]["status"] == "requested"


def test_the_leave_form_reshows_bad_input_beside_the_field(demo_server):
    browser = demo_server.sign_in("agent")
    assert browser.get(f"{PAGES}/leave/new").status_code == 200
    backwards = browser.form_post(f"{PAGES}/leave/new", leave_form(DAY, DAY - dt.timedelta(days=1)))
    assert backwards.status_code == 422
    assert 'id="ends_on-error"' in backwards.text and "cannot end before it starts" in backwards.text
    bad_date = browser.form_post(f"{PAGES}/leave/new", leave_form("2026-02-30"))
    assert bad_date.status_code == 422 and 'id="starts_on-error"' in bad_date.text
    made = browser.form_post(f"{PAGES}/leave/new", leave_form(DAY, start_half="pm"))
    assert made.status_code == 303 and made.headers["location"] == f"{PAGES}/me"


def test_actions_go_back_and_a_refusal_says_why(demo_server):
    agent = demo_server.api_client("agent")
    leave = agent.post(f"{BASE}/leave", json={"leave_type": "annual", "starts_on": str(DAY),
                                              "ends_on": str(DAY)}).json()
    sup = demo_server.sign_in("supervisor")
    stale = sup.form_post(f"{PAGES}/leave/{leave['id']}/approve", {"version": str(leave["version"] + 1),
                                                                    "next": "requests"})
    assert stale.status_code == 409 and "changed meanwhile" in stale.text and "Requests to decide" in stale.text
    done = sup.form_post(f"{PAGES}/leave/{leave['id']}/approve", {"version": str(leave["version"]),
                                                                   "next": f"{PAGES}/requests"})
    assert done.status_code == 303 and done.headers["location"] == f"{PAGES}/requests"
    again = demo_server.sign_in("agent").form_post(f"{PAGES}/leave/{leave['id']}/cancel",
                                                   {"version": str(leave["version"] + 1), "next": "me"})
    assert again.status_code == 409 and "ask a supervisor" in again.text and f'href="{PAGES}/me"' in again.text
    elsewhere = sup.form_post(f"{PAGES}/leave/{leave['id']}/reject",
                              {"version": "1", "next": "https://example.com/"})
    assert elsewhere.status_code == 409 and "example.com" not in elsewhere.text
    unknown = sup.form_post(f"{PAGES}/leave/{leave['id']}/explode", {"version": "1"})
    assert unknown.status_code == 404


def _accepted(server):
    (mine,) = draw(server, [("agent", "E", DAY)])["duties"]
    agent, agent2 = server.api_client("agent"), server.api_client("agent2")
    swap = agent.post(f"{BASE}/swaps", json={"duty_id": mine, "colleague_id": uid(server, "agent2")}).json()
    return agent2.post(f"{BASE}/swaps/{swap['id']}/accept", json={"version": swap["version"]}).json()


def test_parity_of_approving_a_swap(parity):
    footprint = parity.check(
        "supervisor", prepare=_accepted,
        api=lambda swap: ("POST", f"{BASE}/swaps/{swap['id']}/approve", {"version": swap["version"]}),
        page=lambda swap: (f"{PAGES}/swaps/{swap['id']}/approve", {"version": str(swap["version"]),
                                                                   "next": "requests"}))
    assert footprint.audit == ["rostering.swap.approve"] and footprint.events == ["rostering.swap.changed"]


def test_parity_of_asking_for_leave(parity):
    footprint = parity.check(
        "agent",
        api=("POST", f"{BASE}/leave", {"leave_type": "sick", "starts_on": str(DAY), "ends_on": str(DAY),
                                       "end_half": "am"}),
        page=(f"{PAGES}/leave/new", leave_form(DAY, leave_type="sick", end_half="am")))
    assert footprint.rows["rostering_leave"] == 1 and footprint.audit == ["rostering.leave.request"]


def test_parity_of_asking_for_a_swap(parity):
    def prepare(server):
        (mine,) = draw(server, [("agent", "E", DAY)])["duties"]
        return {"duty_id": mine, "colleague_id": uid(server, "agent2")}

    footprint = parity.check(
        "agent", prepare=prepare,
        api=lambda body: ("POST", f"{BASE}/swaps", body),
        page=lambda body: (f"{PAGES}/swaps/new", {key: str(value) for key, value in body.items()}))
    assert footprint.events == ["rostering.swap.changed"]


def test_a_refused_approval_shows_the_conflict_on_the_queue(demo_server):
    # agent2 works the late of DAY (to 23:00); taking agent's early of DAY+1 leaves 8 hours of rest.
    mine, _late = draw(demo_server, [("agent", "E", DAY + dt.timedelta(days=1)), ("agent2", "L", DAY)])["duties"]
    agent, agent2 = demo_server.api_client("agent"), demo_server.api_client("agent2")
    swap = agent.post(f"{BASE}/swaps", json={"duty_id": mine, "colleague_id": uid(demo_server, "agent2")}).json()
    swap = agent2.post(f"{BASE}/swaps/{swap['id']}/accept", json={"version": swap["version"]}).json()
    page = demo_server.sign_in("supervisor").form_post(f"{PAGES}/swaps/{swap['id']}/approve",
                                                       {"version": str(swap["version"]), "next": "requests"})
    assert page.status_code == 409
    assert "rest less than 11 hours" in page.text and "form-errors" in page.text
    assert f"/rostering/swaps/{swap['id']}/approve" in page.text  # still waiting, still decidable
