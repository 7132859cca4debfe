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


def _refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(spec, ref):
    assert ref.startswith("#/"), f"{ref}: only references inside the document are expected"
    node = spec
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def test_every_reference_resolves_with_every_plugin_loaded(demo_server):
    """Two plugins may each have a model of the same name (VersionIn, HandoverIn): both
    must be in components/schemas under names the references use."""
    spec = demo_server.client().get("/api/openapi.json").json()
    seen, pending = set(), list(_refs(spec))
    assert pending
    while pending:
        ref = pending.pop()
        if ref not in seen:
            seen.add(ref)
            pending.extend(_refs(_resolve(spec, ref)))
    bodies = [operation["requestBody"]["content"]["application/json"]["schema"]
              for item in spec["paths"].values() for operation in item.values() if "requestBody" in operation]
    assert len(bodies) > 30 and all("$ref" in body for body in bodies)


#: JSON routes whose answer is not described by a model, and why.
UNMODELLED = {
    ("GET", "/api/openapi.json"): "the OpenAPI document itself: its schema is the OpenAPI 3.1 meta-schema",
}
#: Spots of a typed response that hold free-form JSON, and why.
FREE_FORM = {
    "GET /api/v1/audit: .items[].before": "a snapshot of whatever object the entry is about",
    "GET /api/v1/audit: .items[].after": "a snapshot of whatever object the entry is about",
    **{f"{method} /api/v1/sites/{{site}}/settings: .groups[].{spot}": "a setting of any type; its group's json_schema "
       "says which" for method in ("GET", "PATCH") for spot in ("settings[].value", "settings[].default", "json_schema")},
}
#: Models that describe their keys and also echo keys the client sent (still checked key by key).
OPEN_MODELS: dict[str, str] = {}
METADATA = {"title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"}


def loose_spots(schema, spec, where="", seen=None):
    """Where ``schema`` accepts anything: Any, an untyped dict or list, an open object."""
    seen = set() if seen is None else seen
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return []
        seen.add(schema["$ref"])
        target = _resolve(spec, schema["$ref"])
        if schema["$ref"].rsplit("/", 1)[1] in OPEN_MODELS:
            target = {**target, "additionalProperties": False}
        return loose_spots(target, spec, where, seen)
    if not set(schema) - METADATA:
        return [where or "(the response)"]
    spots = []
    if schema.get("additionalProperties") is True or (
            schema.get("type") == "object" and "properties" not in schema and "additionalProperties" not in schema):
        spots.append(f"{where}: an object with any keys")
    if schema.get("type") == "array" and "items" not in schema and "prefixItems" not in schema:
        spots.append(f"{where}: an array of anything")
    for name, sub in schema.get("properties", {}).items():
        spots += loose_spots(sub, spec, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            spots += loose_spots(schema[key], spec, f"{where}[]", seen)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for sub in schema.get(key, []):
            spots += loose_spots(sub, spec, where, seen)
    return spots


def test_every_json_route_declares_a_typed_response(demo_server):
    """Every route with every plugin loaded: a model (or a list of one) for JSON, a
    declared media type for streams and files; never dict, Any or nothing."""
    spec = demo_server.client().get("/api/openapi.json").json()
    untyped = []
    for route in demo_server.app.routes:
        operation = getattr(route, "operation", None)
        if not isinstance(route, Route) or operation is None or operation.status_code == 204:
            continue
        name = f"{operation.method} {operation.path}"
        if (operation.method, operation.path) in UNMODELLED:
            continue
        if operation.response is None:
            untyped.append(f"{name}: no response declared")
            continue
        if operation.media_type != "application/json":
            if operation.response not in (str, bytes):
                untyped.append(f"{name}: a {operation.media_type} answer must be declared as str or bytes")
            continue
        documented = spec["paths"][route.path.replace(":int", "")][operation.method.lower()]
        schema = documented["responses"][str(operation.status_code)]["content"]["application/json"]["schema"]
        untyped += [f"{name}: {spot}" for spot in loose_spots(schema, spec) if f"{name}: {spot.split(':')[0]}" not in FREE_FORM]
    assert untyped == [], "\n".join(untyped)


def test_the_typed_response_check_finds_loose_schemas():
    """The check above, on shapes it must refuse and accept."""
    from typing import Any

    from pydantic import BaseModel, TypeAdapter

    class Loose(BaseModel):
        id: int
        extra: dict[str, Any]
        anything: Any
        rows: list

    class Tight(BaseModel):
        id: int
        counts: dict[str, int]
        tags: list[str]
        note: str | None = None

    def spots(annotation):
        schema = TypeAdapter(annotation).json_schema(ref_template="#/$defs/{model}", mode="serialization")
        return loose_spots(schema, schema)

    assert spots(Loose) == [".extra: an object with any keys", ".anything", ".rows[]"]
    assert spots(dict) == [": an object with any keys"]
    assert spots(Any) == ["(the response)"]
    assert spots(Tight) == [] and spots(list[Tight]) == []


def test_under_tests_a_response_that_differs_from_its_declared_model_fails():
    """Production trims a handler's dict to the declared model; the test kit turns that
    into a failure, so a declaration that does not match the handler cannot pass."""
    import pytest
    from pydantic import BaseModel

    from core.permissions import PUBLIC
    from core.web import api

    class Out(BaseModel):
        id: int
        amount: str

    async def endpoint(request):
        raise NotImplementedError

    operation = api.ApiOperation(method="GET", path="/x", endpoint=endpoint, permission=PUBLIC, response=Out)
    assert api.STRICT_RESPONSES
    assert api.render_json({"id": 1, "amount": "1.50"}, operation).body == b'{"id":1,"amount":"1.50"}'
    with pytest.raises(api.UndeclaredResponse, match="GET /x"):
        api.render_json({"id": 1, "amount": "1.50", "secret": "x"}, operation)  # a key the model drops
    with pytest.raises(api.UndeclaredResponse):
        api.render_json({"id": "1", "amount": "1.50"}, operation)  # a value it converts
    api.STRICT_RESPONSES = False
    try:
        assert api.render_json({"id": 1, "amount": "1.50", "secret": "x"}, operation).body == b'{"id":1,"amount":"1.50"}'
    finally:
        api.STRICT_RESPONSES = True
