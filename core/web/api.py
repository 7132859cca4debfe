"""JSON routes: declared with their schemas and permission, validated, documented.

Pydantic validates requests and produces the JSON Schemas; this module only ties a route
to its models so that the same declaration validates the request, checks access and
appears in ``/api/openapi.json``. (No maintained library does that for Starlette 1.x with
problem+json errors; spectree comes closest but imposes its own error format.)

Every POST made by a signed-in caller honours ``Idempotency-Key`` (``core.web.idempotency``);
``idempotency_required=True`` makes the header mandatory (cashier money posts).

An endpoint receives the validated ``body`` and ``query`` models as keyword arguments::

    async def create_unit(request, body: UnitIn) -> UnitOut: ...

    api_route("/api/v1/sites/{site}/units", create_unit, method="POST",
              permission="core.unit.edit", body=UnitIn, response=UnitOut, status_code=201)
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.i18n import gettext as _
from core.problems import Problem
from core.validation import api_message
from core.web.inputs import control_character_errors, quiet_out_of_range, refuse_unnameable_path

#: A request body larger than this is refused with 413 before it is parsed.
MAX_BODY_BYTES = 1_000_000
#: JSON nested deeper than this is refused with 400 before it is parsed: Python's parser
#: recurses (a 1,000-deep array raised RecursionError, a 500), and so does every later walk
#: over the value (control characters, pydantic, the audit log). No schema nests past ten.
MAX_JSON_DEPTH = 400

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"


@dataclass
class ApiOperation:
    """What a JSON route declares; read by the OpenAPI builder and the route meta-test."""

    method: str
    path: str
    endpoint: Callable[..., Awaitable[Any]]
    permission: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    status_code: int = 200
    summary: str = ""
    tags: list[str] = field(default_factory=list)
    #: Extra response statuses this operation documents (besides the usual errors).
    responses: dict[int, str] = field(default_factory=dict)
    #: Headers the operation reads, documented as parameters: {"Idempotency-Key": True}
    headers: dict[str, bool] = field(default_factory=dict)
    #: Media type of a non-JSON success response (e.g. text/event-stream).
    media_type: str = "application/json"
    #: Other media types the same URL can answer with (a ?format=csv|xlsx export).
    downloads: tuple[str, ...] = ()

    @property
    def response_adapter(self) -> TypeAdapter:
        adapter = self.__dict__.get("_response_adapter")
        if adapter is None:
            adapter = self.__dict__["_response_adapter"] = TypeAdapter(self.response)
        return adapter


def validation_errors(error: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    """Pydantic's errors as ``[{"field", "message"}]`` with dotted field paths."""
    errors = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"] if part != "__root__")
        errors.append({"field": f"{prefix}{location}" if location else prefix.rstrip(".") or "body",
                       "message": api_message(item)})
    return errors


def _invalid(errors: list[dict[str, str]]) -> Problem:
    fields = ", ".join(error["field"] for error in errors)
    return Problem(422, _("Invalid fields: %(fields)s", fields=fields), errors=errors)


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, refused with 413 past ``limit`` bytes (before reading it all)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Problem(413, _("The request body is larger than %(limit)s bytes.", limit=limit))
    chunks, size = [], 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise Problem(413, _("The request body is larger than %(limit)s bytes.", limit=limit))
    return b"".join(chunks)


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest, without parsing it (so without
    recursion): strings are cut out, then the brackets counted, in C-speed passes."""
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(itertools.accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0)


def parse_json_body(request: Request, raw: bytes) -> Any:
    """The parsed JSON body; 415 if not JSON, 400 if empty, malformed or nested deeper
    than MAX_JSON_DEPTH."""
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if content_type not in ("application/json", "") and not content_type.endswith("+json"):
        raise Problem(415, _("Send the body as application/json."))
    if not raw.strip():
        raise Problem(400, _("The request body is empty; a JSON object is expected."))
    try:
        # Decoded as json.loads decodes bytes (UTF-8, or UTF-16/32 by their first bytes),
        # so that the depth is counted on the very text that is parsed.
        text = raw.decode(json.detect_encoding(raw), "surrogatepass")
        if json_depth(text) > MAX_JSON_DEPTH:
            raise Problem(400, _("The request body nests deeper than %(limit)s levels.", limit=MAX_JSON_DEPTH))
        payload = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise Problem(400, _("The request body is not valid JSON: %(error)s", error=str(error))) from None
    try:
        # JSON may escape lone surrogates ("\ud800"), which no database can store as text.
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise Problem(400, _("The request body contains text that is not valid Unicode.")) from None
    return payload


def parse_query(request: Request, model: type[BaseModel]) -> BaseModel:
    params: dict[str, Any] = {}
    for key in request.query_params:
        values = request.query_params.getlist(key)
        params[key] = values if len(values) > 1 else values[0]
    if errors := control_character_errors(params):
        raise _invalid(errors)
    try:
        return model.model_validate(params)
    except ValidationError as error:
        raise _invalid(validation_errors(error)) from None


def parse_body(payload: Any, model: type[BaseModel]) -> BaseModel:
    if not isinstance(payload, dict):
        raise Problem(400, _("The request body must be a JSON object."))
    if errors := control_character_errors(payload):
        raise _invalid(errors)
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        raise _invalid(validation_errors(error)) from None


#: Set by the test kit (``core.testing``): a handler's dict that its declared response model
#: would change (a key the model drops, a value it converts) fails the test instead of going
#: out quietly altered. Keys the model adds with their defaults are its documented answer.
#: Production keeps the validated answer and does not pay for the comparison.
STRICT_RESPONSES = False


class UndeclaredResponse(AssertionError):
    """A handler returned something its declared response model does not carry as is."""


def _altered(given: Any, sent: Any, where: str = "") -> str | None:
    """Where ``sent`` (the declared model's JSON) lost or changed part of ``given``."""
    if isinstance(given, dict) and isinstance(sent, dict):
        for key, value in given.items():
            if key not in sent:
                return f"{where}.{key} is dropped"
            if (spot := _altered(value, sent[key], f"{where}.{key}")) is not None:
                return spot
        return None
    if isinstance(given, list) and isinstance(sent, list) and len(given) == len(sent):
        for index, (value, out) in enumerate(zip(given, sent, strict=True)):
            if (spot := _altered(value, out, f"{where}[{index}]")) is not None:
                return spot
        return None
    same = given == sent and type(given) is type(sent)
    return None if same else f"{where or 'the answer'}: {given!r} becomes {sent!r}"


def _same_as_declared(result: Any, content: Any, operation: ApiOperation) -> None:
    from pydantic_core import to_jsonable_python

    if (spot := _altered(to_jsonable_python(result), content)) is not None:
        raise UndeclaredResponse(f"{operation.method} {operation.path}: {spot} by the declared "
                                 f"response {operation.response!r}")


def render_json(result: Any, operation: ApiOperation) -> Response:
    if isinstance(result, Response):
        return result
    if operation.status_code == 204:
        return Response(status_code=204)
    if isinstance(result, BaseModel):
        body = result.__pydantic_serializer__.to_json(result)
    elif operation.response is not None:
        # Plain dicts are validated against the declared response: what the OpenAPI
        # document promises is what goes out. pydantic-core writes the JSON bytes itself
        # (serialised once, in Rust: no intermediate Python structure, no json.dumps).
        adapter = operation.response_adapter
        validated = adapter.validate_python(result)
        if STRICT_RESPONSES:
            _same_as_declared(result, adapter.dump_python(validated, mode="json"), operation)
        body = adapter.dump_json(validated)
    else:
        return JSONResponse(result, status_code=operation.status_code)
    return Response(body, status_code=operation.status_code, media_type="application/json")


def api_route(
    path: str,
    endpoint: Callable[..., Awaitable[Any]],
    *,
    method: str = "GET",
    permission: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: Any = None,
    status_code: int = 200,
    summary: str = "",
    tags: list[str] | None = None,
    responses: dict[int, str] | None = None,
    headers: dict[str, bool] | None = None,
    media_type: str = "application/json",
    name: str | None = None,
    idempotency_required: bool = False,
    downloads: tuple[str, ...] = (),
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Route:
    """A Starlette route that checks access, validates, calls ``endpoint``, renders JSON.

    An endpoint without a JSON ``body`` (a file upload) reads the raw bytes from
    ``request.state.raw_body``, read once here (the idempotency hash needs them too) and
    refused past ``max_body_bytes``."""
    operation = ApiOperation(
        method=method.upper(), path=path, endpoint=endpoint, permission=permission, body=body,
        query=query, response=response, status_code=status_code,
        summary=summary or (endpoint.__doc__ or "").strip().split("\n")[0],
        tags=tags or [], responses=responses or {}, media_type=media_type, downloads=tuple(downloads),
        headers={**({"Idempotency-Key": idempotency_required} if method.upper() == "POST" else {}), **(headers or {})},
    )

    async def run(request: Request, raw_body: bytes) -> Response:
        kwargs: dict[str, Any] = {}
        if query is not None:
            kwargs["query"] = parse_query(request, query)
        if body is not None:
            payload = parse_json_body(request, raw_body)
            request.state.json_body = payload
            kwargs["body"] = parse_body(payload, body)
        with quiet_out_of_range(request):
            result = await endpoint(request, **kwargs)
        return render_json(result, operation)

    async def handle(request: Request) -> Response:
        from core.web import idempotency
        from core.web.access import authorize

        refuse_unnameable_path(request)
        await authorize(request, permission)
        raw_body = await read_body(request, max_body_bytes) if operation.method == "POST" or body is not None else b""
        request.state.raw_body = raw_body
        key = None
        if operation.method == "POST" and getattr(request.state, "user", None) is not None:
            key = idempotency.key_of(request, required=idempotency_required)
        if key is None:
            return await run(request, raw_body)
        claimed = await idempotency.claim(request, key, idempotency.body_hash(raw_body))
        if isinstance(claimed, Response):
            return claimed
        response = None
        try:
            try:
                response = await run(request, raw_body)
            except Problem as problem:
                # A refused request is an answer too: the repeat gets the same refusal.
                from core.web.problems import problem_response

                response = problem_response(problem)
            return response
        finally:
            await idempotency.settle(claimed, response)

    route = Route(path, handle, methods=[operation.method], name=name or f"{endpoint.__module__}.{endpoint.__name__}")
    route.operation = operation  # type: ignore[attr-defined]
    route.permission = permission  # type: ignore[attr-defined]
    return route
