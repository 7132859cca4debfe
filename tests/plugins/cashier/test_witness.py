"""The deposit witness check: one answer for every failure, through the sign-in throttle."""

from core.identity.models import LoginFailure, User
from plugins.cashier.models import Deposit
from tests.plugins.cashier.conftest import BASE, close, key, open_shift, post

RIGHT = "frontdesk-demo"


def closed_shift_body(cashier, register):
    shift = open_shift(cashier, register, {"1000": 1})
    post(cashier, shift, amount="1500")
    close(cashier, shift, {"1000": 2, "500": 1}, float_left="1000")  # takings 1500
    return {"shift_ids": [shift["id"]], "bag_number": "B-W-1", "count": {"1000": 1, "500": 1},
            "witness_username": "hotelsup", "witness_password": RIGHT}


def test_every_witness_failure_gets_one_answer_on_the_username(demo_server, cashier, register):
    body = closed_shift_body(cashier, register)
    tries = {
        "unknown user": {"witness_username": "nobody-such"},
        "wrong password": {"witness_password": "not-the-password"},
        "may not witness": {"witness_username": "cashier2", "witness_password": RIGHT},
        "disabled": {"witness_username": "agent", "witness_password": RIGHT},
    }
    demo_server.call(lambda: User.filter(username="agent").update(is_active=False))
    answers = {}
    for name, change in tries.items():
        response = cashier.post(f"{BASE}/deposits", json={**body, **change}, headers=key())
        answers[name] = (response.status_code, response.json()["detail"], response.json()["errors"])
    assert len(set(map(repr, answers.values()))) == 1, answers
    status, detail, errors = answers["wrong password"]
    assert status == 422 and [error["field"] for error in errors] == ["witness_username"]


def test_the_witness_check_counts_with_the_sign_in_throttle_and_still_answers_the_same(demo_server, cashier,
                                                                                      register):
    body = closed_shift_body(cashier, register)
    wrong = cashier.post(f"{BASE}/deposits", json={**body, "witness_password": "guess-0"}, headers=key()).json()
    for number in range(1, 5):
        cashier.post(f"{BASE}/deposits", json={**body, "witness_password": f"guess-{number}"}, headers=key())
    assert demo_server.call(lambda: LoginFailure.filter(scope="user:hotelsup").count()) == 5
    throttled = cashier.post(f"{BASE}/deposits", json=body, headers=key())  # the right password, now throttled
    assert throttled.status_code == 422 and throttled.json()["detail"] == wrong["detail"]
    assert throttled.json()["errors"] == wrong["errors"]
    refused = demo_server.client().post("/api/v1/auth/token", json={"username": "hotelsup", "password": RIGHT})
    assert refused.status_code == 429  # guessing here was guessing at the sign-in


def test_a_right_witness_password_is_not_counted(demo_server, cashier, register):
    body = closed_shift_body(cashier, register)
    made = cashier.post(f"{BASE}/deposits", json=body, headers=key())
    assert made.status_code == 201, made.text
    assert demo_server.call(lambda: LoginFailure.all().count()) == 0


def test_the_depositor_cannot_witness_under_another_spelling_of_their_name(demo_server, cashier, sup, register):
    body = closed_shift_body(cashier, register)  # the supervisor deposits the cashier's shift
    for spelling in ("HOTELSUP", " HotelSup "):
        own = sup.post(f"{BASE}/deposits", json={**body, "witness_username": spelling}, headers=key())
        assert own.status_code == 422, own.text
        assert [error["field"] for error in own.json()["errors"]] == ["witness_username"]
    wrong = sup.post(f"{BASE}/deposits", json={**body, "witness_password": "not-the-password"}, headers=key())
    assert own.json()["detail"] == wrong.json()["detail"]  # the one answer for every failure
    assert demo_server.call(lambda: Deposit.filter(bag_number=body["bag_number"]).exists()) is False
