"""The cashier API: shifts, ledger, blind close, 長繳短補, review, deposits, reports."""

import io

from tests.plugins.cashier.conftest import BASE, close, key, open_shift, post


def test_denominations_are_the_sites_largest_first(cashier):
    assert cashier.get(f"{BASE}/denominations").json() == ["1000", "500", "200", "100", "50", "10", "5", "1"]


def test_open_shift_counts_the_float_and_shows_what_the_previous_shift_left(cashier, cashier2, sup, register):
    shift = open_shift(cashier, register, {"1000": 2, "100": 5})
    assert shift["status"] == "open" and shift["opening_float"] == "2500.00"
    assert shift["float_received"] == "2500.00" and shift["float_flagged"] is False
    assert "expected_cash" not in shift
    assert post(cashier, shift, amount="300").status_code == 201
    closed = close(cashier, shift, {"1000": 2, "100": 8}, float_left="2000")
    assert closed.status_code == 200, closed.text
    # The next cashier sees the float left, counts 1900: the difference is recorded and flagged.
    nxt = open_shift(cashier2, register, {"1000": 1, "500": 1, "100": 4})
    assert nxt["float_received"] == "2000.00" and nxt["opening_float"] == "1900.00"
    assert nxt["float_difference"] == "-100.00" and nxt["float_flagged"] is True
    tasks = sup.get("/api/v1/sites/lotus/tasks", params={"type": "cashier.difference_review"}).json()["items"]
    assert any(f"shift {nxt['id']}" in t["title"] for t in tasks)


def test_one_open_shift_per_register_and_per_cashier(cashier, cashier2, sup, register):
    open_shift(cashier, register)
    again = cashier2.post(f"{BASE}/shifts", json={"register_id": register["id"], "opening_count": {}}, headers=key())
    assert again.status_code == 409
    other = sup.post(f"{BASE}/registers", json={"name": "Second till"}).json()
    mine = cashier.post(f"{BASE}/shifts", json={"register_id": other["id"], "opening_count": {}}, headers=key())
    assert mine.status_code == 409


def test_bad_counts_and_amounts_are_422_naming_the_field(cashier, register):
    bad = cashier.post(f"{BASE}/shifts", json={"register_id": register["id"], "opening_count": {"2000": 1}},
                       headers=key())
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "opening_count.2000"
    fractional = cashier.post(f"{BASE}/shifts", json={"register_id": register["id"], "opening_count": {"1": 1.5}},
                              headers=key())
    assert fractional.status_code == 422
    shift = open_shift(cashier, register)
    for amount in ("0", "-5", "abc", "1.234", "", 12.5, "1e3"):
        response = post(cashier, shift, amount=amount)
        assert response.status_code == 422, (amount, response.text)
        assert response.json()["errors"][0]["field"] == "amount"
    assert post(cashier, shift, method="cheque").status_code == 422
    assert post(cashier, shift, kind="gift").status_code == 422
    assert cashier.get(f"{BASE}/shifts/{shift['id']}").json()["entry_count"] == 0


def test_money_posts_need_an_idempotency_key_and_repeat_once(cashier, register):
    shift = open_shift(cashier, register)
    no_key = cashier.post(f"{BASE}/shifts/{shift['id']}/transactions",
                          json={"kind": "sale", "amount": "10", "method": "cash"})
    assert no_key.status_code == 400
    headers = key()
    first = post(cashier, shift, amount="10", headers=headers)
    second = post(cashier, shift, amount="10", headers=headers)
    assert first.status_code == second.status_code == 201 and first.json()["id"] == second.json()["id"]
    assert post(cashier, shift, amount="11", headers=headers).status_code == 409
    entries = cashier.get(f"{BASE}/shifts/{shift['id']}/transactions").json()["items"]
    assert len(entries) == 1 and entries[0]["amount"] == "10.00"


def test_ledger_has_no_update_or_delete(cashier, register):
    shift = open_shift(cashier, register)
    entry = post(cashier, shift).json()
    for method in ("PUT", "PATCH", "DELETE"):
        response = cashier.request(method, f"{BASE}/transactions/{entry['id']}", json={"amount": "1"})
        assert response.status_code == 405


def test_blind_close_computes_expected_and_books_an_overage(cashier, sup, register):
    shift = open_shift(cashier, register, {"1000": 5})  # 5000
    post(cashier, shift, amount="1200")
    post(cashier, shift, kind="refund", amount="200")
    post(cashier, shift, kind="paid_in", amount="500")
    post(cashier, shift, kind="paid_out", amount="100")
    post(cashier, shift, amount="999", method="card")  # not in the drawer
    seen = cashier.get(f"{BASE}/shifts/{shift['id']}").json()
    assert "expected_cash" not in seen  # blind: never shown to the cashier while open
    assert sup.get(f"{BASE}/shifts/{shift['id']}").json()["expected_cash"] == "6400.00"
    # expected 5000 + 1200 - 200 + 500 - 100 = 6400; counted 6450
    result = close(cashier, shift, {"1000": 6, "100": 4, "50": 1}, float_left="5000")
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["expected_cash"] == "6400.00" and body["counted_cash"] == "6450.00"
    assert body["difference"] == "50.00" and body["overage"] == "50.00" and body["shortage"] == "0.00"
    assert body["takings"] == "1450.00" and body["status"] == "pending_review"
    over = sup.get(f"{BASE}/over-short").json()
    assert [(i["kind"], i["amount"]) for i in over["items"] if i["shift_id"] == shift["id"]] == [("overage", "50.00")]


def _minor(text):
    return int(text.replace(".", ""))


def test_overage_and_shortage_are_never_netted_across_shifts(cashier, sup, register):
    first = open_shift(cashier, register, {"1000": 1})
    before = sup.get(f"{BASE}/over-short", params={"cashier_id": first["cashier_id"]}).json()
    post(cashier, first, amount="100")
    close(cashier, first, {"1000": 1, "100": 1, "10": 3}, float_left="1000")  # +30
    second = open_shift(cashier, register, {"1000": 1})
    post(cashier, second, amount="100")
    close(cashier, second, {"1000": 1, "50": 1, "10": 2}, float_left="1000")  # -30
    over = sup.get(f"{BASE}/over-short", params={"cashier_id": first["cashier_id"]}).json()
    for total in ("overage_total", "shortage_total", "shortage_outstanding"):
        assert _minor(over[total]) - _minor(before[total]) == 3000, total
    mine = [(i["kind"], i["amount"]) for i in over["items"] if i["shift_id"] in (first["id"], second["id"])]
    assert sorted(mine) == [("overage", "30.00"), ("shortage", "30.00")]
    shortage = next(i for i in over["items"] if i["kind"] == "shortage" and i["shift_id"] == second["id"])
    # The cashier cannot settle their own shortage; a supervisor records the payment.
    assert cashier.post(f"{BASE}/differences/{shortage['id']}/settlements", json={"amount": "30"},
                        headers=key()).status_code == 403
    assert sup.post(f"{BASE}/differences/{shortage['id']}/settlements", json={"amount": "40"},
                    headers=key()).status_code == 422
    paid = sup.post(f"{BASE}/differences/{shortage['id']}/settlements", json={"amount": "30"}, headers=key())
    assert paid.status_code == 201 and paid.json()["difference"]["outstanding"] == "0.00"
    after = sup.get(f"{BASE}/over-short", params={"cashier_id": first["cashier_id"]}).json()
    assert after["overage_total"] == over["overage_total"] and after["shortage_total"] == over["shortage_total"]
    assert _minor(after["shortage_outstanding"]) == _minor(before["shortage_outstanding"])


def test_closing_twice_a_stale_version_and_posting_to_a_closed_shift_are_409(cashier, register):
    shift = open_shift(cashier, register, {"1000": 1})
    stale = close(cashier, shift, {"1000": 1}, float_left="0", version=shift["version"] + 5)
    assert stale.status_code == 409 and "current" in stale.json()
    assert close(cashier, shift, {"1000": 1}, float_left="0").status_code == 200
    again = close(cashier, shift, {"1000": 1}, float_left="0", version=shift["version"] + 1)
    assert again.status_code == 409
    assert post(cashier, shift).status_code == 409


def test_float_left_cannot_exceed_the_count(cashier, register):
    shift = open_shift(cashier, register, {"1000": 1})
    response = close(cashier, shift, {"1000": 1}, float_left="2000")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "float_left"


def test_review_by_a_supervisor_who_is_not_the_cashier(demo_server, cashier, sup, register):
    shift = open_shift(cashier, register, {"1000": 1})
    post(cashier, shift, amount="100")
    body = close(cashier, shift, {"1000": 1}, float_left="1000").json()  # short 100
    assert body["status"] == "pending_review" and body["shortage"] == "100.00"
    assert cashier.post(f"{BASE}/shifts/{shift['id']}/review",
                        json={"note": "ok", "version": body["version"]}).status_code == 403
    admin = demo_server.api_client("admin")  # may work a till and review: not their own shift
    own = open_shift(admin, sup.post(f"{BASE}/registers", json={"name": "Admin till"}).json(), {"1000": 1})
    own_closed = close(admin, own, {"100": 1}, float_left="0").json()
    assert admin.post(f"{BASE}/shifts/{own['id']}/review",
                      json={"note": "mine", "version": own_closed["version"]}).status_code == 403
    reviewed = sup.post(f"{BASE}/shifts/{shift['id']}/review", json={"note": "Counted again", "version": body["version"]})
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "closed"
    assert sup.post(f"{BASE}/shifts/{shift['id']}/review",
                    json={"note": "x", "version": reviewed.json()["version"]}).status_code == 409


def test_reversal_links_the_original_with_a_reason_and_cancels_it(cashier, sup, register):
    shift = open_shift(cashier, register, {"1000": 1})
    sale = post(cashier, shift, amount="250").json()
    reversal = cashier.post(f"{BASE}/transactions/{sale['id']}/reverse", json={"reason": "Wrong amount"},
                            headers=key())
    assert reversal.status_code == 201
    assert reversal.json()["reverses_id"] == sale["id"] and reversal.json()["reason"] == "Wrong amount"
    twice = cashier.post(f"{BASE}/transactions/{sale['id']}/reverse", json={"reason": "again"}, headers=key())
    assert twice.status_code == 409
    assert cashier.post(f"{BASE}/transactions/{reversal.json()['id']}/reverse", json={"reason": "x"},
                        headers=key()).status_code == 409
    assert sup.get(f"{BASE}/shifts/{shift['id']}").json()["expected_cash"] == "1000.00"


def test_large_refund_waits_for_a_supervisor_before_it_counts(cashier, sup, register):
    shift = open_shift(cashier, register, {"1000": 10})
    refund = post(cashier, shift, kind="refund", amount="5000").json()
    assert refund["needs_approval"] is True and refund["approval_status"] == "pending"
    assert sup.get(f"{BASE}/shifts/{shift['id']}").json()["expected_cash"] == "10000.00"
    blocked = close(cashier, shift, {"1000": 5}, float_left="0")
    assert blocked.status_code == 409
    assert cashier.post(f"{BASE}/transactions/{refund['id']}/decision",
                        json={"approve": True, "version": 1}).status_code == 403
    decided = sup.post(f"{BASE}/transactions/{refund['id']}/decision", json={"approve": True, "version": 1})
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    assert sup.get(f"{BASE}/shifts/{shift['id']}").json()["expected_cash"] == "5000.00"
    small = post(cashier, shift, kind="refund", amount="100").json()
    assert small["needs_approval"] is False


def test_revenue_is_confidential(cashier, cashier2, sup, register):
    shift = open_shift(cashier, register, {"1000": 1})
    post(cashier, shift)
    assert cashier2.get(f"{BASE}/shifts/{shift['id']}/transactions").status_code == 403
    assert cashier.get(f"{BASE}/shifts/{shift['id']}/report").status_code == 403  # open: blind
    assert cashier2.get(f"{BASE}/over-short", params={"cashier_id": shift["cashier_id"]}).status_code == 403
    assert cashier.get(f"{BASE}/daily").status_code == 403
    close(cashier, shift, {"1000": 1, "100": 1}, float_left="0")
    assert cashier.get(f"{BASE}/shifts/{shift['id']}/report").status_code == 200
    assert cashier2.get(f"{BASE}/shifts/{shift['id']}/report").status_code == 403
    assert "takings" not in cashier2.get(f"{BASE}/shifts/{shift['id']}").json()


def test_report_json_csv_xlsx(cashier, sup, register):
    from openpyxl import load_workbook

    shift = open_shift(cashier, register, {"1000": 1})
    post(cashier, shift, amount="300", reference="INV-1")
    post(cashier, shift, amount="450", method="card", reference="=cmd")
    close(cashier, shift, {"1000": 1, "100": 3}, float_left="1000")
    report = sup.get(f"{BASE}/shifts/{shift['id']}/report").json()
    card = next(line for line in report["totals_by_method"] if line["method"] == "card")
    assert card["sale"] == "450.00" and report["takings"] == "300.00" and len(report["entries"]) == 2
    text = sup.get(f"{BASE}/shifts/{shift['id']}/report", params={"format": "csv"})
    assert text.headers["content-type"].startswith("text/csv") and "INV-1" in text.text and "'=cmd" in text.text
    xlsx = sup.get(f"{BASE}/shifts/{shift['id']}/report", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert any(row[0] == "Takings" and row[1] == "300.00" for row in sheet.iter_rows(values_only=True))


def test_deposit_needs_a_witness_and_the_exact_takings(demo_server, cashier, sup, register):
    shift = open_shift(cashier, register, {"1000": 1})
    post(cashier, shift, amount="1500")
    close(cashier, shift, {"1000": 2, "500": 1}, float_left="1000")  # takings 1500
    body = {"shift_ids": [shift["id"]], "bag_number": "B-001", "count": {"1000": 1, "500": 1},
            "witness_username": "hotelsup", "witness_password": "frontdesk-demo"}
    self_witness = cashier.post(f"{BASE}/deposits", json={**body, "witness_username": "cashier"}, headers=key())
    assert self_witness.status_code == 422
    no_permission = cashier.post(f"{BASE}/deposits", json={**body, "witness_username": "cashier2"}, headers=key())
    assert no_permission.status_code == 422
    wrong = cashier.post(f"{BASE}/deposits", json={**body, "witness_password": "nope"}, headers=key())
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "witness_username"
    assert wrong.json()["detail"] == no_permission.json()["detail"]  # one answer for every failure
    short = cashier.post(f"{BASE}/deposits", json={**body, "count": {"1000": 1}}, headers=key())
    assert short.status_code == 409
    made = cashier.post(f"{BASE}/deposits", json=body, headers=key())
    assert made.status_code == 201, made.text
    assert made.json()["amount"] == "1500.00" and made.json()["witness"] == "hotelsup"
    again = cashier.post(f"{BASE}/deposits", json={**body, "bag_number": "B-002"}, headers=key())
    assert again.status_code == 409
    report = sup.get(f"{BASE}/shifts/{shift['id']}/report").json()
    assert report["deposits"][0]["bag_number"] == "B-001"
    audit = demo_server.call(_audit_actions)
    assert "cashier.refused.deposit.witness" in audit


async def _audit_actions():
    from core.audit.models import AuditEntry

    return set(await AuditEntry.filter(action__startswith="cashier.").values_list("action", flat=True))


def test_reconciliation_finds_a_corrupted_shift(demo_server, cashier, sup, register):
    shift = open_shift(cashier, register, {"1000": 1})
    entry = post(cashier, shift, amount="100").json()
    close(cashier, shift, {"1000": 1, "100": 1}, float_left="0")
    assert sup.get(f"{BASE}/reconciliation").json()["mismatches"] == []

    async def corrupt():
        from plugins.cashier.models import Entry

        await Entry.filter(id=entry["id"]).update(amount=9900)

    demo_server.call(corrupt)
    found = sup.get(f"{BASE}/reconciliation").json()["mismatches"]
    assert [m["shift_id"] for m in found] == [shift["id"]]


def test_daily_summary(cashier, sup, register):
    before = sup.get(f"{BASE}/daily").json()
    shift = open_shift(cashier, register, {"1000": 1})
    post(cashier, shift, amount="100")
    post(cashier, shift, amount="70", method="mobile")
    close(cashier, shift, {"1000": 1, "100": 1}, float_left="1000")
    day = sup.get(f"{BASE}/daily").json()
    assert day["shifts"] == before["shifts"] + 1
    assert _minor(day["net_by_method"]["mobile"]) - _minor(before["net_by_method"]["mobile"]) == 7000
