"""Price list, itemised sales with change and numbered receipts, refunds limited to what
remains of their sale (issue 17)."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.plugins.cashier.conftest import BASE, key, open_shift, post

RECEIPTS = "/api/v1/sites/lotus/receipts"


def add_item(client, code=None, price="120.00", taxable=False, **extra):
    code = code or f"MB-{uuid.uuid4().hex[:6]}"
    response = client.post(f"{BASE}/price-list", json={"code": code, "name": f"Item {code}", "category": "minibar",
                                                       "price": price, "taxable": taxable, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def sell(client, shift, lines, method="cash", tendered=None, headers=None):
    body = {"lines": lines, "method": method}
    if tendered is not None:
        body["tendered"] = tendered
    return client.post(f"{BASE}/shifts/{shift['id']}/sales", json=body, headers=headers or key())


# --- Price list ---------------------------------------------------------------------------------


def test_price_list_add_change_list_and_audit(demo_server, sup, cashier):
    item = add_item(sup, price="35.50", taxable=True)
    assert item["price"] == "35.50" and item["taxable"] and item["active"] and item["version"] == 1
    changed = sup.patch(f"{BASE}/price-list/{item['id']}", json={"price": "40.00", "version": 1})
    assert changed.status_code == 200, changed.text
    assert changed.json()["price"] == "40.00" and changed.json()["version"] == 2
    stale = sup.patch(f"{BASE}/price-list/{item['id']}", json={"active": False, "version": 1})
    assert stale.status_code == 409 and stale.json()["current"]["version"] == 2
    listed = cashier.get(f"{BASE}/price-list", params={"limit": 200}).json()["items"]
    assert any(row["code"] == item["code"] and row["price"] == "40.00" for row in listed)
    # Only supervisors keep the price list.
    assert cashier.post(f"{BASE}/price-list", json={"code": "X1", "name": "x", "price": "1.00"}).status_code == 403
    audit = demo_server.api_client("admin").get("/api/v1/audit", params={"action": "cashier.price_item.update"})
    assert audit.status_code == 200
    assert any(str(item["id"]) == entry["object_id"] for entry in audit.json()["items"])


def test_demo_has_a_price_list(cashier):
    items = {item["code"]: item for item in cashier.get(f"{BASE}/price-list", params={"category": "minibar"}).json()["items"]}
    assert items["MB-WATER"]["price"] == "60.00" and not items["MB-WATER"]["taxable"]
    assert all(item["category"] == "minibar" for item in items.values())


def test_float_price_is_422_naming_price(sup):
    response = sup.post(f"{BASE}/price-list", json={"code": "F1", "name": "Float", "price": 12.5})
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["price"]
    patch = sup.patch(f"{BASE}/price-list/1", json={"price": 1.25, "version": 1})
    assert patch.status_code == 422 and patch.json()["errors"][0]["field"] == "price"


def test_duplicate_code_is_409_naming_code(sup):
    item = add_item(sup)
    again = sup.post(f"{BASE}/price-list", json={"code": item["code"], "name": "again", "price": "1.00"})
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "code"


# --- Itemised sales ------------------------------------------------------------------------------


def test_itemised_cash_sale_gives_change_and_a_numbered_receipt(sup, cashier, register):
    water, towel = add_item(sup, price="35.50"), add_item(sup, price="120.00", taxable=True)
    shift = open_shift(cashier, register)
    response = sell(cashier, shift, [{"item_code": water["code"], "quantity": 2},
                                     {"item_code": towel["code"], "quantity": 1}], tendered="500")
    assert response.status_code == 201, response.text
    sale = response.json()
    assert sale["total"] == "191.00" and sale["tendered"] == "500.00" and sale["change"] == "309.00"
    assert sale["entry"]["kind"] == "sale" and sale["entry"]["amount"] == "191.00"
    receipt = sale["receipt"]
    assert receipt["series"] == f"register:{register['id']}" and receipt["series_label"] == register["name"]
    assert receipt["number"] == 1 and receipt["status"] == "issued" and not receipt["is_copy"]
    assert receipt["source_type"] == "cashier.entry" and receipt["source_id"] == sale["entry"]["id"]
    assert [(line["code"], line["quantity"], line["unit_price"], line["amount"], line["taxable"])
            for line in receipt["lines"]] == [(water["code"], 2, "35.50", "71.00", False),
                                              (towel["code"], 1, "120.00", "120.00", True)]
    # The next sale of the register takes the next number; the drawer counts the sale.
    second = sell(cashier, shift, [{"item_code": water["code"], "quantity": 1}], method="card")
    assert second.status_code == 201 and second.json()["receipt"]["number"] == 2
    assert second.json()["change"] is None
    # A later price change leaves the printed receipt as it was.
    sup.patch(f"{BASE}/price-list/{water['id']}", json={"price": "99.00", "version": water["version"]})
    assert cashier.get(f"{RECEIPTS}/{receipt['id']}").json()["lines"][0]["unit_price"] == "35.50"


def test_tendered_less_than_total_is_422_and_consumes_no_number(sup, cashier, register):
    item = add_item(sup, price="100.00")
    shift = open_shift(cashier, register)
    short = sell(cashier, shift, [{"item_code": item["code"], "quantity": 2}], tendered="150.00")
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "tendered"
    card = sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}], method="card", tendered="100.00")
    assert card.status_code == 422 and card.json()["errors"][0]["field"] == "tendered"
    unknown = sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}, {"item_code": "NOPE", "quantity": 1}])
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "lines.1.item_code"
    zero = sell(cashier, shift, [{"item_code": item["code"], "quantity": 0}])
    assert zero.status_code == 422 and zero.json()["errors"][0]["field"] == "lines.0.quantity"
    assert cashier.get(f"{BASE}/shifts/{shift['id']}").json()["entry_count"] == 0
    ok = sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}], tendered="100")
    assert ok.status_code == 201 and ok.json()["receipt"]["number"] == 1 and ok.json()["change"] == "0.00"


def test_inactive_item_cannot_be_sold(sup, cashier, register):
    item = add_item(sup, active=False)
    shift = open_shift(cashier, register)
    response = sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}])
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "lines.0.item_code"


def test_repeated_sale_with_one_key_makes_one_entry_and_one_receipt(sup, cashier, register):
    item = add_item(sup, price="10.00")
    shift = open_shift(cashier, register)
    headers = key()
    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda i: sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}],
                                                 headers=headers), range(4)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["receipt"]["id"] for r in responses}) == 1
    assert cashier.get(f"{BASE}/shifts/{shift['id']}").json()["entry_count"] == 1


def test_concurrent_sales_number_gaplessly(sup, cashier, register):
    item = add_item(sup, price="5.00")
    shift = open_shift(cashier, register)
    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(lambda i: sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}]),
                                  range(20)))
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses if r.status_code != 201]
    assert sorted(r.json()["receipt"]["number"] for r in responses) == list(range(1, 21))


def test_sale_to_a_closed_shift_is_409_and_consumes_no_number(sup, cashier, register):
    item = add_item(sup, price="5.00")
    shift = open_shift(cashier, register, {"1000": 1})
    assert sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}]).status_code == 201
    closed = cashier.post(f"{BASE}/shifts/{shift['id']}/close", json={
        "counted": {"1000": 1, "5": 1}, "float_left": "0", "version": shift["version"]}, headers=key())
    assert closed.status_code == 200, closed.text
    assert sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}]).status_code == 409
    shift2 = open_shift(cashier, register, {"1000": 1})
    assert sell(cashier, shift2, [{"item_code": item["code"], "quantity": 1}]).json()["receipt"]["number"] == 2


# --- Refunds limited to their sale -----------------------------------------------------------------


def test_refunds_of_a_sale_never_exceed_it(sup, cashier, register):
    item = add_item(sup, price="100.00")
    shift = open_shift(cashier, register)
    sale = sell(cashier, shift, [{"item_code": item["code"], "quantity": 3}]).json()["entry"]
    first = post(cashier, shift, kind="refund", amount="200.00", sale_id=sale["id"])
    assert first.status_code == 201, first.text
    assert first.json()["sale_id"] == sale["id"]
    over = post(cashier, shift, kind="refund", amount="100.01", sale_id=sale["id"])
    assert over.status_code == 422 and over.json()["errors"][0]["field"] == "amount"
    assert "100.00" in over.json()["detail"]
    # A reversed refund gives its amount back to what remains.
    reversed_ = cashier.post(f"{BASE}/transactions/{first.json()['id']}/reverse", json={"reason": "typo"},
                             headers=key())
    assert reversed_.status_code == 201
    assert post(cashier, shift, kind="refund", amount="300.00", sale_id=sale["id"]).status_code == 201
    assert post(cashier, shift, kind="refund", amount="0.01", sale_id=sale["id"]).status_code == 422


def test_refund_sale_id_must_name_a_sale_of_this_site(sup, cashier, register):
    shift = open_shift(cashier, register)
    paid_in = post(cashier, shift, kind="paid_in", amount="10.00").json()
    assert post(cashier, shift, kind="refund", amount="1.00", sale_id=paid_in["id"]).json()["errors"][0]["field"] == "sale_id"
    assert post(cashier, shift, kind="refund", amount="1.00", sale_id=999999999).status_code == 422
    sale = post(cashier, shift, kind="sale", amount="10.00").json()
    wrong_kind = post(cashier, shift, kind="paid_out", amount="1.00", sale_id=sale["id"])
    assert wrong_kind.status_code == 422 and wrong_kind.json()["errors"][0]["field"] == "sale_id"
    # Without sale_id the transaction API works exactly as before.
    plain = post(cashier, shift, kind="refund", amount="50.00")
    assert plain.status_code == 201 and plain.json()["sale_id"] is None


def test_concurrent_refunds_of_one_sale_stay_within_it(sup, cashier, register):
    item = add_item(sup, price="100.00")
    shift = open_shift(cashier, register)
    sale = sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}]).json()["entry"]
    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(lambda i: post(cashier, shift, kind="refund", amount="40.00", sale_id=sale["id"]),
                                  range(6)))
    assert sorted(r.status_code for r in responses) == [201, 201, 422, 422, 422, 422]


# --- Receipts: reprint, void, PDF, other sites ------------------------------------------------------


def test_reprint_marks_copy_and_void_keeps_the_number(demo_server, sup, cashier, register):
    item = add_item(sup, price="12.00")
    shift = open_shift(cashier, register)
    receipt = sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}]).json()["receipt"]
    reprinted = cashier.post(f"{RECEIPTS}/{receipt['id']}/reprint")
    assert reprinted.status_code == 200, reprinted.text
    assert reprinted.json()["is_copy"] and reprinted.json()["print_count"] == 2
    # Cashiers do not void; a supervisor does, with a reason and the version read.
    assert cashier.post(f"{RECEIPTS}/{receipt['id']}/void", json={"reason": "x", "version": 1}).status_code == 403
    assert sup.post(f"{RECEIPTS}/{receipt['id']}/void", json={"reason": " ", "version": 1}).status_code == 422
    # A sale's receipt is not voided while the sale stands: the sale is reversed, which voids it.
    refused = sup.post(f"{RECEIPTS}/{receipt['id']}/void", json={"reason": "Wrong room", "version": 1})
    assert refused.status_code == 409 and "reverse the sale" in refused.json()["detail"]
    reversed_ = cashier.post(f"{BASE}/transactions/{receipt['source_id']}/reverse", json={"reason": "Wrong room"},
                             headers=key())
    assert reversed_.status_code == 201, reversed_.text
    voided = sup.get(f"{RECEIPTS}/{receipt['id']}")
    assert voided.json()["status"] == "void" and voided.json()["void_reason"] == "Wrong room"
    assert voided.json()["number"] == receipt["number"]
    again = sup.post(f"{RECEIPTS}/{receipt['id']}/void", json={"reason": "again", "version": 2})
    assert again.status_code == 409
    # The number is never given again.
    nxt = sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}]).json()["receipt"]
    assert nxt["number"] == receipt["number"] + 1
    listed = sup.get(RECEIPTS, params={"series": receipt["series"], "status": "void"}).json()["items"]
    assert [row["id"] for row in listed] == [receipt["id"]]
    audit = demo_server.api_client("admin").get("/api/v1/audit", params={"action": "receipt.", "limit": 200})
    assert audit.status_code == 200
    actions = {entry["action"] for entry in audit.json()["items"] if entry["object_id"] == str(receipt["id"])}
    assert {"receipt.issue", "receipt.reprint", "receipt.void"} <= actions


def test_pdf_starts_with_pdf_and_holds_the_number_copy_and_void(demo_server, sup, cashier, register):
    item = add_item(sup, price="12.00", taxable=True)
    shift = open_shift(cashier, register)
    receipt = sell(cashier, shift, [{"item_code": item["code"], "quantity": 2}], tendered="50").json()["receipt"]
    response = cashier.get(f"{RECEIPTS}/{receipt['id']}", params={"format": "pdf"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert receipt["number_text"].encode() in response.content
    assert b"COPY" not in response.content
    cashier.post(f"{RECEIPTS}/{receipt['id']}/reprint")
    cashier.post(f"{BASE}/transactions/{receipt['source_id']}/reverse", json={"reason": "test"}, headers=key())
    page_client = demo_server.sign_in("cashier")
    copy = page_client.get(f"/sites/lotus/receipts/{receipt['id']}.pdf")
    assert copy.status_code == 200 and copy.content.startswith(b"%PDF")
    assert b"COPY" in copy.content and b"VOID" in copy.content


@pytest.mark.parametrize("language", ["zh_Hant", "zh_Hans"])
def test_pdf_in_chinese(demo_server, sup, cashier, register, language):
    item = add_item(sup, price="12.00")
    shift = open_shift(cashier, register)
    receipt = sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}]).json()["receipt"]
    tag = {"zh_Hant": "zh-TW", "zh_Hans": "zh-CN"}[language]
    response = cashier.get(f"{RECEIPTS}/{receipt['id']}", params={"format": "pdf"}, headers={"Accept-Language": tag})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert receipt["number_text"].encode() in response.content


def test_another_sites_receipt_is_404(demo_server, sup, cashier, register):
    item = add_item(sup, price="12.00")
    shift = open_shift(cashier, register)
    receipt = sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}]).json()["receipt"]
    manager = demo_server.api_client("manager")  # a member of every site
    assert manager.get(f"/api/v1/sites/harbour/receipts/{receipt['id']}").status_code == 404
    assert manager.post(f"/api/v1/sites/harbour/receipts/{receipt['id']}/reprint").status_code == 404
    assert manager.post(f"/api/v1/sites/harbour/receipts/{receipt['id']}/void",
                        json={"reason": "x", "version": 1}).status_code == 404
    assert manager.get(f"{RECEIPTS}/{receipt['id']}").status_code == 200
    assert cashier.get(f"/api/v1/sites/harbour/receipts/{receipt['id']}").status_code == 404


def test_receipt_list_filters_by_local_day_and_survives_the_calendars_ends(sup, cashier, register):
    item = add_item(sup, price="5.00")
    shift = open_shift(cashier, register)
    receipt = sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}]).json()["receipt"]
    series = receipt["series"]
    everything = {"series": series, "from": "0001-01-01", "to": "9999-12-31"}
    assert [r["id"] for r in cashier.get(RECEIPTS, params=everything).json()["items"]] == [receipt["id"]]
    assert cashier.get(RECEIPTS, params={"series": series, "to": "2000-01-01"}).json()["items"] == []
    assert cashier.get(RECEIPTS, params={"from": "tomorrow"}).status_code == 422


def test_a_refund_on_another_shift_is_limited_too(sup, cashier, cashier2, register):
    item = add_item(sup, price="100.00")
    shift = open_shift(cashier, register)
    sale = sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}]).json()["entry"]
    other_register = sup.post(f"{BASE}/registers", json={"name": f"Till {uuid.uuid4().hex[:6]}"}).json()
    other = open_shift(cashier2, other_register)
    assert post(cashier2, other, kind="refund", amount="60.00", sale_id=sale["id"]).status_code == 201
    assert post(cashier, shift, kind="refund", amount="40.01", sale_id=sale["id"]).status_code == 422
    assert post(cashier, shift, kind="refund", amount="40.00", sale_id=sale["id"]).status_code == 201


# --- Review fixes: money and receipts stay together ---------------------------------------------


def test_a_refunded_sale_is_not_reversed_and_a_reversal_voids_the_receipt(demo_server, sup, cashier, register):
    item = add_item(sup, price="100.00")
    shift = open_shift(cashier, register)
    sold = sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}]).json()
    sale, receipt = sold["entry"], sold["receipt"]
    refund = post(cashier, shift, kind="refund", amount="30.00", sale_id=sale["id"])
    assert refund.status_code == 201, refund.text
    # Partly refunded: reversing the sale would give the money back twice.
    twice = cashier.post(f"{BASE}/transactions/{sale['id']}/reverse", json={"reason": "oops"}, headers=key())
    assert twice.status_code == 409 and "refunds first" in twice.json()["detail"]
    assert cashier.get(f"{RECEIPTS}/{receipt['id']}").json()["status"] == "issued"
    # The refund reversed first, the sale may go, and its receipt is voided with it.
    assert cashier.post(f"{BASE}/transactions/{refund.json()['id']}/reverse", json={"reason": "undo"},
                        headers=key()).status_code == 201
    reversed_ = cashier.post(f"{BASE}/transactions/{sale['id']}/reverse", json={"reason": "Wrong guest"},
                             headers=key())
    assert reversed_.status_code == 201, reversed_.text
    voided = cashier.get(f"{RECEIPTS}/{receipt['id']}").json()
    assert voided["status"] == "void" and voided["void_reason"] == "Wrong guest"
    audit = demo_server.api_client("admin").get("/api/v1/audit", params={"action": "receipt.void", "limit": 200})
    assert any(entry["object_id"] == str(receipt["id"]) for entry in audit.json()["items"])


def test_a_wholly_refunded_sale_is_not_reversed(sup, cashier, register):
    item = add_item(sup, price="50.00")
    shift = open_shift(cashier, register)
    sale = sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}]).json()["entry"]
    assert post(cashier, shift, kind="refund", amount="50.00", sale_id=sale["id"]).status_code == 201
    refused = cashier.post(f"{BASE}/transactions/{sale['id']}/reverse", json={"reason": "x"}, headers=key())
    assert refused.status_code == 409
    assert cashier.get(f"{BASE}/shifts/{shift['id']}").json()["entry_count"] == 2


def test_a_card_sale_is_not_refunded_in_cash(sup, cashier, register):
    item = add_item(sup, price="80.00")
    shift = open_shift(cashier, register)
    sale = sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}], method="card").json()["entry"]
    cash = post(cashier, shift, kind="refund", amount="80.00", method="cash", sale_id=sale["id"])
    assert cash.status_code == 422 and [e["field"] for e in cash.json()["errors"]] == ["method"]
    assert post(cashier, shift, kind="refund", amount="80.00", method="card", sale_id=sale["id"]).status_code == 201


def test_price_item_flags_null_is_422_naming_the_field(sup):
    item = add_item(sup, price="9.00", taxable=True)
    for flag in ("active", "taxable"):
        response = sup.patch(f"{BASE}/price-list/{item['id']}", json={flag: None, "version": item["version"]})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == flag
    unchanged = sup.get(f"{BASE}/price-list/{item['id']}").json()
    assert unchanged["active"] and unchanged["taxable"] and unchanged["version"] == item["version"]


def test_pdf_original_once_then_every_render_is_a_counted_copy(demo_server, sup, cashier, register):
    item = add_item(sup, price="12.00")
    shift = open_shift(cashier, register)
    receipt = sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}]).json()["receipt"]
    assert receipt["print_count"] == 0 and not receipt["is_copy"]
    first = cashier.get(f"{RECEIPTS}/{receipt['id']}", params={"format": "pdf"})
    assert first.status_code == 200 and b"COPY" not in first.content
    second = cashier.get(f"{RECEIPTS}/{receipt['id']}", params={"format": "pdf"})
    assert b"COPY 1" in second.content
    third = demo_server.sign_in("cashier").get(f"/sites/lotus/receipts/{receipt['id']}.pdf")
    assert b"COPY 2" in third.content
    shown = cashier.get(f"{RECEIPTS}/{receipt['id']}").json()
    assert shown["print_count"] == 3 and shown["is_copy"]
    audit = demo_server.api_client("admin").get("/api/v1/audit", params={"action": "receipt.", "limit": 200})
    actions = [entry["action"] for entry in audit.json()["items"] if entry["object_id"] == str(receipt["id"])]
    assert actions.count("receipt.print") == 1 and actions.count("receipt.reprint") == 2
    # The reprint route still counts a copy.
    assert cashier.post(f"{RECEIPTS}/{receipt['id']}/reprint").json()["print_count"] == 4


def test_a_cashier_reads_only_the_register_receipts_they_issued(demo_server, sup, cashier, cashier2, register):
    item = add_item(sup, price="12.00")
    shift = open_shift(cashier, register)
    mine = sell(cashier, shift, [{"item_code": item["code"], "quantity": 1}]).json()["receipt"]
    other_register = sup.post(f"{BASE}/registers", json={"name": f"Till {uuid.uuid4().hex[:6]}"}).json()
    theirs = sell(cashier2, open_shift(cashier2, other_register),
                  [{"item_code": item["code"], "quantity": 1}]).json()["receipt"]
    url = f"{RECEIPTS}/{theirs['id']}"
    assert cashier.get(url).status_code == 404
    assert cashier.get(url, params={"format": "pdf"}).status_code == 404
    assert cashier.post(f"{url}/reprint").status_code == 404
    listed = {r["id"] for r in cashier.get(RECEIPTS, params={"limit": 200}).json()["items"]}
    assert mine["id"] in listed and theirs["id"] not in listed
    assert cashier.get(RECEIPTS, params={"series": theirs["series"]}).json()["items"] == []
    pages = demo_server.sign_in("cashier")
    assert pages.get(f"/sites/lotus/receipts/{theirs['id']}").status_code == 404
    assert pages.get(f"/sites/lotus/receipts/{theirs['id']}.pdf").status_code == 404
    assert pages.form_post(f"/sites/lotus/receipts/{theirs['id']}/reprint", {}).status_code == 404
    assert f"/receipts/{theirs['id']}\"" not in pages.get("/sites/lotus/receipts").text
    assert pages.get(f"/sites/lotus/receipts/{mine['id']}").status_code == 200
    # A supervisor (revenue figures) reads every register's receipts.
    assert sup.get(url).status_code == 200
    assert theirs["id"] in {r["id"] for r in sup.get(RECEIPTS, params={"limit": 200}).json()["items"]}
