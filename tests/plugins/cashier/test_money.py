"""Every bad form of an amount is a 422 naming the field, and nothing is written (core.money)."""

from plugins.cashier.models import Entry
from tests.core.test_money import BAD_API_AMOUNTS
from tests.plugins.cashier.conftest import key, open_shift, post


def test_a_bad_amount_is_refused_with_nothing_written(demo_server, cashier, register):
    shift = open_shift(cashier, register)
    before = demo_server.call(lambda: Entry.all().count())
    for amount in BAD_API_AMOUNTS:
        response = post(cashier, shift, amount=amount)
        assert response.status_code == 422, (amount, response.text)
        assert [e["field"] for e in response.json()["errors"]] == ["amount"], (amount, response.text)
    assert demo_server.call(lambda: Entry.all().count()) == before
    assert post(cashier, shift, amount="12.50").json()["amount"] == "12.50"


def test_a_bad_float_left_is_refused_and_the_shift_stays_open(demo_server, cashier, register):
    shift = open_shift(cashier, register)
    url = f"/api/v1/sites/lotus/cashier/shifts/{shift['id']}/close"
    for float_left in ("1e3", "１０", "-5", "1.234", 1.5, True):
        version = cashier.get(f"/api/v1/sites/lotus/cashier/shifts/{shift['id']}").json()["version"]
        response = cashier.post(url, json={"counted": {"1000": 5}, "float_left": float_left, "version": version},
                                headers=key())
        assert response.status_code == 422, (float_left, response.text)
        assert [e["field"] for e in response.json()["errors"]] == ["float_left"], (float_left, response.text)
    assert cashier.get(f"/api/v1/sites/lotus/cashier/shifts/{shift['id']}").json()["status"] == "open"
