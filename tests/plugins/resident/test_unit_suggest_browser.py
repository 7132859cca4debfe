"""Unit fields in a real browser (issue 22): typing part of a code in lower case fills the
field's suggestion list from the server, and the case is taken with the code as typed."""

import pytest

pytestmark = pytest.mark.browser


def test_the_unit_field_suggests_codes_and_takes_any_case(browser_as):
    page = browser_as("agent")
    page.goto("/sites/harbour/resident/")
    field = page.locator("#unit_code")
    assert field.get_attribute("list") == "unit_code-units"
    field.press_sequentially("a-01", delay=30)
    page.locator("#unit_code-units option").first.wait_for(state="attached")  # (the page's CSP forbids eval)
    codes = page.eval_on_selector_all("#unit_code-units option", "options => options.map(o => o.value)")
    assert "A-0101" in codes and all(code.upper().startswith("A-01") for code in codes)
    field.fill("a-0102")  # lower case, as typed on a phone
    page.fill("#title", "Window does not close")
    page.click("#intake button[type=submit]")
    page.wait_for_url("**/resident/cases/*")
    assert "A-0102" in page.content()
