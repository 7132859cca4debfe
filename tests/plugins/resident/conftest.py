import pytest

BASE = "/api/v1/sites/harbour/resident"


@pytest.fixture
def agent(demo_server):
    return demo_server.api_client("agent")


@pytest.fixture
def supervisor(demo_server):
    return demo_server.api_client("supervisor")


@pytest.fixture
def manager(demo_server):
    return demo_server.api_client("manager")


@pytest.fixture
def units(demo_server):
    from core.entities.models import Site, Unit

    async def load():
        site = await Site.get(code="harbour")
        return dict(await Unit.filter(site_id=site.id).values_list("code", "id"))

    return demo_server.call(load)


def new_case(client, unit_id, **fields):
    body = {"kind": "complaint", "channel": "phone", "unit_id": unit_id, "title": "Noise from upstairs at night",
            "category": "noise", **fields}
    response = client.post(f"{BASE}/cases", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def move(client, task_id, to):
    task = client.get(f"/api/v1/sites/harbour/tasks/{task_id}").json()
    return client.post(f"/api/v1/sites/harbour/tasks/{task_id}/transition", json={"to": to, "version": task["version"]})


@pytest.fixture
def demo_server(make_demo_app):
    """The demo app with only core and this plugin: the other plugins are built at the
    same time in this tree and must not make these tests fail."""
    return make_demo_app(disabled_plugins=["hotel", "cashier", "insurance_calls"])
