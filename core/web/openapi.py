"""``/api/openapi.json``: OpenAPI 3.1 built from the declared JSON routes.

Schemas come from the same Pydantic models that validate requests (JSON Schema 2020-12,
which OpenAPI 3.1 adopts as is), so the document cannot drift from the behaviour.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import TypeAdapter

from core import __version__
from core.permissions import PUBLIC
from core.web.api import ApiOperation

PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-z]+)?}")
REF_TEMPLATE = "#/components/schemas/{model}"

PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

ERROR_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Not authenticated",
    403: "Not permitted",
    404: "Not found (or not your site)",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid field",
    429: "Too many requests",
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _collect_schemas(operations: list[ApiOperation]) -> tuple[dict[tuple[Any, str], Any], dict[str, Any]]:
    """Every body, query and response schema, generated in ONE pass.

    Models are named in ``components/schemas`` by class name, but two plugins may each have
    a ``VersionIn``: generated apart, one definition overwrote the other, and a reference
    written by hand as ``#/components/schemas/<class name>`` pointed at a name Pydantic had
    qualified to keep them apart, so it dangled. One pass names every model once, and each
    operation uses the reference that pass gave its model.
    """
    inputs: list[tuple[tuple[int, str], Any, TypeAdapter]] = []
    for index, operation in enumerate(operations):
        if operation.body is not None:
            inputs.append(((index, "body"), "validation", TypeAdapter(operation.body)))
        if operation.query is not None:
            inputs.append(((index, "query"), "validation", TypeAdapter(operation.query)))
        if operation.response is not None and operation.status_code != 204:
            inputs.append(((index, "response"), "serialization", operation.response_adapter))
    keyed, definitions = TypeAdapter.json_schemas(inputs, ref_template=REF_TEMPLATE)
    return {key: schema for (key, _mode), schema in keyed.items()}, dict(definitions.get("$defs", {}))


def _resolved(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """A schema that is only a local reference, replaced by what it refers to."""
    ref = schema.get("$ref", "")
    if ref.startswith(REF_TEMPLATE.format(model="")):
        return schemas[ref.rsplit("/", 1)[1]]
    return schema


def build_openapi(operations: list[ApiOperation], title: str = "Frontdesk") -> dict[str, Any]:
    operations = sorted(operations, key=lambda op: (op.path, op.method))
    generated, schemas = _collect_schemas(operations)
    schemas["Problem"] = PROBLEM_SCHEMA

    paths: dict[str, dict[str, Any]] = {}
    for index, operation in enumerate(operations):
        path = PARAM.sub(r"{\1}", operation.path)
        parameters: list[dict[str, Any]] = [
            {"name": name, "in": "path", "required": True,
             "schema": {"type": "integer"} if name.endswith("id") else {"type": "string"}}
            for name in PARAM.findall(operation.path)
        ]
        if operation.query is not None:
            query_schema = _resolved(generated[(index, "query")], schemas)
            required = set(query_schema.get("required", []))
            for name, prop in query_schema.get("properties", {}).items():
                parameters.append({"name": name, "in": "query", "required": name in required, "schema": prop})
        for header, required in operation.headers.items():
            parameters.append({"name": header, "in": "header", "required": required,
                               "schema": {"type": "string", "minLength": 1, "maxLength": 200}})

        success: dict[str, Any] = {"description": "Success"}
        if operation.status_code != 204:
            schema = generated.get((index, "response"), {})
            success["content"] = {operation.media_type: {"schema": schema}}
            for download in operation.downloads:
                success["content"][download] = {"schema": {"type": "string", "format": "binary"}}
        responses: dict[str, Any] = {str(operation.status_code): success}
        errors = {400, 422} if (operation.body or operation.query) else set()
        if operation.body is not None:
            errors |= {413, 415}
        if operation.method == "POST":
            errors |= {400, 409}  # a malformed or reused Idempotency-Key
        if operation.body is not None and "version" in operation.body.model_fields:
            errors.add(409)  # a stale version
        if operation.permission != PUBLIC:
            errors |= {401, 403}
        if "{" in operation.path:
            errors.add(404)
        errors |= set(operation.responses)
        for status in sorted(errors):
            responses[str(status)] = _problem(operation.responses.get(status, ERROR_DESCRIPTIONS.get(status, "Error")))

        entry: dict[str, Any] = {
            "operationId": f"{operation.method.lower()}_{operation.endpoint.__module__}.{operation.endpoint.__name__}",
            "summary": operation.summary,
            "tags": operation.tags,
            "parameters": parameters,
            "responses": responses,
            "x-permission": operation.permission,
        }
        if operation.permission != PUBLIC:
            entry["security"] = [{"bearer": []}, {"session": []}]
        if operation.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": generated[(index, "body")]}},
            }
        paths.setdefault(path, {})[operation.method.lower()] = entry

    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": __version__,
                 "description": "Frontdesk JSON API. Errors are application/problem+json."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "frontdesk_session"},
            },
        },
    }
