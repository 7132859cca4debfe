"""API fuzzing with schemathesis against /api/openapi.json, for each demo role and for an
unauthenticated caller: no 5xx, and every response matches the documented schema,
status codes and content types.

`make test` runs a bounded number of examples per operation (FRONTDESK_FUZZ_EXAMPLES,
default 8); `make fuzz` runs many more.

A second sweep sends what schemathesis seldom draws (``tests/fuzz/hostile.py``): bodies
nested 1,000 deep, NUL in every text field and query parameter and in the site, 2**70 in
every number field, query and path parameter, as every role; none may give a 5xx.
"""

import logging
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

EXAMPLES = int(os.environ.get("FRONTDESK_FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = [None, "admin", "manager", "supervisor", "agent", "frontdesk", "housekeeper", "cashier", "caller"]
# Operations the fuzzer must not drive: the endless event stream, and revoking the very
# token the fuzzer is using (covered by tests/core/identity).
SKIPPED = {("GET", "/api/v1/sites/{site}/events"), ("DELETE", "/api/v1/auth/token")}
HOME_SITE = {"admin": "harbour", "manager": "lotus", "supervisor": "harbour", "agent": "harbour",
             "frontdesk": "lotus", "housekeeper": "lotus", "cashier": "lotus", "caller": "sunrise"}


# The operations are fuzzed in areas, each in three shards, one test each, so that parallel
# workers share them evenly.
AREAS = ("resident", "hotel", "cashier", "insurance", "core")
SHARDS = 3


def area_of(path):
    parts = path.split("/")
    if path.startswith("/api/v1/sites/{site}/") and len(parts) > 5 and parts[5] in AREAS:
        return parts[5]
    return "core"


def fuzz_operation(operation, callers, base_url):
    """Draw the operation's examples once; send each as every caller. The failures, one a
    caller at most."""
    failures = {}

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def check(case):
        generated_site = (case.path_parameters or {}).get("site")
        for role, headers in callers:
            if role in failures:
                continue
            if generated_site is not None:
                # Reach the handlers, not only the 404 (the anonymous caller keeps the drawn site).
                case.path_parameters["site"] = HOME_SITE.get(role, generated_site)
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as error:  # collect every caller's failure, not only the first
                failures[role] = f"{operation.method.upper()} {operation.path} as {role or 'anonymous'}: {str(error)[:800]}"

    check()
    return list(failures.values())


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(SHARDS))
@pytest.mark.parametrize("area", AREAS)
def test_no_server_errors_and_responses_match_the_schema(live_demo_server, area, shard):
    """Each generated request is sent once per role (and without credentials): the
    examples are drawn once per operation, not once per role, which was most of the cost."""
    spec = live_demo_server.client().get("/api/openapi.json").json()
    schema = schemathesis.openapi.from_dict(spec)
    callers = [(role, {"Authorization": f"Bearer {live_demo_server.api_client(role).token}"} if role else {})
               for role in ROLES]
    failures = []
    in_area = sorted((result.ok() for result in schema.get_all_operations()), key=lambda op: (op.path, op.method))
    in_area = [op for op in in_area if area_of(op.path) == area and (op.method.upper(), op.path) not in SKIPPED]
    operations = in_area[shard::SHARDS]  # every SHARDS-th operation of the area, from this shard's
    assert operations, f"no operations found in area {area}, shard {shard}"
    for operation in operations:
        failures += fuzz_operation(operation, callers, live_demo_server.url)
    assert not failures, "\n\n".join(failures)


# --- Hostile inputs: deep bodies, NUL, numbers beyond every column (issue 15) -------------


def send_variant(client, variant, key):
    kwargs = {"params": variant.query, "headers": {"Idempotency-Key": key}}
    if variant.raw_body is not None:
        kwargs["content"] = variant.raw_body
        kwargs["headers"]["content-type"] = "application/json"
    elif variant.body is not None:
        kwargs["json"] = variant.body
    return client.request(variant.method, variant.url(), **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(SHARDS))
@pytest.mark.parametrize("area", AREAS)
def test_hostile_inputs_get_no_server_error(demo_server, caplog, area, shard):
    """Every operation of the area (this shard's share), each hostile variant
    (``tests/fuzz/hostile.py``) sent as every role: never a 5xx, nothing logged as an error.

    In-process (five times cheaper a request than a socket here); that such answers keep
    the connection and log no traceback on a real server is tested in
    ``tests/core/test_hostile_input.py``. Access is checked on the path alone, before the
    query and body are read: once a role is refused (401/403) with one variant, its other
    query and body variants would meet the same refusal and are not sent."""
    from tests.fuzz.hostile import variants

    spec = demo_server.client().get("/api/openapi.json").json()
    callers = [(role, demo_server.api_client(role) if role else demo_server.client()) for role in ROLES]
    operations = sorted((path, method.upper()) for path, item in spec["paths"].items() for method in item
                        if area_of(path) == area and (method.upper(), path) not in SKIPPED)
    caplog.set_level(logging.ERROR)
    failures = []
    sent = 0
    for role, client in callers:
        for path, method in operations[shard::SHARDS]:
            refused = False
            for variant in variants(spec, method, path, HOME_SITE.get(role, "harbour")):
                if refused and not variant.on_path:
                    continue
                response = send_variant(client, variant, f"hostile-{sent}")
                sent += 1
                if response.status_code >= 500:
                    failures.append(f"{method} {path} with {variant.what} as {role or 'anonymous'}: "
                                    f"{response.status_code} {response.text[:300]}")
                refused = refused or (response.status_code in (401, 403) and not variant.on_path)
    logged = [record.getMessage()[:300] for record in caplog.records if record.levelno >= logging.ERROR]
    assert sent, f"no operations found in area {area}, shard {shard}"
    assert not failures, "\n".join(failures)
    assert not logged, logged
