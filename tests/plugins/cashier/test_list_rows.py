"""The ledger and deposits lists read plain rows of only the columns they return
(``core.rows``), a page's deposit shifts and people in one query each, and answer exactly
what the single reads answer; the cashier's home page reads all registers' last shifts
at once, not per register."""

import re
import uuid

from plugins.cashier.api import DEPOSIT_COLUMNS
from plugins.cashier.services import ENTRY_COLUMNS
from tests.plugins.cashier.conftest import BASE, close, key, open_shift, post
from tests.sql_log import columns_read, mentioning, statements


def test_the_ledger_answers_what_each_entry_answers(cashier, cashier2, sup, register, caplog):
    shift = open_shift(cashier, register, {"1000": 10})
    sale = post(cashier, shift, amount="150", reference="INV-7", note="two coffees").json()
    post(cashier, shift, kind="refund", amount="5000")  # waits for a supervisor
    approved = post(cashier, shift, kind="refund", amount="4000").json()
    post(cashier, shift, kind="paid_out", method="cash", amount="20")
    decided = sup.post(f"{BASE}/transactions/{approved['id']}/decision", json={"approve": True, "version": 1})
    assert decided.status_code == 200
    assert cashier.post(f"{BASE}/transactions/{sale['id']}/reverse", json={"reason": "wrong table"},
                        headers=key()).status_code == 201
    ledger = f"{BASE}/shifts/{shift['id']}/transactions"
    for client in (cashier, sup):  # the shift's own cashier, and a supervisor who sees revenue
        sent = statements(caplog, lambda client=client: client.get(ledger, params={"limit": 200}))
        items = client.get(ledger, params={"limit": 200}).json()["items"]
        assert [item["approval_status"] for item in items] == [None, "pending", "approved", None, None]
        assert items[-1]["reverses_id"] == sale["id"] and items[-1]["is_reversal"] is True
        for item in items:
            assert client.get(f"{BASE}/transactions/{item['id']}").json() == item
        assert columns_read(sent, "cashier_entry") == set(ENTRY_COLUMNS)  # not idempotency_key, request_hash
    assert cashier2.get(ledger).status_code == 403  # another cashier's revenue
    assert sup.get(f"{BASE}/shifts/{shift['id']}/report").json()["entries"] == items  # one serializer


def _closed_shift(cashier, register) -> dict:
    """A shift that took 1,500 in cash and left a float of 1,000 for the next."""
    shift = open_shift(cashier, register, {"1000": 1})
    post(cashier, shift, amount="1500")
    assert close(cashier, shift, {"1000": 2, "500": 1}, float_left="1000").status_code == 200
    return shift


def _deposit(cashier, shifts: list[dict], count: dict) -> dict:
    made = cashier.post(f"{BASE}/deposits", headers=key(), json={
        "shift_ids": [shift["id"] for shift in shifts], "bag_number": f"B-{uuid.uuid4().hex[:8]}", "count": count,
        "witness_username": "hotelsup", "witness_password": "frontdesk-demo"})
    assert made.status_code == 201, made.text
    return made.json()


def test_the_deposits_list_answers_what_each_deposit_answers_and_reads_shifts_and_people_once(
        cashier, sup, register, caplog):
    _deposit(cashier, [_closed_shift(cashier, register)], {"1000": 1, "500": 1})
    _deposit(cashier, [_closed_shift(cashier, register), _closed_shift(cashier, register)], {"1000": 3})
    _deposit(cashier, [_closed_shift(cashier, register)], {"500": 3})

    def related_reads(limit: int) -> tuple[int, int, list[str]]:
        sent = statements(caplog, lambda: sup.get(f"{BASE}/deposits", params={"limit": limit}))
        return len(mentioning(sent, "cashier_deposit_shift")), len(mentioning(sent, "core_user")), sent

    (links_one, people_one, _sent), (links_three, people_three, sent) = related_reads(1), related_reads(3)
    assert links_one == links_three == 1 and people_one == people_three == 1  # not per deposit
    assert columns_read(sent, "cashier_deposit") == set(DEPOSIT_COLUMNS)
    items = sup.get(f"{BASE}/deposits", params={"limit": 3}).json()["items"]
    assert [len(item["shift_ids"]) for item in items] == [1, 2, 1]
    assert [item["amount"] for item in items] == ["1500.00", "3000.00", "1500.00"]
    for item in items:
        assert sup.get(f"{BASE}/deposits/{item['id']}").json() == item
        assert (item["created_by"], item["witness"]) == ("cashier", "hotelsup")


def test_the_cashier_home_page_reads_every_registers_last_shift_at_once(demo_server, cashier, sup, caplog):
    home = demo_server.sign_in("cashier2")

    def shift_reads() -> tuple[int, str]:
        sent = statements(caplog, lambda: home.get("/sites/lotus/cashier/"))
        return len(mentioning(sent, "cashier_shift")), home.get("/sites/lotus/cashier/").text

    before, _page = shift_reads()
    registers = [sup.post(f"{BASE}/registers", json={"name": f"Till {uuid.uuid4().hex[:6]}"}).json()
                 for _ in range(3)]
    for register in registers[:2]:
        _closed_shift(cashier, register)
    open_shift(cashier, registers[2])  # in use
    after, page = shift_reads()
    assert after == before  # three more registers, no more queries
    options = {name: text for name, text in re.findall(r">(Till \w+)([^<]*)</option>", page)}
    assert [options[register["name"]].strip() for register in registers] == [
        "· float left by the previous shift: 1000.00", "· float left by the previous shift: 1000.00", "(in use)"]
