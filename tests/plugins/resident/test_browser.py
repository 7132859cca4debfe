"""Headless Chromium: intake → reply → resolve → revisit → close, as the desk does it."""

import pytest

pytestmark = pytest.mark.browser


def test_closed_loop_in_the_browser(browser_as):
    page = browser_as("supervisor")
    page.goto("/sites/harbour/resident/")
    page.fill("#unit_code", "A-0304")
    page.select_option("#kind", "complaint")
    page.fill("#category", "noise")
    page.fill("#title", "Barking dog every night")
    page.click("#intake button[type=submit]")
    page.wait_for_load_state()
    page.wait_for_url("**/resident/cases/*")
    page.fill("#message", "We will speak to the owner of the dog today.")
    page.click("#send-reply")
    page.wait_for_load_state()
    assert "replied to the resident" in page.content()
    page.click("button[data-to=resolved]")
    page.wait_for_selector("#revisit-form")
    # closing before the revisit is refused with the rule's name
    page.click("button[data-to=closed]")
    assert "resident.complaint.revisit_before_close" in page.locator(".form-errors").inner_text()
    page.select_option("#revisit-form [name=reached]", "yes")
    page.select_option("#revisit-form [name=satisfied]", "yes")
    page.fill("#revisit-form [name=score]", "5")
    page.click("#revisit-form button[type=submit]")
    page.wait_for_load_state()
    # a complaint closes with its cause (its category, noise, came with it)
    page.select_option("#classify-cause", "neighbour")
    page.click("#classify button[type=submit]")
    page.wait_for_load_state()
    page.click("button[data-to=closed]")
    page.wait_for_load_state()
    assert page.locator("#case-status").inner_text() == "Closed"
