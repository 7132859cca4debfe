"""The core pages in a real browser (Debian's Chromium through Playwright)."""

import pytest

from tests.core.tasks.conftest import new_task

pytestmark = pytest.mark.browser


async def _user_id(username):
    from core.identity.models import User

    return (await User.get(username=username)).id


def test_sign_in_switch_language_and_sign_out(browser_as):
    page = browser_as("agent")
    assert page.locator(".user-name").inner_text().strip()
    with page.expect_navigation():
        page.select_option("#language-select", "zh_Hant")  # submits itself (frontdesk.js)
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    page.click("form[action='/logout'] button")
    page.wait_for_url("**/login")


def test_my_work_updates_live_when_a_task_is_assigned(browser_as, live_demo_server):
    page = browser_as("agent")
    page.goto("/sites/harbour/my-work")
    page.wait_for_selector("[data-live-connected='true']")
    supervisor = live_demo_server.api_client("supervisor")
    new_task(supervisor, title="Live: smell of gas in B-0302", assignee_id=live_demo_server.call(_user_id, "agent"))
    page.wait_for_selector("text=Live: smell of gas in B-0302", timeout=5000)


def test_no_console_errors_and_no_csp_violations_on_core_pages(browser_as):
    page = browser_as("admin")
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    for path in ("/", "/sites", "/sites/harbour/my-work", "/sites/harbour/board", "/sites/harbour/units",
                 "/admin/users", "/admin/audit", "/api/docs"):
        response = page.goto(path)
        assert response.status < 400, path
    assert problems == []
