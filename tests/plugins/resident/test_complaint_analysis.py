"""Complaint analysis (issue 17): categories and causes from the site's managed lists on
complaints, the close rule, and the report by category, cause, building and unit with the
hot spots, checked against a plain Python count on the site's local days."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from core.audit.models import AuditEntry
from tests.plugins.resident.conftest import BASE, move, new_case

ANALYSIS = f"{BASE}/complaints/analysis"
LISTS = "/api/v1/sites/harbour/lists"
TAIPEI = ZoneInfo("Asia/Taipei")


def set_created(server, case_id: int, moment: dt.datetime) -> None:
    from plugins.resident.models import Case

    server.call(lambda: Case.filter(id=case_id).update(created_at=moment.astimezone(dt.timezone.utc)))


def deactivate(client, list_name: str, code: str) -> None:
    item = next(i for i in client.get(f"{LISTS}/{list_name}").json()["items"] if i["code"] == code)
    response = client.patch(f"{LISTS}/{list_name}/{code}", json={"active": False, "version": item["version"]})
    assert response.status_code == 200, response.text


# --- codes on complaints ----------------------------------------------------------------


def test_a_complaints_codes_must_be_active_codes_of_the_sites_lists(agent, manager, units):
    case = new_case(agent, units["A-0101"], category="noise", cause="neighbour")
    assert (case["category"], case["cause"]) == ("noise", "neighbour")
    for field, body in (("category", {"category": "loud"}), ("cause", {"cause": "aliens"}),
                        ("category", {"category": "Noise"})):
        refused = agent.post(f"{BASE}/cases", json={"kind": "complaint", "channel": "phone", "unit_id": units["A-0102"],
                                                    "title": "x", **body})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field, refused.text
    # Other kinds keep a free-text category; a complaint may come in before it is classified.
    assert new_case(agent, units["A-0103"], kind="repair", category="plumbing")["category"] == "plumbing"
    blank = new_case(agent, units["A-0104"], category="")
    assert (blank["category"], blank["cause"]) == ("", None)
    # A site's own code is accepted once added.
    assert manager.post(f"{LISTS}/resident.complaint_category", json={"code": "lift", "label": "Lift"}).status_code == 201
    assert new_case(agent, units["B-0102"], category="lift")["category"] == "lift"


def test_a_deactivated_code_in_use_stays_on_its_complaints_but_takes_no_new_ones(demo_server, agent, manager, units):
    old = new_case(agent, units["A-0201"], category="pets")
    deactivate(manager, "resident.complaint_category", "pets")
    assert agent.get(f"{BASE}/cases/{old['id']}").json()["category"] == "pets"
    refused = agent.post(f"{BASE}/cases", json={"kind": "complaint", "channel": "phone", "unit_id": units["A-0202"],
                                                "title": "Dog", "category": "pets"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "category"
    # The report still names it.
    groups = manager.get(ANALYSIS).json()["groups"]
    assert {"key": "pets", "label": "Pets", "count": 1} in groups
    # The case page offers only active codes, but shows the old one.
    page = demo_server.sign_in("supervisor").get(f"/sites/harbour/resident/cases/{old['id']}")
    assert page.status_code == 200 and "Pets" in page.text and 'value="pets"' not in page.text


def test_classify_sets_checked_codes_audited(demo_server, agent, units):
    case = new_case(agent, units["A-0301"])
    url = f"{BASE}/cases/{case['id']}/classify"
    done = agent.post(url, json={"cause": "equipment_failure"})
    assert done.status_code == 200 and (done.json()["category"], done.json()["cause"]) == ("noise", "equipment_failure")
    assert agent.post(url, json={"cause": "nope"}).status_code == 422
    assert agent.post(url, json={"category": "nope"}).json()["errors"][0]["field"] == "category"
    assert agent.post(url, json={}).status_code == 422
    repair = new_case(agent, units["A-0302"], kind="repair", category="door")
    assert agent.post(f"{BASE}/cases/{repair['id']}/classify", json={"cause": "workmanship"}).status_code == 409
    entry = demo_server.call(lambda: AuditEntry.filter(action="resident.case.classify").first())
    assert entry.before == {"category": "noise", "cause": None}
    assert entry.after == {"category": "noise", "cause": "equipment_failure"}


def test_a_complaint_closes_only_with_its_category_and_cause(supervisor, units):
    case = new_case(supervisor, units["A-0401"], category="")
    url = f"{BASE}/cases/{case['id']}"
    assert move(supervisor, case["task_id"], "in_progress").status_code == 200
    assert move(supervisor, case["task_id"], "resolved").status_code == 200
    assert supervisor.post(f"{url}/revisit", json={"method": "phone", "reached": True, "satisfied": True}).status_code == 201
    refused = move(supervisor, case["task_id"], "closed")
    assert refused.status_code == 409 and "resident.complaint.classified_before_close" in refused.json()["detail"]
    supervisor.post(f"{url}/classify", json={"category": "water"})
    assert move(supervisor, case["task_id"], "closed").status_code == 409  # still no cause
    supervisor.post(f"{url}/classify", json={"cause": "workmanship"})
    assert move(supervisor, case["task_id"], "closed").status_code == 200


def test_the_case_page_classifies_a_complaint(demo_server, agent, units):
    case = new_case(agent, units["A-0402"])
    browser = demo_server.sign_in("agent")
    page = browser.get(f"/sites/harbour/resident/cases/{case['id']}")
    assert 'id="classify"' in page.text and 'value="neighbour"' in page.text
    bad = browser.form_post(f"/sites/harbour/resident/cases/{case['id']}/classify", {"category": "noise", "cause": "x"})
    assert bad.status_code == 422 and "not an active code" in bad.text
    saved = browser.form_post(f"/sites/harbour/resident/cases/{case['id']}/classify", {"category": "noise",
                                                                                        "cause": "neighbour"})
    assert saved.status_code == 303
    assert agent.get(f"{BASE}/cases/{case['id']}").json()["cause"] == "neighbour"


# --- the report ---------------------------------------------------------------------------


def test_report_numbers_match_a_plain_python_count(demo_server, agent, manager, units):
    rng = random.Random(17)  # noqa: S311 - a repeatable spread of test data
    codes = list(units)[:12]
    categories = ["noise", "water", "parking", "cleaning", ""]
    causes = ["neighbour", "workmanship", None]
    start, end = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
    made = []
    for number in range(40):
        unit = rng.choice(codes)
        kind = "complaint" if number % 6 else "repair"
        category = rng.choice(categories) if kind == "complaint" else "noise"
        cause = rng.choice(causes) if kind == "complaint" else None
        case = new_case(agent, units[unit], kind=kind, category=category, **({"cause": cause} if cause else {}))
        day = start + dt.timedelta(days=rng.randrange(-3, 35))
        moment = dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)), TAIPEI)
        set_created(demo_server, case["id"], moment)
        made.append({"id": case["id"], "unit": unit, "kind": kind, "category": category, "cause": cause, "day": day})
    # A merged complaint counts in the one it joined only.
    merged = next(c for c in made if c["kind"] == "complaint" and start <= c["day"] <= end)
    into = new_case(agent, units[merged["unit"]], category="other")
    set_created(demo_server, into["id"], dt.datetime.combine(dt.date(2026, 9, 1), dt.time(), TAIPEI))
    assert agent.post(f"{BASE}/cases/{merged['id']}/merge", json={"into_id": into["id"]}).status_code == 200
    counted = [c for c in made if c["kind"] == "complaint" and start <= c["day"] <= end and c is not merged]

    from core.entities.models import Unit

    buildings = dict(demo_server.call(lambda: Unit.filter(code__in=codes).values_list("code", "building")))
    unit_ids = {code: units[code] for code in codes}
    expected = {
        "category": Counter(c["category"] or None for c in counted),
        "cause": Counter(c["cause"] for c in counted),
        "building": Counter(buildings[c["unit"]] or None for c in counted),
        "unit": Counter(str(unit_ids[c["unit"]]) for c in counted),
    }
    for group, counts in expected.items():
        body = manager.get(ANALYSIS, params={"from": start.isoformat(), "to": end.isoformat(), "group": group})
        assert body.status_code == 200, body.text
        data = body.json()
        assert {item["key"]: item["count"] for item in data["groups"]} == dict(counts), group
        assert data["total"] == len(counted)
        assert [item["count"] for item in data["groups"]] == sorted(counts.values(), reverse=True)
    data = manager.get(ANALYSIS, params={"from": start.isoformat(), "to": end.isoformat(), "group": "unit"}).json()
    assert {item["label"] for item in data["groups"]} <= set(codes)
    # Hot spots are of classified complaints only (an unknown category is no known issue recurring).
    pairs = Counter((unit_ids[c["unit"]], c["category"]) for c in counted if c["category"])
    assert {(h["unit_id"], h["category"]): h["count"] for h in data["hotspots"]} == {
        pair: n for pair, n in pairs.items() if n >= 2}
    by_building = Counter((buildings[c["unit"]], c["category"]) for c in counted if c["category"])
    assert {(h["building"], h["category"]): h["count"] for h in data["building_hotspots"]} == {
        pair: n for pair, n in by_building.items() if n >= 2}


def test_the_period_is_the_sites_local_days(demo_server, agent, manager, units):
    day = dt.date(2026, 11, 10)
    inside = [dt.datetime.combine(day, dt.time(0, 0), TAIPEI),  # local midnight starting the day
              dt.datetime.combine(day, dt.time(23, 59, 59), TAIPEI)]
    outside = [dt.datetime.combine(day, dt.time(0, 0), TAIPEI) - dt.timedelta(seconds=1),
               dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), TAIPEI)]
    for moment in inside + outside:
        case = new_case(agent, units["B-0101"], category="security")
        set_created(demo_server, case["id"], moment)
    # 2026-11-10 00:00 in Taipei is 2026-11-09 16:00 UTC: a UTC day would count other cases.
    data = manager.get(ANALYSIS, params={"from": "2026-11-10", "to": "2026-11-10"}).json()
    assert data["total"] == 2 and (data["from"], data["to"]) == ("2026-11-10", "2026-11-10")
    assert manager.get(ANALYSIS, params={"from": "2026-11-09", "to": "2026-11-11"}).json()["total"] == 4


def test_hot_spots_are_the_same_unit_or_building_and_category_twice_or_more(manager, agent, units):
    for unit, category in (("A-0101", "noise"), ("A-0101", "noise"), ("A-0101", "noise"), ("A-0102", "noise"),
                           ("A-0102", "water"), ("A-0102", "water"), ("A-0103", "parking"), ("A-0103", ""),
                           ("A-0103", "")):
        new_case(agent, units[unit], category=category)
    data = manager.get(ANALYSIS).json()
    assert [(h["unit_code"], h["category"], h["category_label"], h["count"]) for h in data["hotspots"]] == [
        ("A-0101", "noise", "Noise", 3), ("A-0102", "water", "Water leak", 2)]
    building = data["hotspots"][0]["building"]
    assert [(h["building"], h["category"], h["count"]) for h in data["building_hotspots"]] == [
        (building, "noise", 4), (building, "water", 2)]
    chinese = manager.get(ANALYSIS, headers={"Accept-Language": "zh-Hant"}).json()
    assert chinese["hotspots"][0]["count"] == 3


def test_exports_hold_the_same_numbers(manager, agent, units):
    for category in ("noise", "noise", "fees"):
        new_case(agent, units["A-0501"], category=category)
    text = manager.get(ANALYSIS, params={"format": "csv"})
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/csv")
    assert "attachment" in text.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(text.text)))
    assert ["Noise", "noise", "2"] in rows and ["Fees and charges", "fees", "1"] in rows and ["Total", "", "3"] in rows
    assert any(row[:1] == ["A-0501"] and row[-1] == "2" for row in rows)
    book = manager.get(ANALYSIS, params={"format": "xlsx", "group": "cause"})
    assert book.status_code == 200

    from openpyxl import load_workbook

    sheets = load_workbook(io.BytesIO(book.content)).worksheets
    values = [list(row) for row in sheets[0].iter_rows(values_only=True)]
    assert values[0] == ["Cause", "Code", "Complaints"] and ["Not given", None, 3] in values
    hotspots = [list(row) for row in sheets[1].iter_rows(values_only=True)]
    assert hotspots[1][0] == "A-0501" and hotspots[1][-1] == 2


@pytest.mark.parametrize(("params", "field"), [({"group": "colour"}, "group"), ({"from": "2026-13-01"}, "from"),
                                               ({"from": "2026-11-10", "to": "2026-11-01"}, "to"),
                                               ({"from": "2024-01-01", "to": "2026-01-01"}, "from")])
def test_bad_filters_are_422_naming_the_field(manager, params, field):
    refused = manager.get(ANALYSIS, params=params)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field, refused.text


def test_the_page_shows_the_tables_filters_and_export_links(demo_server, agent, units):
    new_case(agent, units["A-0601"], category="noise")
    new_case(agent, units["A-0601"], category="noise")
    browser = demo_server.sign_in("supervisor")
    page = browser.get("/sites/harbour/resident/complaints/analysis?group=category")
    assert page.status_code == 200
    assert 'id="groups"' in page.text and 'id="hotspots"' in page.text and "A-0601" in page.text
    assert "format=csv" in page.text and "format=xlsx" in page.text
    assert 'href="/sites/harbour/resident/complaints/analysis"' in browser.get("/sites/harbour/resident/").text
    bad = browser.get("/sites/harbour/resident/complaints/analysis?from=yesterday")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
    assert demo_server.sign_in("agent").get("/sites/harbour/resident/complaints/analysis").status_code == 403
    assert demo_server.api_client("supervisor").get(ANALYSIS.replace("harbour", "lotus")).status_code == 404


def test_classify_page_and_api_leave_the_same_footprint(parity):
    def prepare(server) -> dict:
        from core.entities.models import Site, Unit

        async def unit_id():
            site = await Site.get(code="harbour")
            return (await Unit.get(site_id=site.id, code="A-0101")).id

        return new_case(server.api_client("agent"), server.call(unit_id))

    footprint = parity.check(
        "agent", prepare=prepare,
        api=lambda case: ("POST", f"{BASE}/cases/{case['id']}/classify", {"category": "water", "cause": "workmanship"}),
        page=lambda case: (f"/sites/harbour/resident/cases/{case['id']}/classify",
                           {"category": "water", "cause": "workmanship"}))
    assert "resident.case.classify" in footprint.audit
