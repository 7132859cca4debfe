"""The supervisor's tasks about shifts and refunds: they name their record, show it on the
task page, and only the record's own review or decision finishes them."""

from tests.plugins.cashier.conftest import close, open_shift, post

TASKS = "/api/v1/sites/lotus/tasks"


def test_a_difference_review_task_names_its_shift_shows_it_and_is_closed_only_by_the_review(
        demo_server, cashier, sup, register):
    shift = open_shift(cashier, register, {"1000": 2})
    post(cashier, shift, amount="300")
    assert close(cashier, shift, {"1000": 2}, float_left="0").status_code == 200  # 300 short
    task = next(t for t in sup.get(TASKS, params={"type": "cashier.difference_review", "limit": 200}).json()["items"]
                if t["subject"] == {"plugin": "cashier", "kind": "shift", "id": shift["id"]})
    refused = sup.post(f"{TASKS}/{task['id']}/transition", json={"to": "closed", "version": task["version"]})
    assert refused.status_code == 409 and "/cashier/shifts/{id}/review" in refused.json()["detail"]
    page = demo_server.sign_in("hotelsup").get(f"/sites/lotus/tasks/{task['id']}").text
    assert f'href="/sites/lotus/cashier/shifts/{shift["id"]}"' in page
    assert "-300.00" in page and 'href="/sites/lotus/cashier/review"' in page


def test_a_refund_approval_task_names_its_entry_and_the_decision_closes_it(demo_server, cashier, sup, register):
    from tests.plugins.cashier.conftest import BASE

    shift = open_shift(cashier, register)
    refund = post(cashier, shift, kind="refund", amount="5000").json()
    task = next(t for t in sup.get(TASKS, params={"type": "cashier.refund_approval", "limit": 200}).json()["items"]
                if t["subject"] == {"plugin": "cashier", "kind": "entry", "id": refund["id"]})
    page = demo_server.sign_in("hotelsup").get(f"/sites/lotus/tasks/{task['id']}").text
    assert "5000.00" in page and 'href="/sites/lotus/cashier/review"' in page
    assert sup.post(f"{BASE}/transactions/{refund['id']}/decision", json={"approve": True, "version": 1}).status_code == 200
    assert sup.get(f"{TASKS}/{task['id']}").json()["status"] == "closed"
