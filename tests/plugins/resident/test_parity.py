"""The resident desk's forms and its API do the same: same live events, tasks, audit entries, rows."""

from tests.plugins.resident.conftest import BASE, new_case

PAGES = "/sites/harbour/resident"


def _unit_id(server, code: str) -> int:
    from core.entities.models import Site, Unit

    async def load():
        site = await Site.get(code="harbour")
        return (await Unit.get(site_id=site.id, code=code)).id

    return server.call(load)


def test_case_creation(parity):
    footprint = parity.check(
        "agent", prepare=lambda server: _unit_id(server, "A-0101"),
        api=lambda unit_id: ("POST", f"{BASE}/cases", {"kind": "repair", "channel": "phone", "unit_id": unit_id,
                                                       "title": "Broken door", "category": "door"}),
        page=(f"{PAGES}/cases", {"unit_code": "A-0101", "kind": "repair", "channel": "phone", "title": "Broken door",
                                 "category": "door"}))
    assert "resident.case.create" in footprint.audit and "task.created" in footprint.events


def test_case_resolution(parity):
    def prepare(server) -> dict:
        agent = server.api_client("agent")
        case = new_case(agent, _unit_id(server, "A-0101"))
        assert agent.post(f"{BASE}/cases/{case['id']}/reply", json={"message": "On it."}).status_code == 200
        task = agent.get(f"/api/v1/sites/harbour/tasks/{case['task_id']}").json()
        return {"case": case, "task": task}

    footprint = parity.check(
        "supervisor", prepare=prepare,
        api=lambda made: ("POST", f"/api/v1/sites/harbour/tasks/{made['task']['id']}/transition",
                          {"to": "resolved", "version": made["task"]["version"]}),
        page=lambda made: (f"{PAGES}/cases/{made['case']['id']}/transition",
                           {"to": "resolved", "version": str(made["task"]["version"])}))
    assert footprint.audit == ["task.transition"]
