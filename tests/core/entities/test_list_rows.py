"""The units and parties lists read plain rows of only the columns they return
(``core.rows``), and answer exactly what the single reads answer, masked alike."""

from core.entities.api import PARTY_COLUMNS, UNIT_COLUMNS, party_out, unit_out
from core.entities.models import Party, Unit
from tests.sql_log import columns_read, statements


def test_the_units_list_answers_what_each_unit_answers(demo_server, caplog):
    agent = demo_server.api_client("agent")
    sent = statements(caplog, lambda: agent.get("/api/v1/sites/harbour/units", params={"limit": 200}))
    items = agent.get("/api/v1/sites/harbour/units", params={"limit": 200}).json()["items"]
    assert len(items) == 80
    for item in items[::9]:
        assert agent.get(f"/api/v1/sites/harbour/units/{item['id']}").json() == item
    models = demo_server.call(lambda: Unit.filter(site__code="harbour").order_by("id"))
    assert items == [unit_out(unit) for unit in models]
    assert columns_read(sent, "core_unit") == set(UNIT_COLUMNS)  # not site_id, created_at, updated_at


def test_the_parties_list_answers_what_each_party_answers_masked_or_not(demo_server, caplog):
    admin, cashier = demo_server.api_client("admin"), demo_server.api_client("cashier")
    for number in range(3):
        created = admin.post("/api/v1/sites/lotus/parties", json={
            "name": f"Guest {number}", "phones": [f"0912 000 32{number}", "+886 2 2345 6789"],
            "email": f"guest{number}@example.org", "notes": "regular"})
        assert created.status_code == 201
    for client, masked in ((admin, False), (cashier, True)):
        sent = statements(caplog, lambda client=client: client.get("/api/v1/sites/lotus/parties"))
        items = client.get("/api/v1/sites/lotus/parties").json()["items"]
        assert len(items) == 3
        for item in items:
            assert client.get(f"/api/v1/sites/lotus/parties/{item['id']}").json() == item
            assert ("*" in item["phones"][0] and "***@" in item["email"]) is masked
        models = demo_server.call(lambda: Party.filter(site__code="lotus").order_by("id"))
        assert items == [party_out(party, unmasked=not masked) for party in models]
        assert columns_read(sent, "core_party") == set(PARTY_COLUMNS)  # not phone_index
    assert "0912000320" not in cashier.get("/api/v1/sites/lotus/parties").text
