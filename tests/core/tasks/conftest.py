import pytest


@pytest.fixture
def no_demo_tasks(demo_server):
    """Park the plugins' demo tasks (closed, unassigned) so loads and lists start empty."""
    from core.tasks.models import Task

    demo_server.call(lambda: Task.all().update(is_open=False, status="closed", assignee_id=None))


@pytest.fixture
def supervisor(demo_server):
    return demo_server.api_client("supervisor")


@pytest.fixture
def agent(demo_server):
    return demo_server.api_client("agent")


def new_task(client, **fields):
    body = {"type": "core.general", "title": "Leaking pipe in A-0101", **fields}
    response = client.post("/api/v1/sites/harbour/tasks", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def move(client, task, to, **extra):
    return client.post(f"/api/v1/sites/harbour/tasks/{task['id']}/transition",
                       json={"to": to, "version": task["version"], **extra})
