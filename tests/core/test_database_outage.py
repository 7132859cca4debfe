"""PostgreSQL goes away under a running server (a restart, a failover): requests get 503
with Retry-After and the incident id, never a 500, and work again once it is back, without
restarting the server."""

import pytest

from core.testing.databases import admin_execute, run_async


def test_an_unreachable_database_is_503_and_the_server_recovers(database_backend, make_demo_app, demo_database_url):
    if database_backend != "postgres":
        pytest.skip("only PostgreSQL runs as a server that can go away under the app")
    name = demo_database_url.rsplit("/", 1)[1].split("?")[0]
    server = make_demo_app()
    agent = server.api_client("agent")
    assert agent.get("/api/v1/sites/harbour/tasks").status_code == 200
    # Connections dropped and none taken (a server going down): the pool cannot reconnect.
    run_async(admin_execute(
        f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false',
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "  # noqa: S608 - our own test database's name
        "AND pid <> pg_backend_pid()"))
    try:
        down = agent.get("/api/v1/sites/harbour/tasks")
        assert down.status_code == 503, down.text
        assert down.headers["retry-after"] == "5" and down.json()["incident"]
        assert "database cannot be reached" in down.json()["detail"]
    finally:
        run_async(admin_execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
    for _attempt in range(3):  # the pool replaces its dropped connections on use
        if (again := agent.get("/api/v1/sites/harbour/tasks")).status_code == 200:
            break
    assert again.status_code == 200, again.text
