"""The navigation on a 390 px phone and a 1366 px desk (issue 22): the page's content starts
right under the top bar, the menu button opens the grouped navigation and works from the
keyboard. Screenshots go to test-output/navigation/ (ignored by git)."""

from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 768}
SHOTS = Path(PROJECT_ROOT) / "test-output" / "navigation"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def main_top(page):
    return page.evaluate("document.querySelector('main').getBoundingClientRect().top")


@pytest.mark.parametrize("username, home", [("housekeeper", "/sites/lotus/hotel/sheet"),
                                            ("hotelsup", "/sites/lotus/hotel/")])
def test_on_a_phone_the_content_starts_under_the_top_bar_and_the_menu_opens_from_the_keyboard(
        browser_as, username, home):
    page = browser_as(username)
    page.set_viewport_size(PHONE)
    page.goto("/")
    assert page.url.endswith(home)  # each lands on their own work
    top = main_top(page)
    assert top < 120, f"{username}: content starts {top} px down"
    nav = page.locator("#site-menu")
    toggle = page.locator("[data-menu-toggle]")
    assert not nav.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    # The bell stays in the top bar.
    assert page.locator("header [data-bell]").is_visible()
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    shot(page, f"{username}-phone-closed")

    toggle.focus()
    page.keyboard.press("Enter")
    assert nav.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    current = nav.locator("a[aria-current='page']")
    assert current.count() == 1 and current.get_attribute("href") == home
    shot(page, f"{username}-phone-open")
    # Tab reaches the navigation's links; Escape closes it and returns to the button.
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#site-menu') !== null"):
            break
    assert page.evaluate("document.activeElement.closest('#site-menu') !== null")
    page.keyboard.press("Escape")
    assert not nav.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.hasAttribute('data-menu-toggle')")
    page.keyboard.press(" ")  # a button answers Space too
    assert nav.is_visible()
    # A link in the panel leads on.
    with page.expect_navigation():
        nav.locator("a[href$='/my-work']").click()
    assert page.url.endswith("/my-work") and not page.locator("#site-menu").is_visible()


def test_on_a_desk_the_navigation_is_a_side_bar_with_one_current_entry(browser_as):
    page = browser_as("hotelsup")
    page.set_viewport_size(DESK)
    page.goto("/sites/lotus/hotel/sheet")
    nav = page.locator("#site-menu")
    assert nav.is_visible() and not page.locator("[data-menu-toggle]").is_visible()
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] < 70  # one row
    assert nav.locator("a[aria-current='page']").count() == 1
    assert nav.locator("a[aria-current='page']").get_attribute("href") == "/sites/lotus/hotel/sheet"
    assert page.locator(".user-name").first.is_visible() and page.locator("header [data-bell]").is_visible()
    shot(page, "hotelsup-desk")


def test_the_high_contrast_theme_keeps_the_phone_menu(browser, make_live_demo_app):
    server = make_live_demo_app(theme="high_contrast")
    context = browser.new_context(base_url=server.url, locale="en-US", viewport=PHONE)
    try:
        page = context.new_page()
        page.goto("/login")
        page.fill("#username", "housekeeper")
        page.fill("#password", "frontdesk-demo")
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url("**/sites/lotus/hotel/sheet")
        assert page.locator("link[href='/static/theme/css/high-contrast.css']").count() == 1
        assert main_top(page) < 120
        page.locator("[data-menu-toggle]").click()
        current = page.locator("#site-menu a[aria-current='page']")
        assert current.is_visible()
        # The theme's current-entry colour (yellow on black) applies to the new navigation too.
        assert current.evaluate("el => getComputedStyle(el).color") == "rgb(255, 255, 0)"
        shot(page, "housekeeper-phone-high-contrast")
    finally:
        context.close()


def test_without_javascript_the_menu_button_is_a_link_that_shows_the_menu(browser, live_demo_server):
    context = browser.new_context(base_url=live_demo_server.url, locale="en-US", viewport=PHONE,
                                  java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/login")
        page.fill("#username", "cashier")
        page.fill("#password", "frontdesk-demo")
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url("**/sites/lotus/cashier/")
        assert not page.locator("#site-menu").is_visible()
        page.locator("[data-menu-toggle]").click()  # follows #site-menu: :target shows it
        assert page.locator("#site-menu").is_visible()
        assert page.locator("#site-menu a[aria-current='page']").get_attribute("href") == "/sites/lotus/cashier/"
    finally:
        context.close()


def test_the_top_bar_fits_a_360_px_phone_in_chinese(browser_as):
    page = browser_as("hotelsup", locale="zh-TW")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/sites/lotus/my-work")
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    bar = page.locator("header.topbar").bounding_box()
    assert bar["height"] < 60 and bar["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator("header [data-bell]").is_visible() and page.locator("[data-menu-toggle]").is_visible()
    shot(page, "hotelsup-phone-360-zh")
