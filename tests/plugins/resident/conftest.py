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


def take_permission(demo_server, role_name: str, permission: str) -> None:
    """``role_name`` loses ``permission``, as an administrator would take it, through the service."""
    from core.actors import SYSTEM
    from core.identity import services
    from core.identity.models import Role

    async def take():
        role = await Role.get(name=role_name)
        held = set(await role.grants.all().values_list("permission", flat=True))
        declared = set(services.declared_permissions(demo_server.app.state.host))
        await services.set_role_permissions(role, held - {permission}, declared, SYSTEM)

    demo_server.call(take)


@pytest.fixture
def keep_demo():
    """Ask for this to keep the resident demo records (other tests start from an estate
    with units and people but no resident records, so counts are exact)."""


@pytest.fixture
def demo_server(make_demo_app, request):
    """The demo app, without the resident demo records unless the test asks for them."""
    server = make_demo_app()
    if "keep_demo" not in request.fixturenames:
        server.call(_clear_resident_records)
    return server


async def _clear_resident_records():
    from plugins.resident import models as m

    for model in (m.Payment, m.Bill, m.BillingRun, m.FeeSchedule, m.Revisit, m.Campaign, m.Case, m.Member,
                  m.Household, m.ProcedureDocument, m.Procedure, m.Announcement):
        await model.all().delete()
    from core.tasks.models import Task

    await Task.filter(type__startswith="resident.").update(is_open=False, status="cancelled")
