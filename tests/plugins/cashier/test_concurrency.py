"""Concurrency: repeated keys make one entry, racing closes close once, posts racing a
close are either counted or refused, never lost."""

from concurrent.futures import ThreadPoolExecutor

from tests.plugins.cashier.conftest import BASE, key, open_shift, post


def test_two_identical_posts_with_one_key_make_one_entry(demo_server, register):
    cashier = demo_server.api_client("cashier")
    tab2 = demo_server.api_client("cashier")  # a second tab / device of the same cashier
    shift = open_shift(cashier, register)
    headers = key()
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda i: post(cashier if i % 2 else tab2, shift, amount="123.45", headers=headers),
                                  range(8)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert cashier.get(f"{BASE}/shifts/{shift['id']}").json()["entry_count"] == 1


def test_many_concurrent_posts_lose_and_duplicate_nothing(demo_server, register):
    cashier = demo_server.api_client("cashier")
    sup = demo_server.api_client("hotelsup")
    shift = open_shift(cashier, register, {"1000": 1})
    keys = [key() for _ in range(40)]
    work = keys + keys[:10]  # ten repeats
    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(lambda headers: post(cashier, shift, amount="10.05", headers=headers), work))
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses if r.status_code != 201]
    items = cashier.get(f"{BASE}/shifts/{shift['id']}/transactions", params={"limit": 200}).json()["items"]
    assert len(items) == 40
    assert sup.get(f"{BASE}/shifts/{shift['id']}").json()["expected_cash"] == "1402.00"


def test_racing_closes_close_once(demo_server, register):
    cashier = demo_server.api_client("cashier")
    shift = open_shift(cashier, register, {"1000": 1})
    body = {"counted": {"1000": 1}, "float_left": "0", "version": shift["version"]}
    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(lambda i: cashier.post(f"{BASE}/shifts/{shift['id']}/close", json=body,
                                                         headers=key()), range(6)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409, 409, 409, 409, 409], [r.text for r in responses]


def test_posts_racing_a_close_are_counted_or_refused(demo_server, register):
    cashier = demo_server.api_client("cashier")
    sup = demo_server.api_client("hotelsup")
    shift = open_shift(cashier, register, {"1000": 1})

    def act(i):
        if i == 10:
            return cashier.post(f"{BASE}/shifts/{shift['id']}/close",
                                json={"counted": {"1000": 1}, "float_left": "0", "version": shift["version"]},
                                headers=key())
        return post(cashier, shift, amount="1")

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(act, range(20)))
    closed = responses[10]
    assert closed.status_code == 200
    accepted = sum(1 for i, r in enumerate(responses) if i != 10 and r.status_code == 201)
    assert all(r.status_code in (201, 409) for i, r in enumerate(responses) if i != 10)
    report = sup.get(f"{BASE}/shifts/{shift['id']}/report").json()
    assert len(report["entries"]) == accepted
    assert report["expected_cash"] == f"{1000 + accepted}.00"
