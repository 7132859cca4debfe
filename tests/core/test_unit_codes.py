"""Unit codes in any case (issue 22): a typed "a-0101" finds A-0101 on every form, the
suggestions endpoint offers the codes that start with what was typed, and the lookup reads
an index, not the whole table."""

from tortoise import connections

from core.testing.databases import BACKEND

BASE = "/api/v1/sites/harbour"


def test_suggestions_start_with_the_typed_text_in_any_case(demo_server):
    agent = demo_server.api_client("agent")
    found = agent.get(f"{BASE}/units/suggestions", params={"q": "a-01"})
    assert found.status_code == 200, found.text
    codes = [item["code"] for item in found.json()["items"]]
    assert codes and "A-0101" in codes and all(code.upper().startswith("A-01") for code in codes)
    assert codes == sorted(codes) and len(codes) <= 10
    assert agent.get(f"{BASE}/units/suggestions", params={"q": ""}).json() == {"items": []}
    assert agent.get(f"{BASE}/units/suggestions", params={"q": "zz-nothing"}).json() == {"items": []}
    too_long = agent.get(f"{BASE}/units/suggestions", params={"q": "x" * 41})
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "q"
    # another site's units are never suggested
    assert demo_server.api_client("agent").get("/api/v1/sites/harbour/units/suggestions?q=%25").json()["items"] == []


def test_forms_take_a_unit_code_in_any_case_and_carry_the_suggestion_list(demo_server):
    browser = demo_server.sign_in("agent")
    desk = browser.get("/sites/harbour/resident/").text
    assert 'list="unit_code-units" data-unit-suggest="/api/v1/sites/harbour/units/suggestions"' in desk
    assert '<datalist id="unit_code-units"></datalist>' in desk and "/static/theme/js/unit-suggest.js" in desk
    made = browser.form_post("/sites/harbour/resident/cases", {"unit_code": " a-0101 ", "kind": "repair",
                                                                "channel": "phone", "title": "Lower case unit"})
    assert made.status_code == 303, made.text
    page = browser.get(made.headers["location"]).text
    assert "Lower case unit" in page and "A-0101" in page
    missing = browser.form_post("/sites/harbour/resident/cases", {"unit_code": "a-9999", "kind": "repair",
                                                                   "channel": "phone", "title": "x"})
    assert missing.status_code == 422 and "No unit with this code here." in missing.text
    supervisor = demo_server.sign_in("supervisor")
    form = supervisor.get("/sites/harbour/tasks/new").text
    assert 'data-unit-suggest="/api/v1/sites/harbour/units/suggestions"' in form


def test_the_any_case_lookup_reads_the_index(demo_server):
    """The query ``unit_by_code`` runs (every column, like the ORM) is answered from the
    expression index; PostgreSQL is told to avoid a scan, as it would on a big table."""
    from core.entities.units import unit_by_code

    async def plan():
        db = connections.get("default")
        if BACKEND == "postgres":
            names = await db.execute_query_dict("SELECT indexname FROM pg_indexes WHERE tablename = 'core_unit'")
            await db.execute_script("SET enable_seqscan = off")
            rows = await db.execute_query_dict(
                "EXPLAIN SELECT * FROM core_unit WHERE site_id = 1 AND UPPER(code) = 'A-0101'")
            await db.execute_script("SET enable_seqscan = on")
            return [n["indexname"] for n in names], " ".join(str(row["QUERY PLAN"]) for row in rows)
        rows = await db.execute_query_dict(
            "EXPLAIN QUERY PLAN SELECT * FROM core_unit WHERE site_id = 1 AND UPPER(code) = 'A-0101'")
        return ["core_unit_site_code_upper"], " ".join(str(row["detail"]) for row in rows)

    names, text = demo_server.call(plan)
    assert "core_unit_site_code_upper" in names and "core_unit_site_code_upper" in text, text
    found = demo_server.call(lambda: unit_by_code(1, "a-0101"))
    assert found is not None and found.code == "A-0101"
