"""In Chromium: typing a phone number shows the caller's history; logging a follow-up creates a callback."""

import datetime as dt

import pytest

pytestmark = pytest.mark.browser


def test_screen_pop_then_log_a_call_that_creates_a_callback(browser_as, live_demo_server):
    page = browser_as("caller")
    page.goto("/sites/sunrise/insurance_calls/")
    assert page.evaluate("document.activeElement.id") == "phone"
    page.keyboard.type("138 0013 8000")  # the demo's repeat caller
    page.wait_for_selector("#history-body .ic-calls li")
    assert page.get_attribute("#history-body .ic-repeat", "data-repeat") == "true"
    assert "张伟" in page.inner_text("#caller-history")
    assert page.input_value("#caller_name") == "张伟"
    page.select_option("#call_type", "quote")
    assert page.is_visible(".ic-type-field.ic-needed")
    page.fill("#plate", "粤B12345")
    page.fill("#vehicle", "丰田 凯美瑞 2021")
    page.fill("#summary", "续保报价，需要核实折扣后回电")
    page.select_option("#outcome", "follow_up")
    promised = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=8 + 3)  # Asia/Shanghai
    page.fill("#follow_up_at", promised.strftime("%Y-%m-%dT%H:%M"))
    page.focus("#summary")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#logged-banner")
    assert "Callback task" in page.inner_text("#logged-banner")
    page.click("#logged-banner a")
    page.wait_for_url("**/tasks/*")
    assert "Call back" in page.inner_text("h1")
