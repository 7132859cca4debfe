"""/api/openapi.json describes every JSON route from the schemas that validate them."""

from starlette.routing import Route


def test_every_json_route_is_in_the_document_with_its_schemas(client, server):
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"] == "3.1.0"
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    for route in server.app.routes:
        if isinstance(route, Route) and hasattr(route, "operation"):
            path = route.path.replace(":int", "")
            assert (path, route.operation.method) in documented
    create = spec["paths"]["/api/v1/sites/{site}/units"]["post"]
    schema_name = create["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(spec["components"]["schemas"][schema_name]["required"]) == {"code", "kind"}
    assert "422" in create["responses"] and "401" in create["responses"]
    assert create["x-permission"] == "core.unit.edit"


def test_the_document_is_a_valid_openapi_31_schema(client):
    import schemathesis

    schema = schemathesis.openapi.from_dict(client.get("/api/openapi.json").json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10


def test_api_docs_page_uses_bundled_assets_only(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "/static/theme/vendor/swagger-ui/swagger-ui-bundle.js" in page.text
    assert "http://" not in page.text.replace("http://127.0.0.1", "") and "https://" not in page.text
    assert client.get("/static/theme/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
