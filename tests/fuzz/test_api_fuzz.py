"""API fuzzing with schemathesis against /api/openapi.json, for each demo role and for an
unauthenticated caller: no 5xx, and every response matches the documented schema,
status codes and content types.

`make test` runs a bounded number of examples per operation (FRONTDESK_FUZZ_EXAMPLES,
default 8); `make fuzz` runs many more.
"""

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


# The operations are fuzzed in areas, one test each, so that parallel workers share them.
AREAS = ("resident", "hotel", "cashier", "insurance", "core")


def area_of(path):
    parts = path.split("/")
    if path.startswith("/api/v1/sites/{site}/") and len(parts) > 5 and parts[5] in AREAS:
        return parts[5]
    return "core"


@pytest.mark.slow
@pytest.mark.parametrize("area", AREAS)
def test_no_server_errors_and_responses_match_the_schema(live_demo_server, area):
    """Each generated request is sent once per role (and without credentials): the
    examples are drawn once per operation, not once per role, which is most of the cost."""
    spec = live_demo_server.client().get("/api/openapi.json").json()
    schema = schemathesis.openapi.from_dict(spec)
    callers = [(role, {"Authorization": f"Bearer {live_demo_server.api_client(role).token}"} if role else {})
               for role in ROLES]
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED or area_of(operation.path) != area:
            continue
        operations += 1
        failed_roles = set()

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            generated_site = (case.path_parameters or {}).get("site")
            for role, headers in callers:
                if role in failed_roles:
                    continue
                if generated_site is not None:
                    # Reach the handlers, not only the 404 (the anonymous caller keeps the drawn site).
                    case.path_parameters["site"] = HOME_SITE.get(role, generated_site)
                response = case.call(base_url=live_demo_server.url, headers=headers, timeout=30)
                try:
                    case.validate_response(response, checks=CHECKS)
                except Exception as error:  # collect every role's failure, not only the first
                    failed_roles.add(role)
                    failures.append(f"{operation.method.upper()} {operation.path} as {role or 'anonymous'}: "
                                    f"{str(error)[:800]}")

        check()
    assert operations >= 3, f"no operations found in area {area}"
    assert not failures, "\n\n".join(failures)
