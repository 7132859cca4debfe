"""Pages: the cashier's screen and blind close through forms, the supervisor's queue, demo data."""

import re

import pytest

from tests.plugins.cashier.conftest import BASE

PAGES = "/sites/lotus/cashier"


def test_demo_has_registers_and_closed_shifts_one_over_one_short(demo_server):
    sup = demo_server.api_client("hotelsup")
    assert len(sup.get(f"{BASE}/registers").json()["items"]) == 3
    over = sup.get(f"{BASE}/over-short").json()
    assert {i["kind"] for i in over["items"]} == {"overage", "shortage"}
    assert sup.get(f"{BASE}/reconciliation").json()["mismatches"] == []
    queue = demo_server.sign_in("hotelsup").get(f"{PAGES}/review")
    assert queue.status_code == 200 and "100.00" in queue.text


def test_cashier_opens_posts_and_closes_blind_through_forms(demo_server):
    browser = demo_server.sign_in("cashier")
    page = browser.get(f"{PAGES}/")
    assert page.status_code == 200 and "5000.00" in page.text  # float left by the previous shift
    register_id = re.search(r'<option value="(\d+)">Front desk till 1', page.text).group(1)
    opened = browser.form_post(f"{PAGES}/open", {"register_id": register_id, "open_1000": "5"})
    assert opened.status_code == 303
    screen = browser.get(f"{PAGES}/")
    shift_id = re.search(r"/shifts/(\d+)/post", screen.text).group(1)
    form_key = re.search(r'name="form_key" value="([^"]+)"', screen.text).group(1)
    sale = {"kind": "sale", "amount": "300", "method": "cash", "form_key": form_key}
    assert browser.form_post(f"{PAGES}/shifts/{shift_id}/post", sale).status_code == 303
    assert browser.form_post(f"{PAGES}/shifts/{shift_id}/post", sale).status_code == 303  # double click
    bad = browser.form_post(f"{PAGES}/shifts/{shift_id}/post", {**sale, "amount": "-1", "form_key": "other"})
    assert bad.status_code == 422 and "greater than zero" in bad.text
    close_page = browser.get(f"{PAGES}/shifts/{shift_id}/close")
    assert "5300" not in close_page.text  # blind: nothing shows what is expected
    version = re.search(r'name="version" value="(\d+)"', close_page.text).group(1)
    closed = browser.form_post(f"{PAGES}/shifts/{shift_id}/close",
                               {"count_1000": "5", "count_100": "3", "float_left": "5000", "version": version})
    assert closed.status_code == 303
    report = browser.get(closed.headers["location"])
    assert report.status_code == 200 and "5300.00" in report.text and "300.00" in report.text


@pytest.mark.browser
def test_close_screen_totals_the_grid_and_supervisor_reviews(browser_as):
    page = browser_as("cashier")
    page.goto("/sites/lotus/cashier/")
    page.locator("#register_id").select_option(index=1)
    page.fill("#open_1000", "2")
    page.click("#open-shift button[type=submit]")
    page.fill("#amount", "150")
    page.keyboard.press("Alt+R")
    page.keyboard.press("Alt+S")
    page.press("#amount", "Enter")
    page.wait_for_selector("#entries td:has-text('150.00')")
    page.click("#close-link")
    page.fill("#count_1000", "2")
    page.fill("#count_100", "1")
    assert page.text_content("[data-count-total]") == "2100.00"
    page.fill("#float_left", "2000")
    page.click("#close-form button[type=submit]")
    page.wait_for_selector("#shortage")
    assert page.text_content("#shortage").strip() == "50.00"
    assert page.text_content("#expected-cash").strip() == "2150.00"
    shift_id = page.url.rstrip("/").rsplit("/", 1)[1]
    sup = browser_as("hotelsup")
    sup.goto("/sites/lotus/cashier/review")
    row = sup.locator(f"#review-queue tr:has(a[href$='/shifts/{shift_id}'])")
    row.locator("input[name=note]").fill("Short 50, cashier pays back")
    row.locator("button[type=submit]").click()
    sup.wait_for_selector("#review-queue")
    assert sup.locator(f"#review-queue a[href$='/shifts/{shift_id}']").count() == 0
    sup.goto(f"/sites/lotus/cashier/shifts/{shift_id}")
    assert sup.text_content("#shift-status").strip() == "closed"
