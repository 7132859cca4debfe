"""Float handover signed by both cashiers: the next cashier counts the float received, the
previous one confirms with their password, and a difference is booked in the ledger of the
shift that left the float, where the over/short summary counts it."""

import re

from core.testing.servers import DEMO_PASSWORD
from tests.plugins.cashier.conftest import BASE, close, key, open_shift

PAGES = "/sites/lotus/cashier"


def handed_over(cashier, cashier2, register, received=None) -> tuple[dict, dict, dict]:
    """``cashier`` works a shift that leaves 5000 in the drawer; ``cashier2`` opens the next
    one counting ``received``: (previous shift, next shift, the pending handover)."""
    first = open_shift(cashier, register, {"1000": 5})
    closed = close(cashier, first, {"1000": 5}, "5000")
    assert closed.status_code == 200, closed.text
    second = open_shift(cashier2, register, received if received is not None else {"1000": 4})
    found = cashier2.get(f"{BASE}/handovers", params={"status": "pending", "cashier_id": second["cashier_id"]})
    assert found.status_code == 200, found.text
    [handover] = [h for h in found.json()["items"] if h["to_shift_id"] == second["id"]]
    return closed.json(), second, handover


def confirm(client, handover, password=DEMO_PASSWORD, version=None, headers=None):
    return client.post(f"{BASE}/handovers/{handover['id']}/confirm",
                       json={"password": password, "version": handover["version"] if version is None else version},
                       headers=key() if headers is None else headers)


def over_short(sup, cashier_id):
    response = sup.get(f"{BASE}/over-short", params={"cashier_id": cashier_id} if cashier_id else {})
    assert response.status_code == 200, response.text
    return response.json()


def test_opening_after_a_float_left_starts_a_pending_handover(cashier, cashier2, register):
    previous, shift, handover = handed_over(cashier, cashier2, register)
    assert handover["from_shift_id"] == previous["id"] and handover["from_cashier_id"] == previous["cashier_id"]
    assert handover["to_cashier_id"] == shift["cashier_id"] and handover["status"] == "pending"
    assert (handover["float_left"], handover["received"], handover["difference"]) == ("5000.00", "4000.00",
                                                                                        "-1000.00")
    assert handover["received_count"] == {"1000": 4} and handover["float_left_count"] is None
    assert handover["entry_id"] is None and handover["booked_kind"] == "float_loss"
    assert cashier.get(f"{BASE}/handovers/{handover['id']}").json() == handover
    # Nothing is booked until the previous cashier confirms.
    assert [e["kind"] for e in cashier.get(f"{BASE}/shifts/{previous['id']}/transactions").json()["items"]] == []


def test_a_register_s_first_shift_has_nothing_to_take_over(cashier, register):
    shift = open_shift(cashier, register, {"1000": 5})
    found = cashier.get(f"{BASE}/handovers", params={"cashier_id": shift["cashier_id"]}).json()["items"]
    assert all(h["to_shift_id"] != shift["id"] for h in found)


def test_confirming_books_a_shortage_on_the_shift_that_left_the_float(cashier, cashier2, sup, register):
    before = over_short(sup, None)
    previous, _shift, handover = handed_over(cashier, cashier2, register)
    mine_before = over_short(sup, previous["cashier_id"])
    confirmed = confirm(cashier, handover)
    assert confirmed.status_code == 200, confirmed.text
    data = confirmed.json()
    assert data["status"] == "confirmed" and data["confirmed_by_id"] == previous["cashier_id"]
    assert data["version"] == handover["version"] + 1 and data["entry_id"]
    [entry] = cashier.get(f"{BASE}/shifts/{previous['id']}/transactions").json()["items"]
    assert (entry["id"], entry["kind"], entry["amount"], entry["method"]) == (data["entry_id"], "float_loss",
                                                                            "1000.00", "cash")
    assert entry["created_by_id"] == previous["cashier_id"] and entry["reference"] == f"FH-{handover['id']}"
    shift = sup.get(f"{BASE}/shifts/{previous['id']}").json()
    assert shift["entry_count"] == 1 and shift["expected_cash"] == previous["expected_cash"]  # no drawer moved
    # The ledger still reconciles: the booked difference moves no drawer, and is counted.
    assert sup.get(f"{BASE}/reconciliation").json()["mismatches"] == []
    # The over/short summary counts it as a shortage of the cashier who left the float.
    mine = over_short(sup, previous["cashier_id"])
    assert mine["float_handover_shortage"] == "1000.00" and mine["float_handover_overage"] == "0.00"
    assert float(mine["shortage_total"]) - float(mine_before["shortage_total"]) == 1000
    assert mine["overage_total"] == mine_before["overage_total"]
    everyone = over_short(sup, None)
    assert float(everyone["shortage_total"]) - float(before["shortage_total"]) == 1000
    assert over_short(sup, _shift["cashier_id"])["float_handover_shortage"] == "0.00"
    # The shift report lists it with the shift's entries.
    report = sup.get(f"{BASE}/shifts/{previous['id']}/report").json()
    assert [e["kind"] for e in report["entries"]] == ["float_loss"]


def test_more_received_than_left_is_booked_as_an_overage(cashier, cashier2, sup, register):
    previous, _shift, handover = handed_over(cashier, cashier2, register, {"1000": 5, "500": 1})
    assert handover["difference"] == "500.00" and handover["booked_kind"] == "float_gain"
    assert confirm(cashier, handover).status_code == 200
    [entry] = cashier.get(f"{BASE}/shifts/{previous['id']}/transactions").json()["items"]
    assert (entry["kind"], entry["amount"]) == ("float_gain", "500.00")
    assert over_short(sup, previous["cashier_id"])["float_handover_overage"] == "500.00"


def test_a_handover_without_a_difference_books_nothing(cashier, cashier2, register):
    previous, _shift, handover = handed_over(cashier, cashier2, register, {"1000": 5})
    assert handover["difference"] == "0.00" and handover["booked_kind"] is None
    confirmed = confirm(cashier2, handover)  # at the next cashier's till, the previous one types the password
    assert confirmed.status_code == 200 and confirmed.json()["entry_id"] is None
    assert cashier.get(f"{BASE}/shifts/{previous['id']}/transactions").json()["items"] == []


def test_refusals_write_nothing(demo_server, cashier, cashier2, sup, register):
    from plugins.cashier.models import Entry, FloatHandover

    previous, _shift, handover = handed_over(cashier, cashier2, register)
    entries = lambda: demo_server.call(lambda: Entry.filter(shift_id=previous["id"]).count())  # noqa: E731

    wrong = confirm(cashier, handover, password="not-the-password")
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "password"
    # The next cashier typing their own password does not sign for the previous one: same message.
    own = confirm(cashier2, handover, password=DEMO_PASSWORD.upper())
    assert own.status_code == 422 and own.json()["detail"] == wrong.json()["detail"]
    assert sup.post(f"{BASE}/handovers/{handover['id']}/confirm",
                    json={"password": DEMO_PASSWORD, "version": handover["version"]},
                    headers=key()).status_code == 403  # someone else's handover
    assert confirm(cashier, handover, version=handover["version"] + 5).status_code == 409  # stale
    assert cashier.post(f"{BASE}/handovers/{handover['id']}/confirm",
                        json={"password": DEMO_PASSWORD, "version": handover["version"]}).status_code in (400, 428)
    for body in ({"password": "", "version": handover["version"]}, {"password": DEMO_PASSWORD},
                 {"password": DEMO_PASSWORD, "version": "one"}):
        bad = cashier.post(f"{BASE}/handovers/{handover['id']}/confirm", json=body, headers=key())
        assert bad.status_code == 422, bad.text
    assert entries() == 0
    stored = demo_server.call(lambda: FloatHandover.get(id=handover["id"]))
    assert (stored.status, stored.version, stored.entry_id) == ("pending", handover["version"], None)

    assert confirm(cashier, handover).status_code == 200
    again = confirm(cashier, {**handover, "version": handover["version"] + 1})
    assert again.status_code == 409  # a second confirmation
    assert confirm(cashier, handover).status_code == 409
    assert entries() == 1


def test_the_password_check_is_the_sign_in_throttle(demo_server, cashier, cashier2, register):
    settings = demo_server.app.state.settings
    previous, _shift, handover = handed_over(cashier, cashier2, register)
    for _ in range(settings.login_max_failures):
        assert confirm(cashier2, handover, password="guess").status_code == 422
    held = confirm(cashier2, handover)  # the right password, but the account is held: the one message
    assert held.status_code == 422 and held.json()["errors"][0]["field"] == "password"
    assert cashier.get(f"{BASE}/shifts/{previous['id']}/transactions").json()["items"] == []


def test_bad_counts_are_422_naming_the_field_and_open_nothing(cashier, cashier2, register):
    first = open_shift(cashier, register, {"1000": 5})
    assert close(cashier, first, {"1000": 5}, "5000").status_code == 200
    cases = [({"1000": -1}, "opening_count.1000"), ({"1000": 1.5}, "opening_count.1000"),
             ({"1000": "four"}, "opening_count.1000"), ({"3": 1}, "opening_count.3"),
             ("-5000", "opening_count"), (5000.5, "opening_count"), ("five thousand", "opening_count"),
             ([1000], "opening_count")]
    for count, field in cases:
        response = cashier2.post(f"{BASE}/shifts", json={"register_id": register["id"], "opening_count": count},
                                 headers=key())
        assert response.status_code == 422, (count, response.text)
        assert field in [e["field"] for e in response.json()["errors"]], (count, response.json())
    assert cashier2.get(f"{BASE}/shifts", params={"register_id": register["id"], "status": "open"}).json()["items"] == []
    listed = cashier2.get(f"{BASE}/handovers", params={"cashier_id": first["cashier_id"]}).json()["items"]
    assert all(h["from_shift_id"] != first["id"] for h in listed)


def test_the_float_may_be_counted_as_an_amount(cashier, cashier2, register):
    previous, shift, handover = handed_over(cashier, cashier2, register, "4500")
    assert shift["opening_float"] == "4500.00" and shift["opening_count"] == {}
    assert handover["received"] == "4500.00" and handover["received_count"] == {}
    assert handover["difference"] == "-500.00"


def test_pending_handover_shows_on_both_cashiers_pages_and_is_confirmed_by_form(demo_server, cashier, cashier2,
                                                                               register):
    previous, shift, handover = handed_over(cashier, cashier2, register)
    leaver, taker = demo_server.sign_in("cashier"), demo_server.sign_in("cashier2")
    mine = leaver.get(f"{PAGES}/")
    assert mine.status_code == 200 and f'id="handover-{handover["id"]}"' in mine.text and "Your password" in mine.text
    theirs = taker.get(f"{PAGES}/")
    assert f'id="handover-{handover["id"]}"' in theirs.text and "-1000.00" in theirs.text
    row = theirs.text[theirs.text.index(f'id="handover-{handover["id"]}"'):]
    form_key = re.search(r'name="form_key" value="([^"]+)"', row).group(1)
    wrong = taker.form_post(f"{PAGES}/handovers/{handover['id']}/confirm",
                            {"password": "wrong", "version": str(handover["version"]), "form_key": form_key})
    assert wrong.status_code == 422 and "password was not accepted" in wrong.text
    other = demo_server.sign_in("hotelsup").form_post(
        f"{PAGES}/handovers/{handover['id']}/confirm",
        {"password": DEMO_PASSWORD, "version": str(handover["version"]), "form_key": "fk-sup"})
    assert other.status_code == 403
    done = leaver.form_post(f"{PAGES}/handovers/{handover['id']}/confirm",
                            {"password": DEMO_PASSWORD, "version": str(handover["version"]), "form_key": form_key + "x"})
    assert done.status_code == 303
    assert f'id="handover-{handover["id"]}"' not in leaver.get(f"{PAGES}/").text
    assert f'id="handover-{handover["id"]}"' not in taker.get(f"{PAGES}/").text
    report = leaver.get(f"{PAGES}/shifts/{previous['id']}")
    assert report.status_code == 200 and "Float handover shortage" in report.text
    again = leaver.form_post(f"{PAGES}/handovers/{handover['id']}/confirm",
                             {"password": DEMO_PASSWORD, "version": str(handover["version"]), "form_key": "fk-again"})
    assert again.status_code == 409


def test_confirm_parity(parity):
    def prepare(server) -> dict:
        import uuid

        sup, cashier, cashier2 = (server.api_client(name) for name in ("hotelsup", "cashier", "cashier2"))
        till = sup.post(f"{BASE}/registers", json={"name": f"Till {uuid.uuid4().hex[:6]}"}).json()
        return handed_over(cashier, cashier2, till)[2]

    footprint = parity.check(
        "cashier", prepare=prepare,
        api=lambda handover: ("POST", f"{BASE}/handovers/{handover['id']}/confirm",
                              {"password": DEMO_PASSWORD, "version": handover["version"]}),
        page=lambda handover: (f"{PAGES}/handovers/{handover['id']}/confirm",
                               {"password": DEMO_PASSWORD, "version": str(handover["version"])}))
    assert sorted(footprint.events) == ["cashier.entry.posted", "cashier.handover.changed"]
    assert footprint.audit == ["cashier.handover.confirm"]
    assert footprint.rows["cashier_entry"] == 1
