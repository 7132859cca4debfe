"""Attendance pages (plugins/rostering/attendance_pages.py): the monthly sheet for deciders
and for staff (their own only), the clock buttons' posts, and the correction form."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.plugins.rostering.test_attendance import API, SITE, _clear, duty, now_utc

PAGES = f"/sites/{SITE}/rostering"


@pytest.fixture
def server(demo_server):
    demo_server.call(_clear, "agent", "agent2", "supervisor")
    return demo_server


def test_clock_buttons_post_and_go_back(server, user_ids):
    agent = server.sign_in("agent")
    duty(server, "agent", now_utc() - dt.timedelta(minutes=20))
    done = agent.form_post(f"{PAGES}/clock-in", {"next": f"{PAGES}/me"})
    assert done.status_code == 303 and done.headers["location"] == f"{PAGES}/me"
    [record] = server.api_client("supervisor").get(API, params={"user_id": user_ids["agent"]}).json()["items"]
    assert record["late_minutes"] == 20 and record["clock_in_source"] == "button"
    # A second clock-in is refused with the reason, the clock-out button shown instead.
    again = agent.form_post(f"{PAGES}/clock-in", {"next": "https://evil.example/"})
    assert again.status_code == 409 and "clock out first" in again.text and "/clock-out" in again.text
    out = agent.form_post(f"{PAGES}/clock-out", {})
    assert out.status_code == 303 and out.headers["location"] == f"{PAGES}/me"
    refused = agent.form_post(f"{PAGES}/clock-out", {})
    assert refused.status_code == 409 and "clock in first" in refused.text
    # Without the security token nothing is written.
    assert agent.post(f"{PAGES}/clock-in", data={}).status_code == 403


def test_the_sheet_page_for_deciders_and_for_staff(server, user_ids):
    duty(server, "agent2", now_utc() - dt.timedelta(days=40), department="atd")
    sup = server.sign_in("supervisor")
    page = sup.get(f"{PAGES}/attendance")
    assert page.status_code == 200 and "Download CSV" in page.text and 'name="department"' in page.text
    month = (now_utc() - dt.timedelta(days=40)).astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m")
    shown = sup.get(f"{PAGES}/attendance", params={"month": month, "department": "atd"})
    assert shown.status_code == 200 and "<strong>Absent</strong>" in shown.text
    bad = sup.get(f"{PAGES}/attendance", params={"month": "2026-13"})
    assert bad.status_code == 422 and 'id="month-error"' in bad.text
    agent = server.sign_in("agent")
    own = agent.get(f"{PAGES}/attendance")
    assert own.status_code == 200 and 'name="department"' not in own.text
    assert agent.get(f"{PAGES}/attendance", params={"user_id": user_ids["agent2"]}).status_code == 403


def test_the_correction_form_refuses_a_clock_out_before_the_clock_in(server):
    record = server.api_client("agent").post(f"{API}/clock-in").json()
    sup = server.sign_in("supervisor")
    url = f"{PAGES}/attendance/{record['id']}"
    form = sup.get(url)
    assert form.status_code == 200 and 'name="clock_in_at"' in form.text
    start = dt.datetime.fromisoformat(record["clock_in_at"].replace("Z", "+00:00")).astimezone(
        dt.timezone(dt.timedelta(hours=8)))
    earlier = (start - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    refused = sup.form_post(url, {"clock_in_at": "", "clock_out_at": earlier, "reason": "forgot", "version": "1"})
    assert refused.status_code == 422 and 'id="clock_out_at-error"' in refused.text
    garbled = sup.form_post(url, {"clock_out_at": "yesterday", "reason": "forgot", "version": "1"})
    assert garbled.status_code == 422 and 'id="clock_out_at-error"' in garbled.text
    fixed = sup.form_post(url, {"clock_in_at": (start - dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"),
                                "clock_out_at": earlier, "reason": "forgot", "version": "1"})
    assert fixed.status_code == 303, fixed.text
    after = server.api_client("supervisor").get(f"{API}/{record['id']}").json()
    assert after["version"] == 2 and after["clock_out_at"] is not None
    assert server.sign_in("agent").get(url).status_code == 403
