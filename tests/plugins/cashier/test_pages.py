"""Pages: the cashier's screen and blind close through forms, the supervisor's queue, demo data."""

import re

import pytest

from plugins.cashier.models import Deposit
from tests.plugins.cashier.conftest import BASE, close, open_shift, post

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
    opened = browser.form_post(f"{PAGES}/open", {"register_id": register_id, "open_1000": "5",
                                                 "form_key": form_key_of(page)})
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
                               {"count_1000": "5", "count_100": "3", "float_left": "5000", "version": version,
                                "form_key": form_key_of(close_page)})
    assert closed.status_code == 303
    report = browser.get(closed.headers["location"])
    assert report.status_code == 200 and "5300.00" in report.text and "300.00" in report.text


def form_key_of(page) -> str:
    return re.search(r'name="form_key" value="([^"]+)"', page.text).group(1)


def test_every_money_form_needs_its_form_key_and_a_repeat_writes_once(demo_server):
    from plugins.cashier.models import Entry, Shift

    browser = demo_server.sign_in("cashier")
    page = browser.get(f"{PAGES}/")
    register_id = re.search(r'<option value="(\d+)">Front desk till 1', page.text).group(1)
    opening = {"register_id": register_id, "open_1000": "5"}
    assert browser.form_post(f"{PAGES}/open", opening).status_code == 400  # no key
    opening["form_key"] = form_key_of(page)
    assert browser.form_post(f"{PAGES}/open", opening).status_code == 303
    assert browser.form_post(f"{PAGES}/open", opening).status_code == 303  # the same answer, not a second shift
    screen = browser.get(f"{PAGES}/")
    shift_id = int(re.search(r"/shifts/(\d+)/post", screen.text).group(1))
    assert demo_server.call(lambda: Shift.filter(cashier__username="cashier", status="open").count()) == 1

    sale = {"kind": "sale", "amount": "300", "method": "cash"}
    for _ in range(2):  # two posts without the key: refused, nothing written
        missing = browser.form_post(f"{PAGES}/shifts/{shift_id}/post", sale)
        assert missing.status_code == 400 and "form key" in missing.text
    assert browser.form_post(f"{PAGES}/shifts/{shift_id}/post", {**sale, "form_key": " "}).status_code == 400
    assert demo_server.call(lambda: Entry.filter(shift_id=shift_id).count()) == 0
    sale["form_key"] = form_key_of(screen)
    first = browser.form_post(f"{PAGES}/shifts/{shift_id}/post", sale)
    again = browser.form_post(f"{PAGES}/shifts/{shift_id}/post", sale)
    assert first.status_code == again.status_code == 303 and again.headers["location"] == first.headers["location"]
    other = browser.form_post(f"{PAGES}/shifts/{shift_id}/post", {**sale, "amount": "999"})
    assert other.status_code == 409  # a reused key with other values
    assert demo_server.call(lambda: Entry.filter(shift_id=shift_id).count()) == 1

    entry_id = demo_server.call(lambda: Entry.get(shift_id=shift_id)).id
    assert browser.form_post(f"{PAGES}/transactions/{entry_id}/reverse", {"reason": "typo"}).status_code == 400
    close_page = browser.get(f"{PAGES}/shifts/{shift_id}/close")
    version = re.search(r'name="version" value="(\d+)"', close_page.text).group(1)
    closing = {"count_1000": "5", "count_100": "3", "float_left": "5000", "version": version}
    assert browser.form_post(f"{PAGES}/shifts/{shift_id}/close", closing).status_code == 400
    assert demo_server.call(lambda: Shift.get(id=shift_id)).status == "open"
    closed = browser.form_post(f"{PAGES}/shifts/{shift_id}/close", {**closing, "form_key": form_key_of(close_page)})
    assert closed.status_code == 303

    deposit = {"shift_ids": str(shift_id), "bag_number": "B-KEY-1", "bag_1000": "0", "bag_100": "3",
               "witness_username": "hotelsup", "witness_password": "frontdesk-demo"}
    assert browser.form_post(f"{PAGES}/deposits", deposit).status_code == 400
    assert demo_server.call(lambda: Deposit.filter(bag_number="B-KEY-1").exists()) is False


def test_a_refused_deposit_is_reshown_with_the_message_on_top_and_the_form_kept(demo_server, cashier, register):
    shift = open_shift(cashier, register, {"1000": 1})
    post(cashier, shift, amount="1500")
    close(cashier, shift, {"1000": 2, "500": 1}, float_left="1000")  # takings 1500
    browser = demo_server.sign_in("cashier")
    key = form_key_of(browser.get(f"{PAGES}/deposits"))
    short = browser.form_post(f"{PAGES}/deposits", {"shift_ids": str(shift["id"]), "bag_number": "B-PAGE-1",
                                                    "bag_1000": "1", "witness_username": "hotelsup",
                                                    "witness_password": "frontdesk-demo", "form_key": key})
    assert short.status_code == 409
    alert = short.text.split('<div class="form-errors" role="alert">', 1)[1].split("</div>", 1)[0]
    assert "The bag holds 1000.00 but the shifts&#39; takings are 1500.00." in alert
    assert 'value="B-PAGE-1"' in short.text and 'value="hotelsup"' in short.text
    assert re.search(rf'value="{shift["id"]}" checked', short.text) and 'id="bag_1000" name="bag_1000"' in short.text
    assert re.search(r'name="bag_1000"[^>]*value="1"', short.text)
    assert "frontdesk-demo" not in short.text  # a password is never sent back
    assert demo_server.call(lambda: Deposit.filter(bag_number="B-PAGE-1").exists()) is False
    bad_line = browser.form_post(f"{PAGES}/deposits", {"shift_ids": str(shift["id"]), "bag_number": "B-PAGE-1",
                                                       "bag_1000": "x", "witness_username": "hotelsup",
                                                       "witness_password": "frontdesk-demo", "form_key": key})
    assert bad_line.status_code == 422  # the message sits beside the grid line it is about
    assert '<p class="field-error" id="bag_1000-error">Enter a whole number of pieces.</p>' in bad_line.text


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
    assert sup.text_content("#shift-status").strip() == "Shift closed"  # the status's label, not its code


def test_a_version_in_unicode_digits_reshows_the_review_queue_not_a_500(demo_server):
    from plugins.cashier.models import Shift
    shift = demo_server.call(lambda: Shift.filter(status="pending_review").first())
    browser = demo_server.sign_in("hotelsup")
    reviewed = browser.form_post(f"{PAGES}/shifts/{shift.id}/review", {"note": "Looked at it.", "version": "²"})
    assert reviewed.status_code == 422, reviewed.text[:500]
    assert "The form is incomplete or outdated. Reload the page and try again." in reviewed.text
    assert demo_server.call(lambda: Shift.get(id=shift.id)).status == "pending_review"


def test_a_shift_reports_status_is_its_label_not_its_code(demo_server):
    from plugins.cashier.models import Shift
    shift = demo_server.call(lambda: Shift.filter(status="pending_review").first())
    report = demo_server.sign_in("hotelsup").get(f"{PAGES}/shifts/{shift.id}")
    assert '<dd id="shift-status">Waiting for review</dd>' in report.text
