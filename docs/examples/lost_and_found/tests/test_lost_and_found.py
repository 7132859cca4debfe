"""Lost and found: its API and page, through Frontdesk's test kit."""


def test_api_creates_and_lists_entries(demo_server):
    client = demo_server.api_client("agent")
    created = client.post("/api/v1/sites/harbour/lost_and_found/entries", json={"title": "First entry"})
    assert created.status_code == 201
    listed = client.get("/api/v1/sites/harbour/lost_and_found/entries").json()
    assert listed["items"][0]["title"] == "First entry"  # newest first, before the demo's entries


def test_bad_input_names_the_field(demo_server):
    response = demo_server.api_client("agent").post("/api/v1/sites/harbour/lost_and_found/entries", json={"title": ""})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "title"


def test_page_lists_and_adds_entries(demo_server):
    browser = demo_server.sign_in("agent")
    assert browser.form_post("/sites/harbour/lost_and_found/", {"title": "From the page"}).status_code == 303
    assert "From the page" in browser.get("/sites/harbour/lost_and_found/").text


def test_other_sites_do_not_see_it(demo_server):
    assert demo_server.api_client("agent").get("/api/v1/sites/lotus/lost_and_found/entries").status_code == 404
