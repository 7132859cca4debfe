"""In Chromium: a notice rings the bell of its one user live (count and toast), not a colleague's."""

import pytest

from tests.core.messages.test_outbox_api import notices_for

pytestmark = pytest.mark.browser


def test_a_notice_rings_the_bell_live_with_a_toast(browser_as, live_demo_server):
    agent = browser_as("agent")
    colleague = browser_as("agent2")
    for page in (agent, colleague):
        page.goto("/sites/harbour/parties")
        page.wait_for_selector("#bell[data-bell-connected]")
        assert page.is_hidden("#bell [data-bell-count]")
    notices_for(live_demo_server, "agent", text="Mrs Lin is at the desk")
    agent.wait_for_selector("#bell [data-bell-count]:not([hidden])")
    assert agent.inner_text("#bell [data-bell-count]") == "1"
    assert agent.inner_text(".toast") == "Mrs Lin is at the desk"
    assert colleague.is_hidden("#bell [data-bell-count]")
    agent.click("#bell")
    agent.wait_for_url("**/me/notifications")
    assert "Mrs Lin is at the desk" in agent.inner_text("#notices")
