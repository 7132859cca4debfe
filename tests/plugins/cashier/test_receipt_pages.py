"""Pages of the price list, the itemised sale form and receipts (print page, PDF,
reprint, void), in English and Chinese; they call the services the API calls."""

import re
import uuid

from tests.plugins.cashier.conftest import open_shift, post
from tests.plugins.cashier.test_itemised_sales import add_item, sell

PAGES = "/sites/lotus/cashier"
RECEIPT_PAGES = "/sites/lotus/receipts"


def test_price_list_page_adds_and_changes_items(demo_server):
    browser = demo_server.sign_in("hotelsup")
    page = browser.get(f"{PAGES}/price-list")
    assert page.status_code == 200 and 'id="price-item-form"' in page.text
    code = f"LN-{uuid.uuid4().hex[:5]}"
    added = browser.form_post(f"{PAGES}/price-list", {"code": code, "name": "Bath towel", "category": "linen",
                                                      "price": "80", "taxable": "on", "active": "on"})
    assert added.status_code == 303
    listed = browser.get(f"{PAGES}/price-list")
    assert code in listed.text and "80.00" in listed.text
    bad = browser.form_post(f"{PAGES}/price-list", {"code": "X-1", "name": "Bad", "category": "linen",
                                                    "price": "1.234", "active": "on"})
    assert bad.status_code == 422 and "At most 2 decimals" in bad.text and 'value="X-1"' in bad.text
    item_id = re.search(rf'/price-list/(\d+)">{code}<', listed.text).group(1)
    edit = browser.get(f"{PAGES}/price-list/{item_id}")
    version = re.search(r'name="version" value="(\d+)"', edit.text).group(1)
    saved = browser.form_post(f"{PAGES}/price-list/{item_id}", {"code": code, "name": "Bath towel", "category": "linen",
                                                               "price": "85.00", "active": "on", "version": version})
    assert saved.status_code == 303
    stale = browser.form_post(f"{PAGES}/price-list/{item_id}", {"code": code, "name": "x", "category": "linen",
                                                               "price": "1.00", "active": "on", "version": version})
    assert stale.status_code == 409
    # A cashier reads the list but does not change it.
    cashier = demo_server.sign_in("cashier")
    assert cashier.get(f"{PAGES}/price-list").status_code == 200
    assert 'id="price-item-form"' not in cashier.get(f"{PAGES}/price-list").text
    assert cashier.form_post(f"{PAGES}/price-list", {"code": "Z", "name": "z", "price": "1"}).status_code == 403


def test_itemised_sale_form_prints_a_receipt_then_reprint_and_void(demo_server, sup, register):
    item = add_item(sup, price="35.50", taxable=True)
    api = demo_server.api_client("cashier")
    shift = open_shift(api, register)
    browser = demo_server.sign_in("cashier")
    screen = browser.get(f"{PAGES}/")
    assert 'id="sale-form"' in screen.text and item["code"] in screen.text
    form_key = re.search(r'name="form_key" value="([^"]+-sale)"', screen.text).group(1)
    short = browser.form_post(f"{PAGES}/shifts/{shift['id']}/sale", {
        "item_code_0": item["code"], "quantity_0": "2", "sale_method": "cash", "tendered": "50", "form_key": form_key})
    assert short.status_code == 422 and "less than the total" in short.text
    sold = browser.form_post(f"{PAGES}/shifts/{shift['id']}/sale", {
        "item_code_0": item["code"], "quantity_0": "2", "sale_method": "cash", "tendered": "100",
        "form_key": form_key + "2"})
    assert sold.status_code == 303
    receipt_url = sold.headers["location"]
    assert receipt_url.startswith(f"{RECEIPT_PAGES}/")
    screen = browser.get(f"{PAGES}/")
    assert f'href="{receipt_url}"' in screen.text  # the ledger line links to its receipt
    page = browser.get(receipt_url)
    assert page.status_code == 200
    assert 'id="receipt-number">000001<' in page.text and "71.00" in page.text and "29.00" in page.text
    assert 'id="receipt-copy"' not in page.text and 'class="receipt"' in page.text
    css = browser.get("/static/theme/css/frontdesk.css").text
    assert ".receipt-tools { display: none; }" in css  # the print CSS hides the buttons
    assert browser.form_post(f"{receipt_url}/reprint", {}).status_code == 303
    assert 'id="receipt-copy"' in browser.get(receipt_url).text
    # Voiding is a supervisor's: the cashier sees no form, and a post is refused.
    assert browser.form_post(f"{receipt_url}/void", {"reason": "x", "version": "1"}).status_code == 403
    supervisor = demo_server.sign_in("hotelsup")
    empty = supervisor.form_post(f"{receipt_url}/void", {"reason": "", "version": "1"})
    assert empty.status_code == 422
    # A sale's receipt goes with its sale: the void is refused until the sale is reversed.
    refused = supervisor.form_post(f"{receipt_url}/void", {"reason": "Wrong guest", "version": "1"})
    assert refused.status_code == 409 and "reverse the sale" in refused.text
    sale_id = api.get(f"/api/v1/sites/lotus/receipts/{receipt_url.rsplit('/', 1)[1]}").json()["source_id"]
    assert api.post(f"/api/v1/sites/lotus/cashier/transactions/{sale_id}/reverse", json={"reason": "Wrong guest"},
                    headers={"Idempotency-Key": uuid.uuid4().hex}).status_code == 201
    voided = supervisor.get(receipt_url)
    assert 'id="receipt-void"' in voided.text and "Wrong guest" in voided.text
    listing = supervisor.get(RECEIPT_PAGES, params={"status": "void"})
    assert listing.status_code == 200 and "000001" in listing.text
    assert supervisor.get(RECEIPT_PAGES, params={"from": "yesterday"}).status_code == 422
    pdf = browser.get(f"{receipt_url}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and b"000001" in pdf.content


def test_receipt_pages_in_chinese_and_another_site_404(demo_server, sup, register):
    item = add_item(sup, price="12.00")
    api = demo_server.api_client("cashier")
    shift = open_shift(api, register)
    receipt = sell(api, shift, [{"item_code": item["code"], "quantity": 1}]).json()["receipt"]
    for tag in ("zh-TW", "zh-CN"):
        browser = demo_server.sign_in("cashier")
        page = browser.get(f"{RECEIPT_PAGES}/{receipt['id']}", headers={"Accept-Language": tag})
        assert page.status_code == 200
    manager = demo_server.sign_in("manager")
    assert manager.get(f"/sites/harbour/receipts/{receipt['id']}").status_code == 404
    assert manager.get(f"/sites/harbour/receipts/{receipt['id']}.pdf").status_code == 404
    assert manager.get(f"{RECEIPT_PAGES}/{receipt['id']}").status_code == 200


def test_showing_a_receipt_prints_the_original_once_then_copies(demo_server, sup, register):
    item = add_item(sup, price="12.00")
    api = demo_server.api_client("cashier")
    receipt = sell(api, open_shift(api, register), [{"item_code": item["code"], "quantity": 1}]).json()["receipt"]
    browser = demo_server.sign_in("cashier")
    url = f"{RECEIPT_PAGES}/{receipt['id']}"
    assert 'id="receipt-copy"' not in browser.get(url).text  # the original
    again = browser.get(url)
    assert 'id="receipt-copy">COPY 1<' in again.text
    assert browser.get(url, params={"printed": "1"}).text.count('id="receipt-copy"') == 1
    assert api.get(f"/api/v1/sites/lotus/receipts/{receipt['id']}").json()["print_count"] == 2
    # The reprint form counts one copy and shows it, not two.
    assert browser.form_post(f"{url}/reprint", {}).status_code == 303
    browser.get(url, params={"printed": "1"})
    assert api.get(f"/api/v1/sites/lotus/receipts/{receipt['id']}").json()["print_count"] == 3


def test_sale_page_quantity_zero_is_422_beside_it_blank_is_one(demo_server, sup, register):
    item = add_item(sup, price="10.00")
    api = demo_server.api_client("cashier")
    shift = open_shift(api, register)
    browser = demo_server.sign_in("cashier")
    screen = browser.get(f"{PAGES}/")
    form_key = re.search(r'name="form_key" value="([^"]+-sale)"', screen.text).group(1)
    zero = browser.form_post(f"{PAGES}/shifts/{shift['id']}/sale", {
        "item_code_0": item["code"], "quantity_0": "0", "sale_method": "card", "form_key": form_key})
    assert zero.status_code == 422 and 'id="quantity_0-error"' in zero.text
    assert api.get(f"/api/v1/sites/lotus/cashier/shifts/{shift['id']}").json()["entry_count"] == 0
    blank = browser.form_post(f"{PAGES}/shifts/{shift['id']}/sale", {
        "item_code_0": item["code"], "quantity_0": "", "sale_method": "card", "form_key": form_key + "b"})
    assert blank.status_code == 303
    receipt = browser.get(blank.headers["location"]).text
    assert 'id="receipt-total">10.00' in receipt


def test_refund_link_of_a_sale_fills_the_form_and_the_page_refunds_that_sale(demo_server, sup, register):
    item = add_item(sup, price="40.00")
    api = demo_server.api_client("cashier")
    shift = open_shift(api, register)
    sale = sell(api, shift, [{"item_code": item["code"], "quantity": 1}], method="card").json()["entry"]
    browser = demo_server.sign_in("cashier")
    screen = browser.get(f"{PAGES}/")
    assert f'href="{PAGES}/?refund={sale["id"]}#entry-form"' in screen.text
    form = browser.get(f"{PAGES}/", params={"refund": sale["id"]})
    assert f'name="sale_id" inputmode="numeric" autocomplete="off" value="{sale["id"]}"' in form.text
    assert '<option value="refund" selected>' in form.text and '<option value="card" selected>' in form.text
    form_key = re.search(r'name="form_key" value="([0-9a-f]+)"', form.text).group(1)
    too_much = browser.form_post(f"{PAGES}/shifts/{shift['id']}/post", {
        "kind": "refund", "amount": "40.01", "method": "card", "reference": "", "note": "", "sale_id": str(sale["id"]),
        "form_key": form_key})
    assert too_much.status_code == 422 and 'id="amount-error"' in too_much.text
    cash = browser.form_post(f"{PAGES}/shifts/{shift['id']}/post", {
        "kind": "refund", "amount": "10.00", "method": "cash", "reference": "", "note": "", "sale_id": str(sale["id"]),
        "form_key": form_key + "c"})
    assert cash.status_code == 422 and 'id="method-error"' in cash.text
    done = browser.form_post(f"{PAGES}/shifts/{shift['id']}/post", {
        "kind": "refund", "amount": "40.00", "method": "card", "reference": "", "note": "", "sale_id": str(sale["id"]),
        "form_key": form_key + "d"})
    assert done.status_code == 303
    # The page's refund counts against the sale as the API's does.
    assert post(api, shift, kind="refund", amount="0.01", method="card", sale_id=sale["id"]).status_code == 422


def test_receipt_list_series_filter_shows_names(demo_server, sup, register):
    item = add_item(sup, price="12.00")
    api = demo_server.api_client("cashier")
    receipt = sell(api, open_shift(api, register), [{"item_code": item["code"], "quantity": 1}]).json()["receipt"]
    listing = demo_server.sign_in("hotelsup").get(RECEIPT_PAGES)
    assert f'<option value="{receipt["series"]}">{register["name"]}</option>' in listing.text
