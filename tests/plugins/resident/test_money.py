"""Every bad form of an amount is a 422 naming the field, and nothing is written (core.money)."""

import uuid

from plugins.resident.models import FeeSchedule, Payment, Procedure
from tests.core.test_money import BAD_API_AMOUNTS
from tests.plugins.resident.conftest import BASE


def _bill(manager, units) -> dict:
    assert manager.post(f"{BASE}/fee-schedules", json={"unit_kind": "apartment", "fixed": "1000"}).status_code == 200
    assert manager.post(f"{BASE}/billing-runs", json={"period": "2026-02"}).status_code == 201
    return manager.get(f"{BASE}/bills", params={"unit_id": units["A-0101"]}).json()["items"][0]


def test_a_bad_payment_is_refused_with_nothing_written(demo_server, manager, units):
    bill = _bill(manager, units)
    url = f"{BASE}/bills/{bill['id']}/payments"
    for amount in BAD_API_AMOUNTS:
        response = manager.post(url, json={"amount": amount, "method": "cash"},
                                headers={"Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == 422, (amount, response.text)
        assert [e["field"] for e in response.json()["errors"]] == ["amount"], (amount, response.text)
    assert demo_server.call(lambda: Payment.all().count()) == 0
    again = manager.get(f"{BASE}/bills", params={"unit_id": units["A-0101"]}).json()["items"][0]
    assert again["outstanding"] == "1000.00" and again["paid"] == "0.00"


def test_fees_and_deposits_may_be_zero_but_never_negative_or_malformed(demo_server, manager, agent, units):
    assert manager.post(f"{BASE}/fee-schedules", json={"unit_kind": "shop", "fixed": "0", "per_sqm": "35.5"}).json()[
        "fixed"] == "0.00"
    for bad in ("-5", "-0.01", "1e3", "１０", "1.234", 1.5):
        for field in ("fixed", "per_sqm"):
            body = {"unit_kind": "apartment", "fixed": "1000", field: bad}
            response = manager.post(f"{BASE}/fee-schedules", json=body)
            assert response.status_code == 422, (field, bad, response.text)
            assert [e["field"] for e in response.json()["errors"]] == [field], (field, bad, response.text)
        response = agent.post(f"{BASE}/procedures", json={"kind": "renovation", "unit_id": units["A-0901"],
                                                          "deposit": bad})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "deposit", (bad, response.text)
    assert demo_server.call(lambda: FeeSchedule.filter(unit_kind="apartment").count()) == 0
    assert demo_server.call(lambda: Procedure.all().count()) == 0
