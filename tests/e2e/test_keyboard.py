"""Keyboard-only paths (issue 22): a call agent logs a call and a cashier opens a shift,
posts an entry and closes blind, with Tab, Enter and Space (and typing, and the arrow keys
inside a list box), never the mouse; every control the Tab key lands on shows its focus."""

from __future__ import annotations

import pytest

from core.testing.pages import assert_no_sideways_scroll

pytestmark = pytest.mark.browser

#: A date or time field whose own part has the focus (its calendar button, inside the
#: browser's shadow tree) is drawn focused by Chromium itself: the page's style is not asked.
FOCUS_SHOWN = """() => { const el = document.activeElement; if (!el || el === document.body) return false;
  if (/^(date|datetime-local|time|month|week)$/.test(el.type) && !el.matches(':focus')) return true;
  const s = getComputedStyle(el);
  return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'; }"""


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Presses Tab (Shift+Tab when the control comes earlier in the page) until ``selector``
    has the focus; each stop must show its focus."""
    before = page.evaluate("""s => { const target = document.querySelector(s), here = document.activeElement;
        return !!(here && here !== document.body && target &&
                  (here.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_PRECEDING)); }""", selector)
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Shift+Tab" if before else "Tab")
        try:  # a date field's inner part takes the focus a moment after the key
            page.wait_for_function(FOCUS_SHOWN, timeout=1000)
        except Exception:  # noqa: BLE001 — Playwright's timeout, reported as the finding
            where = page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
            raise AssertionError(f"no visible focus on {where}") from None
    raise AssertionError(f"Tab never reached {selector}")


def choose(page, selector: str, value: str) -> None:
    """In a focused list box, the arrow keys move to ``value``."""
    tab_to(page, selector)
    for key in ("ArrowDown", "ArrowUp"):
        for _ in range(20):
            if page.eval_on_selector(selector, "el => el.value") == value:
                return
            page.keyboard.press(key)
    raise AssertionError(f"{selector}: no option {value}")


@pytest.mark.parametrize("width", [390, 1366])
def test_a_call_agent_logs_a_call_with_the_keyboard_only(browser_as, width):
    page = browser_as("caller", locale="zh-TW")
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/")  # the call agent's home: the call form, the phone number focused
    assert page.evaluate("document.activeElement.id") == "phone"
    page.keyboard.type("138 0013 8000")
    page.wait_for_selector("#history-body .ic-calls li")
    choose(page, "#call_type", "quote")
    tab_to(page, "#plate")
    if not page.input_value("#plate"):
        page.keyboard.type("粤B12345")
    tab_to(page, "#vehicle")
    page.keyboard.type("丰田 凯美瑞 2021")
    tab_to(page, "#summary")
    page.keyboard.type("续保报价，已说明折扣")
    choose(page, "#outcome", "resolved")
    tab_to(page, "#log-call")
    page.keyboard.press("Enter")
    page.wait_for_selector("#logged-banner")
    assert_no_sideways_scroll(page)


@pytest.mark.parametrize("width", [390, 1366])
def test_a_cashier_opens_posts_and_closes_blind_with_the_keyboard_only(browser_as, width):
    page = browser_as("cashier", locale="zh-TW")
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/sites/lotus/cashier/")
    register = page.eval_on_selector("#register_id", "el => el.options[1].value")
    choose(page, "#register_id", register)
    tab_to(page, "#open_1000")
    page.keyboard.type("2")
    tab_to(page, "#open-shift button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # The shift page: the amount has the focus; Enter posts (a sale in cash by default).
    assert page.evaluate("document.activeElement.id") == "amount"
    page.keyboard.type("150")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("#entries td:has-text('150.00')")
    tab_to(page, "#close-link")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Blind: the close form asks for the count and shows no expected amount.
    assert page.locator("#expected-cash").count() == 0
    tab_to(page, "#count_1000")
    page.keyboard.type("2")
    tab_to(page, "#count_100")
    page.keyboard.type("1")
    tab_to(page, "#float_left")
    page.keyboard.type("2000")
    tab_to(page, "#close-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press(" ")  # a button answers Space
    page.wait_for_selector("#shortage")
    assert page.text_content("#shortage").strip() == "50.00"
    assert_no_sideways_scroll(page)
