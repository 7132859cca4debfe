"""Stocktakes (plugins/hotel/stocktake.py): open, count, recount, submit, approve, cancel,
the variance report, and the pages, on both databases."""

import pytest

from tests.plugins.hotel.conftest import BASE

ST = f"{BASE}/stocktakes"


@pytest.fixture
def hk2(demo_server):
    return demo_server.api_client("housekeeper2")


def make_item(sup, code, name="Item"):
    made = sup.post(f"{BASE}/stock/items", json={"code": code, "name": name, "category": "linen", "unit": "pcs"})
    assert made.status_code == 201, made.text
    return made.json()["id"]


def move(client, item_id, location, kind, quantity, **extra):
    done = client.post(f"{BASE}/stock/movements", json={"item_id": item_id, "location": location, "kind": kind,
                                                        "quantity": quantity, **extra})
    assert done.status_code == 201, done.text


def balance(client, item_id, location):
    rows = client.get(f"{BASE}/stock/balances", params={"item_id": item_id, "location": location}).json()
    return rows[0]["quantity"] if rows else None


def field_of(response):
    return [error["field"] for error in response.json()["errors"]]


def test_approval_posts_exact_movements_and_no_stock_moves_while_open(sup, hk, desk, demo_server):
    a, b, c = (make_item(sup, f"ST-{code}") for code in "ABC")
    move(hk, a, "Linen room", "in", 10)
    move(hk, b, "Linen room", "in", 5)
    move(hk, c, "Linen room", "in", 3)
    move(hk, c, "Linen room", "out", 3)  # used here, none left: still on the sheet
    opened = hk.post(ST, json={"location": "Linen room", "note": "Month end"})
    assert opened.status_code == 201, opened.text
    sheet = opened.json()
    assert sheet["status"] == "counting" and sheet["blind"] is True
    assert [line["item_id"] for line in sheet["lines"]] == [a, b, c]
    assert all(line["expected"] is None for line in sheet["lines"])  # counters count blind
    seen = {line["item_id"]: line["expected"] for line in sup.get(f"{ST}/{sheet['id']}").json()["lines"]}
    assert seen == {a: 10, b: 5, c: 0}
    # One open sheet per location.
    assert hk.post(ST, json={"location": "Linen room"}).status_code == 409

    # While the sheet is open no stock moves there (either end of a transfer): a 409 naming
    # the sheet, and nothing written. Else the count (the shelf) and the expected (the
    # books at opening) would differ by the movement and approval would subtract it twice.
    for kind, where, extra in (("out", "Linen room", {}), ("in", "Linen room", {}),
                               ("transfer", "Linen room", {"to_location": "Floor 3"})):
        refused = hk.post(f"{BASE}/stock/movements", json={"item_id": a, "location": where, "kind": kind,
                                                            "quantity": 2, **extra})
        assert refused.status_code == 409, refused.text
        assert refused.json()["stocktake_id"] == sheet["id"] and str(sheet["id"]) in refused.json()["detail"]
    move(hk, a, "Floor 3", "in", 2)
    into = hk.post(f"{BASE}/stock/movements", json={"item_id": a, "location": "Floor 3", "kind": "transfer",
                                                     "quantity": 1, "to_location": "Linen room"})
    assert into.status_code == 409, into.text
    assert balance(sup, a, "Linen room") == 10 and balance(hk, a, "Floor 3") == 2
    counted = hk.put(f"{ST}/{sheet['id']}/counts", json={"version": sheet["version"], "lines": [
        {"item_id": a, "counted": 9}, {"item_id": b, "counted": 5}, {"item_id": c, "counted": 1}]})
    assert counted.status_code == 200, counted.text
    submitted = hk.post(f"{ST}/{sheet['id']}/submit", json={"version": counted.json()["version"]})
    assert submitted.status_code == 200, submitted.text
    sheet = submitted.json()
    assert sheet["status"] == "submitted" and sheet["blind"] is False
    assert {line["item_id"]: line["variance"] for line in sheet["lines"]} == {a: -1, b: 0, c: 1}

    assert desk.get(ST).status_code == 403
    assert hk.post(f"{ST}/{sheet['id']}/approve", json={"version": sheet["version"]}).status_code == 403
    stale = sup.post(f"{ST}/{sheet['id']}/approve", json={"version": sheet["version"] - 1})
    assert stale.status_code == 409
    assert balance(sup, a, "Linen room") == 10  # nothing posted by the refusals

    approved = sup.post(f"{ST}/{sheet['id']}/approve", json={"version": sheet["version"]})
    assert approved.status_code == 200, approved.text
    done = approved.json()
    assert done["status"] == "approved" and done["approved_by"] is not None
    # The balances are the counts: what is on the shelf.
    assert (balance(hk, a, "Linen room"), balance(hk, b, "Linen room"), balance(hk, c, "Linen room")) == (9, 5, 1)
    posted = {}
    for item_id in (a, b, c):
        for movement in hk.get(f"{BASE}/stock/movements", params={"item_id": item_id}).json()["items"]:
            if movement["kind"] == "stocktake":
                posted[item_id] = (movement["quantity"], movement["stocktake_id"], movement["location"])
    assert posted == {a: (-1, sheet["id"], "Linen room"), c: (1, sheet["id"], "Linen room")}
    lines = {line["item_id"]: line for line in done["lines"]}
    assert lines[a]["movement_id"] and lines[c]["movement_id"] and lines[b]["movement_id"] is None

    # Approving twice: 409 whichever version is sent, and nothing more is posted.
    assert sup.post(f"{ST}/{sheet['id']}/approve", json={"version": done["version"]}).status_code == 409
    assert sup.post(f"{ST}/{sheet['id']}/approve", json={"version": sheet["version"]}).status_code == 409
    assert balance(hk, a, "Linen room") == 9

    report = sup.get(f"{ST}/{sheet['id']}/report").json()
    assert report["totals"] == {"lines": 3, "counted": 3, "with_variance": 2, "found": 1, "missing": 1}
    assert {line["item_id"]: line["variance_percent"] for line in report["lines"]} == {a: "-10.0", b: "0.0", c: None}
    csv = sup.get(f"{ST}/{sheet['id']}/report", params={"format": "csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "ST-A" in csv.text and "-10.0" in csv.text
    xlsx = sup.get(f"{ST}/{sheet['id']}/report", params={"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    async def actions():
        from core.audit.models import AuditEntry

        return set(await AuditEntry.filter(object_type="hotel.stocktake", object_id=str(sheet["id"]))
                   .values_list("action", flat=True))

    assert demo_server.call(actions) == {"hotel.stocktake.open", "hotel.stocktake.count", "hotel.stocktake.submit",
                                         "hotel.stocktake.approve"}
    # The location is free again: stock moves, and it can be counted again.
    move(hk, a, "Linen room", "out", 1)
    assert balance(hk, a, "Linen room") == 8
    assert hk.post(ST, json={"location": "Linen room"}).status_code == 201
    listed = hk.get(ST, params={"status": "approved"}).json()["items"]
    assert [item["id"] for item in listed] == [sheet["id"]]


def test_bad_counts_are_422_naming_the_line_and_nothing_is_written(sup, hk):
    a, b = make_item(sup, "ST-V1"), make_item(sup, "ST-V2")
    move(hk, a, "Store V", "in", 4)
    move(hk, b, "Store V", "in", 4)
    sheet = hk.post(ST, json={"location": "Store V"}).json()
    url, version = f"{ST}/{sheet['id']}/counts", sheet["version"]
    for bad in (-1, "abc", 2.5, "", 10_000_000):
        answer = hk.put(url, json={"version": version, "lines": [{"item_id": a, "counted": 3},
                                                                  {"item_id": b, "counted": bad}]})
        assert answer.status_code == 422, (bad, answer.text)
        assert field_of(answer) == ["lines.1.counted"], bad
    unknown = hk.put(url, json={"version": version, "lines": [{"item_id": 999999, "counted": 1}]})
    assert unknown.status_code == 422 and field_of(unknown) == ["lines.0.item_id"]
    twice = hk.put(url, json={"version": version, "lines": [{"item_id": a, "counted": 1}, {"item_id": a, "counted": 2}]})
    assert twice.status_code == 422 and field_of(twice) == ["lines.1.item_id"]
    after = hk.get(f"{ST}/{sheet['id']}").json()
    assert after["version"] == version and all(line["counted"] is None for line in after["lines"])
    # Submitting before every line is counted names the lines left.
    one = hk.put(url, json={"version": version, "lines": [{"item_id": a, "counted": 4}]})
    assert one.status_code == 200
    early = hk.post(f"{ST}/{sheet['id']}/submit", json={"version": one.json()["version"]})
    assert early.status_code == 422 and field_of(early) == ["lines.1.counted"]
    assert hk.put(url, json={"version": version, "lines": [{"item_id": b, "counted": 4}]}).status_code == 409
    # A location without stock needs all_items; a blank one is refused.
    nothing = hk.post(ST, json={"location": "Empty closet"})
    assert nothing.status_code == 422 and field_of(nothing) == ["location"]
    assert hk.post(ST, json={"location": " "}).status_code == 422
    everything = hk.post(ST, json={"location": "Empty closet", "all_items": True})
    assert everything.status_code == 201
    assert {a, b} <= {line["item_id"] for line in sup.get(f"{ST}/{everything.json()['id']}").json()["lines"]}


def test_variance_past_the_threshold_needs_a_second_count_by_someone_else(sup, hk, hk2):
    a, b = make_item(sup, "ST-R1"), make_item(sup, "ST-R2")
    move(hk, a, "Floor 9 pantry", "in", 20)
    move(hk, b, "Floor 9 pantry", "in", 20)
    sheet = hk.post(ST, json={"location": "Floor 9 pantry"}).json()
    counted = hk.put(f"{ST}/{sheet['id']}/counts", json={"version": sheet["version"], "lines": [
        {"item_id": a, "counted": 10}, {"item_id": b, "counted": 19}]}).json()
    first = hk.post(f"{ST}/{sheet['id']}/submit", json={"version": counted["version"]})
    assert first.status_code == 200, first.text
    sheet = first.json()
    assert sheet["status"] == "recount" and sheet["recount_lines"] == 1
    lines = {line["item_id"]: line for line in sheet["lines"]}
    assert lines[a]["needs_recount"] and not lines[b]["needs_recount"]
    assert lines[a]["counted"] is None and lines[a]["expected"] is None  # the recount is blind
    again = hk.post(f"{ST}/{sheet['id']}/submit", json={"version": sheet["version"]})
    assert again.status_code == 422 and field_of(again) == ["lines.0.counted"]
    same = hk.put(f"{ST}/{sheet['id']}/counts", json={"version": sheet["version"],
                                                        "lines": [{"item_id": a, "counted": 18}]})
    assert same.status_code == 403
    not_flagged = hk2.put(f"{ST}/{sheet['id']}/counts", json={"version": sheet["version"],
                                                                "lines": [{"item_id": b, "counted": 20}]})
    assert not_flagged.status_code == 422 and field_of(not_flagged) == ["lines.0.item_id"]
    second = hk2.put(f"{ST}/{sheet['id']}/counts", json={"version": sheet["version"],
                                                           "lines": [{"item_id": a, "counted": 18}]})
    assert second.status_code == 200, second.text
    submitted = hk2.post(f"{ST}/{sheet['id']}/submit", json={"version": second.json()["version"]}).json()
    assert submitted["status"] == "submitted"
    lines = {line["item_id"]: line for line in submitted["lines"]}
    assert (lines[a]["counted"], lines[a]["second_count"], lines[a]["final"], lines[a]["variance"]) == (10, 18, 18, -2)
    approved = sup.post(f"{ST}/{sheet['id']}/approve", json={"version": submitted["version"]})
    assert approved.status_code == 200
    assert (balance(hk, a, "Floor 9 pantry"), balance(hk, b, "Floor 9 pantry")) == (18, 19)


def test_recount_rule():
    from plugins.hotel.stocktake import needs_recount

    assert not needs_recount(-2, 20, 2, 10)  # 2 units: not past the units
    assert not needs_recount(-3, 100, 2, 10)  # 3 %: not past the percentage
    assert needs_recount(-3, 20, 2, 10)
    assert needs_recount(5, 0, 2, 10)  # nothing expected: any percentage
    assert needs_recount(1, 50, 0, 0)  # both 0: every variance
    assert not needs_recount(0, 50, 0, 0)


def test_approval_is_all_or_nothing_when_a_balance_would_go_below_zero(sup, hk, demo_server):
    a, b = make_item(sup, "ST-Z1"), make_item(sup, "ST-Z2")
    move(hk, a, "Store Z", "in", 2)
    move(hk, b, "Store Z", "in", 2)
    sheet = hk.post(ST, json={"location": "Store Z"}).json()
    counted = hk.put(f"{ST}/{sheet['id']}/counts", json={"version": sheet["version"], "lines": [
        {"item_id": a, "counted": 3}, {"item_id": b, "counted": 0}]}).json()
    submitted = hk.post(f"{ST}/{sheet['id']}/submit", json={"version": counted["version"]}).json()
    assert submitted["status"] == "submitted"
    # A submitted sheet is still open: no stock moves there.
    assert hk.post(f"{BASE}/stock/movements", json={"item_id": b, "location": "Store Z", "kind": "consume",
                                                     "quantity": 2}).status_code == 409

    async def empty_b():  # the balance changed behind the sheet (not through a movement)
        from plugins.hotel.models import StockBalance

        await StockBalance.filter(item_id=b, location="Store Z").update(quantity=0)

    demo_server.call(empty_b)  # 0 left: the count's -2 cannot be taken
    refused = sup.post(f"{ST}/{sheet['id']}/approve", json={"version": submitted["version"]})
    assert refused.status_code == 409
    assert (balance(sup, a, "Store Z"), balance(sup, b, "Store Z")) == (2, 0)  # a's +1 was not posted either
    kept = sup.get(f"{ST}/{sheet['id']}").json()
    assert kept["status"] == "submitted" and kept["version"] == submitted["version"]


def test_another_sites_sheet_is_404_and_cancel(sup, hk, demo_server):
    a = make_item(sup, "ST-C1")
    move(hk, a, "Store C", "in", 1)
    sheet = hk.post(ST, json={"location": "Store C"}).json()
    manager = demo_server.api_client("manager")
    assert manager.get(f"{ST}/{sheet['id']}").status_code == 200
    other = "/api/v1/sites/harbour/hotel/stocktakes"
    assert manager.get(f"{other}/{sheet['id']}").status_code == 404
    assert manager.post(f"{other}/{sheet['id']}/cancel", json={"version": sheet["version"]}).status_code == 404
    assert hk.post(f"{ST}/{sheet['id']}/cancel", json={"version": sheet["version"]}).status_code == 403
    cancelled = sup.post(f"{ST}/{sheet['id']}/cancel", json={"version": sheet["version"]})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert sup.post(f"{ST}/{sheet['id']}/cancel", json={"version": cancelled.json()["version"]}).status_code == 409
    assert hk.put(f"{ST}/{sheet['id']}/counts", json={"version": cancelled.json()["version"],
                                                        "lines": [{"item_id": a, "counted": 1}]}).status_code == 409
    assert balance(hk, a, "Store C") == 1
    assert hk.post(ST, json={"location": "Store C"}).status_code == 201


def test_pages_open_count_submit_approve_and_report(demo_server, sup):
    a = make_item(sup, "ST-P1", "Bath towel")
    move(sup, a, "Store P", "in", 6)
    counter = demo_server.sign_in("housekeeper")
    listing = counter.get("/sites/lotus/hotel/stocktakes")
    assert listing.status_code == 200 and "Store P" in listing.text
    assert "/sites/lotus/hotel/stocktakes" in counter.get("/sites/lotus/hotel/stock").text  # in the menu
    blank = counter.form_post("/sites/lotus/hotel/stocktakes", {"location": ""})
    assert blank.status_code == 422
    opened = counter.form_post("/sites/lotus/hotel/stocktakes", {"location": "Store P"})
    assert opened.status_code == 303, opened.text
    url = opened.headers["location"]
    page = counter.get(url)
    assert page.status_code == 200 and f'name="count-{a}"' in page.text and "Bath towel" in page.text
    sheet_id = int(url.rstrip("/").rsplit("/", 1)[1])
    version = sup.get(f"{ST}/{sheet_id}").json()["version"]
    negative = counter.form_post(url, {"version": str(version), "action": "save", f"count-{a}": "-2"})
    assert negative.status_code == 422 and 'aria-invalid="true"' in negative.text
    assert sup.get(f"{ST}/{sheet_id}").json()["lines"][0]["counted"] is None
    words = counter.form_post(url, {"version": str(version), "action": "save", f"count-{a}": "six"})
    assert words.status_code == 422
    done = counter.form_post(url, {"version": str(version), "action": "submit", f"count-{a}": "5"})
    assert done.status_code == 303, done.text
    sheet = sup.get(f"{ST}/{sheet_id}").json()
    assert sheet["status"] == "submitted" and sheet["lines"][0]["variance"] == -1
    refused = counter.form_post(url, {"version": str(sheet["version"]), "action": "approve"})
    assert refused.status_code == 403
    boss = demo_server.sign_in("hotelsup")
    approved = boss.form_post(url, {"version": str(sheet["version"]), "action": "approve"})
    assert approved.status_code == 303, approved.text
    assert balance(sup, a, "Store P") == 5
    report = boss.get(f"{url}/report")
    assert report.status_code == 200 and "Bath towel" in report.text and "-1" in report.text
    assert "format=xlsx" in report.text


def test_count_sheet_page_is_blind_and_recount_shows_only_flagged_lines(demo_server, sup):
    a, b = make_item(sup, "ST-Q1", "Hand towel"), make_item(sup, "ST-Q2", "Face towel")
    move(sup, a, "Store Q", "in", 6)
    move(sup, b, "Store Q", "in", 30)
    first = demo_server.sign_in("housekeeper")
    url = first.form_post("/sites/lotus/hotel/stocktakes", {"location": "Store Q"}).headers["location"]
    page = first.get(url).text
    assert "Expected 6" not in page and "Expected 30" not in page  # counters count blind
    assert "Expected 6" in demo_server.sign_in("hotelsup").get(url).text
    sheet_id = int(url.rstrip("/").rsplit("/", 1)[1])
    version = sup.get(f"{ST}/{sheet_id}").json()["version"]
    sent = first.form_post(url, {"version": str(version), "action": "submit", f"count-{a}": "0", f"count-{b}": "30"})
    assert sent.status_code == 303, sent.text
    sheet = sup.get(f"{ST}/{sheet_id}").json()
    assert sheet["status"] == "recount"
    same = first.form_post(url, {"version": str(sheet["version"]), "action": "save", f"count-{a}": "6"})
    assert same.status_code == 403
    second = demo_server.sign_in("housekeeper2")
    page = second.get(url).text
    assert f'name="count-{a}"' in page and f'name="count-{b}"' not in page
    done = second.form_post(url, {"version": str(sheet["version"]), "action": "submit", f"count-{a}": "5"})
    assert done.status_code == 303, done.text
    lines = {line["item_id"]: line for line in sup.get(f"{ST}/{sheet_id}").json()["lines"]}
    assert (lines[a]["counted"], lines[a]["second_count"], lines[a]["variance"]) == (0, 5, -1)


def test_who_counted_a_sheet_does_not_approve_it(sup, hk, demo_server):
    a = make_item(sup, "ST-K1")
    move(sup, a, "Store K", "in", 4)
    sheet = sup.post(ST, json={"location": "Store K"}).json()
    counted = sup.put(f"{ST}/{sheet['id']}/counts", json={"version": sheet["version"],
                                                            "lines": [{"item_id": a, "counted": 3}]}).json()
    submitted = sup.post(f"{ST}/{sheet['id']}/submit", json={"version": counted["version"]}).json()
    assert submitted["status"] == "submitted"
    own = sup.post(f"{ST}/{sheet['id']}/approve", json={"version": submitted["version"]})
    assert own.status_code == 403 and "did not count" in own.json()["detail"]
    assert balance(sup, a, "Store K") == 4
    other = demo_server.api_client("manager")
    approved = other.post(f"{ST}/{sheet['id']}/approve", json={"version": submitted["version"]})
    assert approved.status_code == 200, approved.text
    assert balance(sup, a, "Store K") == 3


def test_a_location_being_counted_is_hidden_from_blind_counters(sup, hk, hk2, demo_server):
    a = make_item(sup, "ST-H1", "Blind towel")
    move(hk, a, "Store H", "in", 7)
    move(hk, a, "Store H2", "in", 2)
    sheet = hk.post(ST, json={"location": "Store H"}).json()
    # The counter reads no books of what is counted: balances, totals, movements.
    assert balance(hk, a, "Store H") is None and balance(sup, a, "Store H") == 7
    assert [row["location"] for row in hk.get(f"{BASE}/stock/balances", params={"item_id": a}).json()] == ["Store H2"]
    totals = {item["id"]: item["total"] for item in hk.get(f"{BASE}/stock/items").json()}
    assert totals[a] == 2 and {item["id"]: item["total"] for item in sup.get(f"{BASE}/stock/items").json()}[a] == 9
    seen = hk.get(f"{BASE}/stock/movements", params={"item_id": a}).json()["items"]
    assert [m["location"] for m in seen] == ["Store H2"]
    assert len(sup.get(f"{BASE}/stock/movements", params={"item_id": a}).json()["items"]) == 2
    page = demo_server.sign_in("housekeeper").get("/sites/lotus/hotel/stock")
    assert page.status_code == 200 and "Store H2" in page.text and "Store H<" not in page.text
    assert "Store H<" in demo_server.sign_in("hotelsup").get("/sites/lotus/hotel/stock").text
    # A recount is blind to everyone, a supervisor too.
    counted = hk.put(f"{ST}/{sheet['id']}/counts", json={"version": sheet["version"],
                                                           "lines": [{"item_id": a, "counted": 1}]}).json()
    recount = hk.post(f"{ST}/{sheet['id']}/submit", json={"version": counted["version"]}).json()
    assert recount["status"] == "recount"
    line = sup.get(f"{ST}/{sheet['id']}").json()["lines"][0]
    assert line["expected"] is None and line["counted"] is None and line["variance"] is None
    report = sup.get(f"{ST}/{sheet['id']}/report").json()
    assert report["blind"] is True and report["lines"][0]["expected"] is None
    # Once the sheet is done the books show again.
    second = hk2.put(f"{ST}/{sheet['id']}/counts", json={"version": recount["version"],
                                                           "lines": [{"item_id": a, "counted": 7}]}).json()
    done = hk2.post(f"{ST}/{sheet['id']}/submit", json={"version": second["version"]}).json()
    assert sup.post(f"{ST}/{sheet['id']}/approve", json={"version": done["version"]}).status_code == 200
    assert balance(hk, a, "Store H") == 7
