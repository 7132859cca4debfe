"""Hostile variants of every operation in the OpenAPI document, for the fuzzer's sweep.

Schemathesis draws values its schemas allow, so it seldom sends what an attacker would:
a body nested 1,000 deep, a NUL in a text field or a query parameter, a number beyond
every column. Each variant here changes one place of an otherwise plausible request (the
required fields filled in from their schemas), so that the hostile value, not a missing
field, is what the server has to deal with.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

DEPTH = 1000
NUL_TEXT = "x\u0000y"
HUGE = 2**70


@dataclass
class Variant:
    what: str
    method: str
    path: str
    path_values: dict[str, Any]
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    raw_body: str | None = None

    @property
    def on_path(self) -> bool:
        """A hostile path parameter, refused before access is checked."""
        return "path parameter" in self.what or "site" in self.what

    def url(self) -> str:
        return self.path.format(**self.path_values)


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """Follow a reference, and of ``anyOf`` (a nullable field) take the first non-null kind."""
    for _ in range(20):
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[1]]
        elif "anyOf" in schema or "oneOf" in schema:
            kinds = [kind for kind in schema.get("anyOf", schema.get("oneOf")) if kind.get("type") != "null"]
            schema = kinds[0] if kinds else {}
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        else:
            return schema
    return schema


def _sample(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """A plausible value for ``schema`` (its example, default, first choice or a filler)."""
    schema = _resolve(schema, components)
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return {}
        return {name: _sample(prop, components, depth + 1) for name, prop in schema.get("properties", {}).items()
                if name in schema.get("required", [])}
    if kind == "array":
        return [_sample(schema.get("items", {}), components, depth + 1)] * schema.get("minItems", 0)
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "string":
        if schema.get("format") == "date":
            return "2026-12-01"
        if schema.get("format") == "date-time":
            return "2026-12-01T10:00:00Z"
        return "x" * max(3, schema.get("minLength", 3))
    return "x"


def _kinds(schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    """Every JSON type a field may take (a nullable integer is an integer too)."""
    if "$ref" in schema:
        return _kinds(_resolve(schema, components), components)
    kinds = {schema["type"]} if isinstance(schema.get("type"), str) else set(schema.get("type") or [])
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        kinds |= _kinds(option, components)
    return kinds


def variants(spec: dict[str, Any], method: str, path: str, site: str) -> list[Variant]:
    """The hostile requests for one operation: first 2**70 in each id of the path and a NUL
    in its site, then a deep body, a NUL in each text field and 2**70 in each number field
    of the body, then the same in each query parameter."""
    operation = spec["paths"][path][method.lower()]
    components = spec.get("components", {}).get("schemas", {})
    parameters = operation.get("parameters", [])
    path_values = {p["name"]: site if p["name"] == "site" else 1 for p in parameters if p["in"] == "path"}
    queries = {p["name"]: p["schema"] for p in parameters if p["in"] == "query"}
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    body_schema = _resolve(content["schema"], components) if content else None
    body = _sample(body_schema, components) if body_schema else None

    found = []

    def add(what: str, **changes: Any) -> None:
        found.append(Variant(what, method.upper(), path, {**path_values, **changes.pop("path_values", {})},
                             body=copy.deepcopy(body), **changes))

    for name in path_values:
        add(f"2**70 in path parameter {name}" if name != "site" else "NUL in the site",
            path_values={name: HUGE} if name != "site" else {name: "har%00bour"})
    if body_schema is not None:
        add("a body nested 1,000 deep", raw_body="[" * DEPTH + "]" * DEPTH)
        add("a field nested 1,000 deep", raw_body='{"a":' * DEPTH + "1" + "}" * DEPTH)
        for name, prop in body_schema.get("properties", {}).items():
            kinds = _kinds(prop, components)
            if "string" in kinds:
                found.append(Variant(f"NUL in body field {name}", method.upper(), path, dict(path_values),
                                     body={**body, name: NUL_TEXT}))
            if "integer" in kinds or "number" in kinds:
                found.append(Variant(f"2**70 in body field {name}", method.upper(), path, dict(path_values),
                                     body={**body, name: HUGE}))
    for name, schema in queries.items():
        kinds = _kinds(schema, components)
        if "string" in kinds or not kinds:
            add(f"NUL in query parameter {name}", query={name: NUL_TEXT})
        if "integer" in kinds or "number" in kinds:
            add(f"2**70 in query parameter {name}", query={name: str(HUGE)})
    return found
