"""Meta-tests over every registered route, plugins' included: each declares who may call
it, every unsafe one refuses a missing CSRF token, and site routes hide other sites."""

import re

from starlette.routing import Mount, Route

from core.permissions import AUTHENTICATED, PUBLIC

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def routes_of(app):
    return [route for route in app.routes if isinstance(route, Route)]


def concrete(path, site="harbour", number=1):
    path = path.replace("{site}", site)
    path = re.sub(r"{[a-z_]*id(:int)?}", str(number), path)
    return re.sub(r"{[a-z_]+(:[a-z]+)?}", "x", path)


def test_every_route_declares_a_permission_or_a_public_marker(server):
    missing = [route.path for route in routes_of(server.app) if not getattr(route, "permission", None)]
    assert missing == []
    mounts = [route.path for route in server.app.routes if isinstance(route, Mount)]
    assert all(path.startswith("/static/") for path in mounts), mounts


def test_permissions_that_routes_name_are_declared_by_some_plugin(server):
    from core.identity.services import declared_permissions

    declared = set(declared_permissions(server.app.state.host)) | {PUBLIC, AUTHENTICATED}
    undeclared = {route.permission for route in routes_of(server.app)} - declared
    assert undeclared == set()


def test_every_unsafe_route_refuses_a_session_request_without_csrf_token(demo_server):
    browser = demo_server.sign_in("admin")
    checked = 0
    for route in routes_of(demo_server.app):
        for method in sorted(route.methods & UNSAFE):
            response = browser.request(method, concrete(route.path), json={})
            assert response.status_code == 403, f"{method} {route.path}: {response.status_code}"
            checked += 1
    assert checked >= 10


def test_site_routes_answer_404_for_a_site_the_caller_does_not_belong_to(demo_server):
    agent = demo_server.sign_in("agent")  # a member of harbour only
    headers = {"X-CSRF-Token": agent.csrf}
    site_routes = [route for route in routes_of(demo_server.app) if "{site}" in route.path]
    assert site_routes
    for route in site_routes:
        for method in sorted(route.methods - {"HEAD"}):
            foreign = agent.request(method, concrete(route.path, site="lotus"), json={}, headers=headers)
            missing = agent.request(method, concrete(route.path, site="no-such-site"), json={}, headers=headers)
            assert foreign.status_code == missing.status_code == 404, f"{method} {route.path}"


def test_records_of_another_site_are_404_by_id_on_every_detail_route(demo_server):
    """An admin belongs to every demo site: ids of harbour's records asked for under
    lotus must be 404, as if they did not exist."""
    admin = demo_server.sign_in("admin")
    detail_routes = [route for route in routes_of(demo_server.app)
                     if "{site}" in route.path and re.search(r"{[a-z_]*id(:int)?}", route.path) and "GET" in route.methods]
    checked = 0
    for route in detail_routes:
        for number in range(1, 60):
            if admin.get(concrete(route.path, "harbour", number)).status_code == 200:
                assert admin.get(concrete(route.path, "lotus", number)).status_code == 404, route.path
                checked += 1
                break
    assert checked >= 2
