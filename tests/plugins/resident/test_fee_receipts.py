"""A property-fee payment issues a numbered receipt (series "fees") in the same
transaction; a refused payment uses no number (issue 17)."""

from tests.plugins.resident.conftest import BASE

RECEIPTS = "/api/v1/sites/harbour/receipts"


def _open_bills(manager, units):
    manager.post(f"{BASE}/fee-schedules", json={"unit_kind": "apartment", "fixed": "1500", "per_sqm": "0"})
    manager.post(f"{BASE}/billing-runs", json={"period": "2031-05"})
    bills = manager.get(f"{BASE}/bills", params={"period": "2031-05", "limit": 10}).json()["items"]
    assert len(bills) >= 2
    return bills


def test_fee_payment_issues_a_numbered_receipt(demo_server, manager, units):
    bill, other = _open_bills(manager, units)[:2]
    before = manager.get(RECEIPTS, params={"series": "fees", "limit": 1}).json()["items"]
    last = before[0]["number"] if before else 0
    paid = manager.post(f"{BASE}/bills/{bill['id']}/payments", json={"amount": "500", "method": "cash"},
                        headers={"Idempotency-Key": "fee-1"})
    assert paid.status_code == 201, paid.text
    body = paid.json()
    assert body["receipt_number"] == last + 1
    receipt = manager.get(f"{RECEIPTS}/{body['receipt_id']}").json()
    assert receipt["series"] == "fees" and receipt["total"] == "500.00" and receipt["method"] == "cash"
    assert receipt["source_type"] == "resident.payment" and receipt["source_id"] == body["id"]
    assert receipt["lines"][0]["code"] == "fee-2031-05" and receipt["lines"][0]["amount"] == "500.00"
    # A refused payment (more than is owed) writes nothing and uses no number.
    refused = manager.post(f"{BASE}/bills/{other['id']}/payments", json={"amount": "99999", "method": "cash"},
                           headers={"Idempotency-Key": "fee-2"})
    assert refused.status_code == 422
    again = manager.post(f"{BASE}/bills/{other['id']}/payments", json={"amount": "1500", "method": "transfer"},
                         headers={"Idempotency-Key": "fee-3"})
    assert again.status_code == 201 and again.json()["receipt_number"] == last + 2
    pdf = manager.get(f"{RECEIPTS}/{body['receipt_id']}", params={"format": "pdf"})
    assert pdf.content.startswith(b"%PDF") and f"{last + 1:06d}".encode() in pdf.content
    # The replayed request answers with the same receipt.
    replay = manager.post(f"{BASE}/bills/{bill['id']}/payments", json={"amount": "500", "method": "cash"},
                          headers={"Idempotency-Key": "fee-1"})
    assert replay.json()["receipt_id"] == body["receipt_id"]
    # The receipt is another site's business elsewhere.
    assert manager.get(f"/api/v1/sites/lotus/receipts/{body['receipt_id']}").status_code == 404


def test_fee_payment_page_records_it_and_opens_the_receipt(demo_server, manager, units):
    import re

    bill = _open_bills(manager, units)[2]
    browser = demo_server.sign_in("manager")
    form = browser.get(f"/sites/harbour/resident/fees/bills/{bill['id']}/pay")
    assert form.status_code == 200 and 'id="pay-form"' in form.text and "1500.00" in form.text
    form_key = re.search(r'name="form_key" value="([^"]+)"', form.text).group(1)
    too_much = browser.form_post(f"/sites/harbour/resident/fees/bills/{bill['id']}/pay",
                                 {"amount": "99999", "method": "cash", "form_key": form_key})
    assert too_much.status_code == 422 and "More than is owed" in too_much.text
    paid = browser.form_post(f"/sites/harbour/resident/fees/bills/{bill['id']}/pay",
                             {"amount": "1500", "method": "cash", "form_key": form_key + "x"})
    assert paid.status_code == 303 and paid.headers["location"].startswith("/sites/harbour/receipts/")
    receipt = browser.get(paid.headers["location"])
    assert receipt.status_code == 200 and "1500.00" in receipt.text and "fee-2031-05" in receipt.text
    assert manager.get(f"{BASE}/bills", params={"period": "2031-05", "limit": 10}).json()["items"][2]["status"] == "paid"
    # Someone who may not collect fees gets no form.
    assert demo_server.sign_in("agent").get(f"/sites/harbour/resident/fees/bills/{bill['id']}/pay").status_code in (403, 404)


def test_fee_receipt_is_not_voided_and_its_series_label_is_translated(demo_server, manager, units):
    bill = _open_bills(manager, units)[3]
    paid = manager.post(f"{BASE}/bills/{bill['id']}/payments", json={"amount": "100", "method": "cash"},
                        headers={"Idempotency-Key": "fee-void-1"})
    assert paid.status_code == 201, paid.text
    url = f"{RECEIPTS}/{paid.json()['receipt_id']}"
    receipt = manager.get(url).json()
    # No fee-payment reversal exists: its receipt stays issued (the money was received).
    refused = manager.post(f"{url}/void", json={"reason": "wrong unit", "version": receipt["version"]})
    assert refused.status_code == 409 and "cannot be reversed" in refused.json()["detail"]
    assert manager.get(url).json()["status"] == "issued"
    browser = demo_server.sign_in("manager")
    page = browser.form_post(f"/sites/harbour/receipts/{receipt['id']}/void",
                             {"reason": "wrong unit", "version": str(receipt["version"])})
    assert page.status_code == 409 and "cannot be reversed" in page.text
    assert "Money is returned with a refund" not in browser.get(f"/sites/harbour/receipts/{receipt['id']}").text
    # The series' name is stored as a code and shown in the reader's language.
    assert receipt["series_label"] == "Property fees"
    assert manager.get(url, headers={"Accept-Language": "zh-TW"}).json()["series_label"] == "物業管理費"
    listing = browser.get("/sites/harbour/receipts")
    assert '<option value="fees">Property fees</option>' in listing.text
