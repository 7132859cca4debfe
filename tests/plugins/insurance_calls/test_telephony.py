"""The telephone system's webhook and the incoming-call screen pop (issue 19).

Signed events (HMAC-SHA256 with the site's secret) are recorded once per call whatever
their order or repeats; ringing pops the caller's history on the agent's live stream, and
only theirs; a call logged with the pop's id takes its times from the telephone events.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.entities.models import Site
from core.identity.models import User
from plugins.insurance_calls import telephony
from plugins.insurance_calls.models import Call, TelephonyCall
from tests.plugins.insurance_calls.conftest import BASE, call_body, log

SECRET = "test-secret-0123456789abcdef"
HOOK = f"{BASE}/telephony/events"
NUMBER = "13900001234"


def set_secret(demo_server, secret: str = SECRET, site: str = "sunrise") -> None:
    admin = demo_server.api_client("admin")
    url = f"/api/v1/sites/{site}/settings"
    version = admin.get(url).json()["version"]
    response = admin.patch(url, json={"version": version,
                                      "values": {"insurance_calls": {"telephony": {"webhook_secret": secret}}}})
    assert response.status_code == 200, response.text


def signed(body: dict | bytes, secret: str = SECRET, timestamp: int | None = None) -> tuple[bytes, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return raw, {"Content-Type": "application/json", telephony.TIMESTAMP_HEADER: stamp,
                 telephony.SIGNATURE_HEADER: telephony.signature(secret, stamp, raw)}


def send(demo_server, body: dict, *, path: str = HOOK, **signing):
    raw, headers = signed(body, **signing)
    return demo_server.client().post(path, content=raw, headers=headers)


def event(kind: str = "ringing", call_id: str = "pbx-1", caller: str = NUMBER, extension: str = "4101", **extra):
    return {"event": kind, "call_id": call_id, "caller": caller, "extension": extension, **extra}


def rows(demo_server, call_id: str = "pbx-1"):
    return demo_server.call(lambda: TelephonyCall.filter(pbx_call_id=call_id).values())


@pytest.fixture
def hooked(demo_server):
    set_secret(demo_server)
    return demo_server


def test_a_signed_ringing_event_is_recorded_for_the_agent_of_the_extension(hooked, user_ids):
    response = send(hooked, event())
    assert response.status_code == 202, response.text
    assert response.json() == {"call_id": "pbx-1", "agent": "caller"}
    (row,) = rows(hooked)
    assert row["agent_id"] == user_ids["caller"] and row["caller"] == NUMBER and row["extension"] == "4101"
    assert row["ringing_at"] is not None and row["answered_at"] is None and row["call_id"] is None


@pytest.mark.parametrize("tamper", ["signature", "secret", "stale", "future", "missing", "body"])
def test_a_bad_or_stale_signature_is_401_and_records_nothing(hooked, tamper):
    body = event()
    raw, headers = signed(body, secret="another-secret-0123456789" if tamper == "secret" else SECRET,
                          timestamp=int(time.time()) + {"stale": -301, "future": 310}.get(tamper, 0))
    if tamper == "signature":
        headers[telephony.SIGNATURE_HEADER] = "sha256=" + "0" * 64
    if tamper == "missing":
        del headers[telephony.SIGNATURE_HEADER], headers[telephony.TIMESTAMP_HEADER]
    if tamper == "body":
        raw = raw.replace(b"4101", b"4102")  # signed for 4101
    response = hooked.client().post(HOOK, content=raw, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert rows(hooked) == []


def test_a_timestamp_within_five_minutes_is_accepted(hooked):
    assert send(hooked, event(), timestamp=int(time.time()) - 290).status_code == 202


def test_without_a_secret_the_webhook_is_off(demo_server):
    response = send(demo_server, event(), secret="")
    assert response.status_code == 401
    assert rows(demo_server) == []


def test_the_secret_is_a_site_setting_of_at_least_16_characters(demo_server):
    admin = demo_server.api_client("admin")
    version = admin.get("/api/v1/sites/sunrise/settings").json()["version"]
    response = admin.patch("/api/v1/sites/sunrise/settings", json={
        "version": version, "values": {"insurance_calls": {"telephony": {"webhook_secret": "short"}}}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "insurance_calls.telephony.webhook_secret"


def test_another_sites_secret_does_not_open_this_site(hooked):
    """Sunrise's signature posted to lotus (no secret there) is refused."""
    assert send(hooked, event(), path="/api/v1/sites/lotus/insurance/telephony/events").status_code == 401


def test_an_unknown_site_is_404(hooked):
    response = send(hooked, event(), path="/api/v1/sites/nowhere/insurance/telephony/events")
    assert response.status_code == 404


@pytest.mark.parametrize("body, field", [
    (event(kind="dialing"), "event"),
    (event(call_id=""), "call_id"),
    (event(caller="call me maybe"), "caller"),
    (event(at="yesterday"), "at"),
    (event(at="2099-01-01T00:00:00Z"), "at"),
    ({"call_id": "x"}, "event"),
])
def test_a_bad_body_is_422_naming_the_field(hooked, body, field):
    response = send(hooked, body)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert hooked.call(lambda: TelephonyCall.all().count()) == 0


def test_malformed_json_with_a_good_signature_is_400(hooked):
    raw, headers = signed(b"{not json")
    assert hooked.client().post(HOOK, content=raw, headers=headers).status_code == 400


def test_an_unknown_extension_is_logged_masked_and_recorded_without_an_agent(hooked, caplog):
    with caplog.at_level(logging.WARNING, logger="frontdesk.insurance_calls.telephony"):
        response = send(hooked, event(extension="9999"))
    assert response.status_code == 202
    assert response.json() == {"call_id": "pbx-1", "agent": None}
    (row,) = rows(hooked)
    assert row["agent_id"] is None and row["extension"] == "9999"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "9999" in logged and "13*******34" in logged
    assert NUMBER not in logged


def test_an_extension_of_a_disabled_user_or_of_another_site_is_unknown(hooked):
    hooked.call(lambda: User.filter(username="caller2").update(is_active=False))
    assert send(hooked, event(call_id="a", extension="4102")).json()["agent"] is None
    assert send(hooked, event(call_id="b", extension="2101")).json()["agent"] is None  # agent: harbour's


def test_repeated_and_out_of_order_events_keep_one_row_and_the_first_times(hooked):
    ended = "2026-01-05T08:10:00Z"
    assert send(hooked, event("ended", at=ended)).status_code == 202  # ended before anything else
    assert send(hooked, event("ringing", at="2026-01-05T08:00:00Z")).status_code == 202
    assert send(hooked, event("ringing", at="2026-01-05T08:00:30Z")).status_code == 202  # a retry
    assert send(hooked, event("answered", at="2026-01-05T08:00:20Z")).status_code == 202
    assert send(hooked, event("ended", at="2026-01-05T08:11:00Z")).status_code == 202
    (row,) = rows(hooked)
    utc = dt.timezone.utc
    assert row["ringing_at"] == dt.datetime(2026, 1, 5, 8, 0, tzinfo=utc)
    assert row["answered_at"] == dt.datetime(2026, 1, 5, 8, 0, 20, tzinfo=utc)
    assert row["ended_at"] == dt.datetime(2026, 1, 5, 8, 10, tzinfo=utc)
    assert row["version"] == 3  # created by the end, then the ringing, then the answer: repeats changed nothing


def _subscribe_agents(demo_server, *usernames):
    """Live-stream subscriptions of these users at sunrise, with the permissions they hold
    there (what GET /events subscribes for them)."""
    from core.identity.services import permissions_at

    async def subscribe():
        site = await Site.get(code="sunrise")
        found = {}
        for username in usernames:
            user = await User.get(username=username)
            found[username] = demo_server.app.state.events.subscribe(site.id, set(await permissions_at(user, site.id)),
                                                                     user_id=user.id)
        return found

    return demo_server.call(subscribe)


def _heard(subscription) -> list:
    return [subscription.queue.get_nowait() for _ in range(subscription.queue.qsize())]


def test_the_pop_reaches_only_the_agent_of_the_extension_with_the_callers_history(hooked, caller):
    log(caller, phone=NUMBER, caller_name="周先生", plate="粤B12345", call_type="quote", fields={"vehicle": "Camry"},
        summary="Asked for a quote")
    log(caller, phone=NUMBER, caller_name="", policy_no="PDAA202644030000012345", call_type="renewal",
        plate="粤B12345", summary="Renewal")
    streams = _subscribe_agents(hooked, "caller", "caller2", "callsup", "admin")
    try:
        assert send(hooked, event()).status_code == 202
        (pop,) = _heard(streams["caller"])
        assert all(_heard(streams[name]) == [] for name in ("caller2", "callsup", "admin"))
    finally:
        for subscription in streams.values():
            hooked.app.state.events.unsubscribe(subscription)
    assert pop.name == "insurance_calls.screen_pop"
    assert pop.data["id"] == rows(hooked)[0]["id"] and pop.data["caller"] == NUMBER
    assert pop.data["prefill"] == {"phone": NUMBER, "caller_name": "周先生", "plate": "粤B12345",
                                   "policy_no": "PDAA202644030000012345"}
    history = pop.data["history"]
    assert [call["summary"] for call in history["calls"]] == ["Renewal", "Asked for a quote"]
    assert history["calls"][0]["outcome"] == "resolved" and history["calls"][0]["call_type"] == "renewal"
    assert history["repeat_caller"] is True
    # a repeated ringing pops nothing more; answered and ended update the same agent only
    streams = _subscribe_agents(hooked, "caller", "caller2")
    try:
        send(hooked, event())
        assert _heard(streams["caller"]) == []
        send(hooked, event("answered"))
        send(hooked, event("ended"))
        updates = _heard(streams["caller"])
        assert [(e.name, bool(e.data["answered_at"]), bool(e.data["ended_at"])) for e in updates] == [
            ("insurance_calls.telephony_call", True, False), ("insurance_calls.telephony_call", True, True)]
        assert _heard(streams["caller2"]) == []
    finally:
        for subscription in streams.values():
            hooked.app.state.events.unsubscribe(subscription)


def test_an_unknown_extension_pops_nothing(hooked):
    streams = _subscribe_agents(hooked, "caller", "caller2", "callsup")
    try:
        send(hooked, event(extension="9999"))
        assert all(_heard(subscription) == [] for subscription in streams.values())
    finally:
        for subscription in streams.values():
            hooked.app.state.events.unsubscribe(subscription)


def _answered_and_ended(hooked, call_id: str = "pbx-1") -> int:
    send(hooked, event("ringing", call_id=call_id, at="2026-01-05T08:00:00Z"))
    send(hooked, event("answered", call_id=call_id, at="2026-01-05T08:00:12Z"))
    send(hooked, event("ended", call_id=call_id, at="2026-01-05T08:04:42Z"))
    return rows(hooked, call_id)[0]["id"]


def test_a_call_logged_with_the_telephony_call_takes_its_times_and_is_linked(hooked, caller):
    telephony_id = _answered_and_ended(hooked)
    call = log(caller, telephony_call_id=telephony_id, started_at="2026-01-05T07:00:00Z")
    assert call["started_at"] == "2026-01-05T08:00:12Z" and call["ended_at"] == "2026-01-05T08:04:42Z"
    assert call["handle_seconds"] == 270
    assert rows(hooked)[0]["call_id"] == call["id"]


def test_a_call_logged_before_the_end_event_ends_when_it_is_logged(hooked, caller):
    send(hooked, event("ringing", at=(dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=3)).isoformat()))
    telephony_id = rows(hooked)[0]["id"]
    call = log(caller, telephony_call_id=telephony_id)
    assert 170 <= call["handle_seconds"] <= 200  # from the ringing (never answered) to now


@pytest.mark.parametrize("which", ["unknown", "foreign", "logged", "text"])
def test_a_bad_telephony_call_id_is_422_naming_it(hooked, caller, which):
    telephony_id = _answered_and_ended(hooked)
    if which == "unknown":
        telephony_id = 987654321
    if which == "foreign":
        async def move():
            lotus = await Site.get(code="lotus")
            await TelephonyCall.filter(id=telephony_id).update(site_id=lotus.id)
        hooked.call(move)
    if which == "logged":
        log(caller, telephony_call_id=telephony_id)
    if which == "text":
        telephony_id = "abc"
    before = hooked.call(lambda: Call.all().count())
    response = caller.post(f"{BASE}/calls", json=call_body(telephony_call_id=telephony_id))
    assert response.status_code == 422, response.text
    assert "telephony_call_id" in [error["field"] for error in response.json()["errors"]]
    assert hooked.call(lambda: Call.all().count()) == before


def test_the_call_page_logs_with_the_popped_telephony_call(hooked):
    telephony_id = _answered_and_ended(hooked)
    page = hooked.sign_in("caller")
    form = page.get("/sites/sunrise/insurance_calls/")
    assert form.status_code == 200
    assert 'name="telephony_call_id"' in form.text and "insurance_calls.js" in form.text
    data = {"direction": "inbound", "phone": NUMBER, "call_type": "other", "summary": "Popped call",
            "outcome": "resolved", "started_at": "2026-01-05T15:30", "telephony_call_id": str(telephony_id)}
    response = page.form_post("/sites/sunrise/insurance_calls/", data)
    assert response.status_code in (302, 303), response.text
    call = hooked.call(lambda: Call.get(summary="Popped call"))
    assert call.started_at == dt.datetime(2026, 1, 5, 8, 0, 12, tzinfo=dt.timezone.utc)
    assert call.handle_seconds == 270
    assert rows(hooked)[0]["call_id"] == call.id
    # the same telephony call again: the form is shown again with the message
    again = page.form_post("/sites/sunrise/insurance_calls/", {**data, "summary": "Twice"})
    assert again.status_code == 422
    assert "logged already" in again.text


# --- the Asterisk example, run as Asterisk would run it, against a real server ---------------

SCRIPT = Path(__file__).resolve().parents[3] / "docs" / "examples" / "asterisk" / "frontdesk-pop.py"


def run_script(server, *args: str, secret: str = SECRET) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", ""), "FRONTDESK_URL": server.url, "FRONTDESK_SITE": "sunrise",
           "FRONTDESK_WEBHOOK_SECRET": secret}
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=30,
                          check=False)


def test_the_dialplan_names_the_script_for_each_event():
    dialplan = (SCRIPT.parent / "extensions.conf").read_text()
    for kind in ("ringing", "answered", "ended"):
        assert f"frontdesk-pop.py {kind} " in dialplan
    assert "FILTER(0123456789+,${CALLERID(num)})" in dialplan


def test_the_asterisk_script_pops_the_history_on_the_agents_live_stream(live_demo_server):
    set_secret(live_demo_server)
    agent = live_demo_server.api_client("caller")
    log(agent, phone=NUMBER, caller_name="周先生", plate="粤B12345", call_type="quote", fields={"vehicle": "Camry"})
    with agent.stream("GET", "/api/v1/sites/sunrise/events", timeout=15) as stream:
        lines = stream.iter_lines()
        assert next(line for line in lines if line.startswith(": connected"))
        ringing = run_script(live_demo_server, "ringing", "1733000000.42", "139-0000-1234", "4101")
        assert ringing.returncode == 0, ringing.stderr
        assert json.loads(ringing.stdout) == {"call_id": "1733000000.42", "agent": "caller"}
        assert next(line for line in lines if line.startswith("event:")) == "event: insurance_calls.screen_pop"
        pop = json.loads(next(line for line in lines if line.startswith("data:"))[len("data:"):])
    assert pop["prefill"]["caller_name"] == "周先生" and pop["prefill"]["plate"] == "粤B12345"
    assert pop["caller"] == NUMBER
    for kind in ("answered", "ended"):
        done = run_script(live_demo_server, kind, "1733000000.42", "139-0000-1234", "4101")
        assert done.returncode == 0, done.stderr
    (row,) = live_demo_server.call(lambda: TelephonyCall.filter(pbx_call_id="1733000000.42").values())
    assert row["ringing_at"] and row["answered_at"] and row["ended_at"]
    assert row["caller"] == NUMBER and row["agent_id"] is not None


def test_the_asterisk_script_reports_a_refusal(live_demo_server):
    set_secret(live_demo_server)
    refused = run_script(live_demo_server, "ringing", "1733000000.43", "0912345678", "4101",
                         secret="not-the-secret-at-all")
    assert refused.returncode == 1 and "401" in refused.stderr
    assert run_script(live_demo_server, "dialing", "x", "1", "2").returncode == 2


@pytest.mark.browser
def test_in_chromium_the_ringing_call_pops_and_the_saved_call_takes_the_telephone_times(browser_as, live_demo_server):
    set_secret(live_demo_server)
    page = browser_as("caller")
    page.goto("/sites/sunrise/insurance_calls/")
    page.wait_for_selector("#call-form[data-pop-connected='true']")
    assert send(live_demo_server, event(caller="138 0013 8000", call_id="chromium-1")).status_code == 202
    page.wait_for_selector("#incoming-call:not([hidden])")
    assert "13800138000" in page.inner_text("#incoming-call")
    page.wait_for_selector("#history-body .ic-calls li")
    assert page.input_value("#phone") == "13800138000"
    assert page.input_value("#caller_name") == "张伟"  # the demo's repeat caller
    telephony_id = page.input_value("#telephony_call_id")
    assert telephony_id == str(rows(live_demo_server, "chromium-1")[0]["id"])
    answered = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=95)).strftime("%Y-%m-%dT%H:%M:%SZ")
    send(live_demo_server, event("answered", call_id="chromium-1", at=answered))
    send(live_demo_server, event("ended", call_id="chromium-1"))
    page.wait_for_selector("#incoming-call[data-state='ended']")
    page.select_option("#call_type", "other")
    page.fill("#summary", "Asked where the branch is")
    page.focus("#summary")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#logged-banner")
    call = live_demo_server.call(lambda: Call.get(summary="Asked where the branch is"))
    assert 90 <= call.handle_seconds <= 100
    assert rows(live_demo_server, "chromium-1")[0]["call_id"] == call.id
