"""``/api/openapi.json``: OpenAPI 3.1 built from the declared JSON routes.

Schemas come from the same Pydantic models that validate requests (JSON Schema 2020-12,
which OpenAPI 3.1 adopts as is), so the document cannot drift from the behaviour.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

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


def _response_schema(annotation: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    adapter = TypeAdapter(annotation)
    schema = adapter.json_schema(ref_template=REF_TEMPLATE, mode="serialization")
    schemas.update(schema.pop("$defs", {}))
    return schema


def build_openapi(operations: list[ApiOperation], title: str = "Frontdesk") -> dict[str, Any]:
    models: set[type[BaseModel]] = set()
    for operation in operations:
        if operation.body is not None:
            models.add(operation.body)
        if operation.query is not None:
            models.add(operation.query)
    keyed = [(model, "validation") for model in sorted(models, key=lambda m: m.__name__)]
    _, defs = models_json_schema(keyed, ref_template=REF_TEMPLATE)
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas["Problem"] = PROBLEM_SCHEMA

    paths: dict[str, dict[str, Any]] = {}
    for operation in sorted(operations, key=lambda op: (op.path, op.method)):
        path = PARAM.sub(r"{\1}", operation.path)
        parameters: list[dict[str, Any]] = [
            {"name": name, "in": "path", "required": True,
             "schema": {"type": "integer"} if name.endswith("id") else {"type": "string"}}
            for name in PARAM.findall(operation.path)
        ]
        if operation.query is not None:
            query_schema = operation.query.model_json_schema(ref_template=REF_TEMPLATE)
            schemas.update(query_schema.pop("$defs", {}))
            required = set(query_schema.get("required", []))
            for name, prop in query_schema.get("properties", {}).items():
                parameters.append({"name": name, "in": "query", "required": name in required, "schema": prop})
        for header, required in operation.headers.items():
            parameters.append({"name": header, "in": "header", "required": required,
                               "schema": {"type": "string", "minLength": 1, "maxLength": 200}})

        success: dict[str, Any] = {"description": "Success"}
        if operation.status_code != 204:
            schema = _response_schema(operation.response, schemas) if operation.response is not None else {}
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
                "content": {"application/json": {"schema": {"$ref": REF_TEMPLATE.format(model=operation.body.__name__)}}},
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
