"""The cashier's forms and its API do the same: same live events, tasks, audit entries, rows."""

from tests.plugins.cashier.conftest import BASE, key

PAGES = "/sites/lotus/cashier"


def _till(server) -> int:
    registers = server.api_client("cashier").get(f"{BASE}/registers").json()["items"]
    return next(r["id"] for r in registers if r["name"] == "Front desk till 1")


def _open(server, count: dict) -> dict:
    cashier = server.api_client("cashier")
    response = cashier.post(f"{BASE}/shifts", json={"register_id": _till(server), "opening_count": count},
                            headers=key())
    assert response.status_code == 201, response.text
    return response.json()


def test_open_shift_with_a_float_difference(parity):
    # 4000 counted where the last shift left 5000: the shift is flagged and a supervisor gets a task.
    footprint = parity.check(
        "cashier", prepare=_till,
        api=lambda till: ("POST", f"{BASE}/shifts", {"register_id": till, "opening_count": {"1000": 4}}),
        page=lambda till: (f"{PAGES}/open", {"register_id": str(till), "open_1000": "4"}))
    assert footprint.events == ["cashier.shift.changed", "task.created"]
    assert footprint.audit == ["cashier.shift.open", "task.create"]


def test_close_shift_with_a_shortage(parity):
    def prepare(server) -> dict:
        shift = _open(server, {"1000": 5})
        sale = server.api_client("cashier").post(f"{BASE}/shifts/{shift['id']}/transactions",
                                                 json={"kind": "sale", "amount": "300", "method": "cash"}, headers=key())
        assert sale.status_code == 201, sale.text
        return server.api_client("cashier").get(f"{BASE}/shifts/{shift['id']}").json()

    footprint = parity.check(
        "cashier", prepare=prepare,
        api=lambda shift: ("POST", f"{BASE}/shifts/{shift['id']}/close",
                           {"counted": {"1000": 5}, "float_left": "5000", "version": shift["version"]}),
        page=lambda shift: (f"{PAGES}/shifts/{shift['id']}/close",
                            {"count_1000": "5", "float_left": "5000", "version": str(shift["version"])}))
    assert "cashier.shift.changed" in footprint.events and "task.created" in footprint.events
    assert footprint.rows["cashier_difference"] == 1


def test_review_shift(parity):
    def prepare(server) -> dict:
        shift = _open(server, {"1000": 5})
        cashier = server.api_client("cashier")
        closed = cashier.post(f"{BASE}/shifts/{shift['id']}/close",
                              json={"counted": {"1000": 4}, "float_left": "4000", "version": shift["version"]},
                              headers=key())
        assert closed.status_code == 200 and closed.json()["status"] == "pending_review", closed.text
        return closed.json()

    footprint = parity.check(
        "hotelsup", prepare=prepare,
        api=lambda shift: ("POST", f"{BASE}/shifts/{shift['id']}/review",
                           {"note": "Counted again: 1000 short.", "version": shift["version"]}),
        page=lambda shift: (f"{PAGES}/shifts/{shift['id']}/review",
                            {"note": "Counted again: 1000 short.", "version": str(shift["version"])}))
    assert footprint.events == ["cashier.shift.changed", "task.transitioned"]
