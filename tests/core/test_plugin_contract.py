"""A plugin that is not built in adds a model with a migration, a page, an API route and a
menu item, with no change to core (replacing one of core's templates is refused:
tests/core/test_plugin_check.py)."""

import tests.core.parking_plugin as parking


def test_plugin_model_migration_route_and_menu(make_app):
    server = make_app(extra_plugins=[parking])
    client = server.client()

    created = client.post("/api/v1/parking/permits", json={"plate": "ABC-1234"})
    assert created.status_code == 201, created.text
    assert created.json()["plate"] == "ABC-1234"

    page = client.get("/parking/")
    assert page.status_code == 200
    assert '<li class="permit">ABC-1234</li>' in page.text

    home = client.get("/")
    assert '<a href="/parking/">Parking</a>' in home.text  # the menu entry

    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/parking/permits" in spec["paths"]


def test_the_plugin_is_registered_for_one_test_only(server):
    assert "parking" not in server.app.state.host.names
    assert server.client().get("/parking/").status_code == 404
