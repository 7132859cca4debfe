"""Units and parties over the JSON API: validation, pagination, versions, masking."""

from core.audit.models import AuditEntry
from core.entities.models import Unit


def test_create_read_and_list_units_with_cursor_pagination(demo_server):
    admin = demo_server.api_client("admin")
    created = admin.post("/api/v1/sites/lotus/units", json={"code": "R-801", "kind": "room", "floor": "8"})
    assert created.status_code == 201
    unit = created.json()
    assert unit["version"] == 1 and unit["kind"] == "room"
    assert admin.get(f"/api/v1/sites/lotus/units/{unit['id']}").json() == unit
    first = admin.get("/api/v1/sites/harbour/units", params={"limit": 30}).json()
    second = admin.get("/api/v1/sites/harbour/units", params={"limit": 30, "cursor": first["next_cursor"]}).json()
    third = admin.get("/api/v1/sites/harbour/units", params={"limit": 30, "cursor": second["next_cursor"]}).json()
    codes = [u["code"] for page in (first, second, third) for u in page["items"]]
    assert len(codes) == len(set(codes)) == 80 and third["next_cursor"] is None


def test_unit_search_and_filters(demo_server):
    agent = demo_server.api_client("agent")
    found = agent.get("/api/v1/sites/harbour/units", params={"q": "A-10"}).json()["items"]
    assert found and all(u["code"].startswith("A-10") for u in found)
    tower_b = agent.get("/api/v1/sites/harbour/units", params={"building": "Tower B", "limit": 200}).json()["items"]
    assert len(tower_b) == 40


def test_bad_input_names_the_field_and_writes_nothing(demo_server):
    admin = demo_server.api_client("admin")
    count = demo_server.call(lambda: Unit.all().count())
    cases = [
        ({"code": "", "kind": "room"}, "code"),
        ({"code": "X1", "kind": "castle"}, "kind"),
        ({"code": "X1", "kind": "room", "colour": "red"}, "colour"),
        ({"kind": "room"}, "code"),
    ]
    for body, field in cases:
        response = admin.post("/api/v1/sites/lotus/units", json=body)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert field in [error["field"] for error in response.json()["errors"]]
    assert admin.post("/api/v1/sites/lotus/units", content=b"{not json", headers={"Content-Type": "application/json"}).status_code == 400
    assert admin.post("/api/v1/sites/lotus/units", content=b"[1, 2]", headers={"Content-Type": "application/json"}).status_code == 400
    assert admin.get("/api/v1/sites/harbour/units", params={"limit": 1000}).status_code == 422
    assert admin.get("/api/v1/sites/harbour/units", params={"cursor": "garbage!"}).status_code == 422
    assert demo_server.call(lambda: Unit.all().count()) == count


def test_a_duplicate_code_is_409(demo_server):
    admin = demo_server.api_client("admin")
    assert admin.post("/api/v1/sites/harbour/units", json={"code": "A-0101", "kind": "apartment"}).status_code == 409


def test_stale_version_is_409_with_the_current_record(demo_server):
    admin = demo_server.api_client("admin")
    unit = admin.get("/api/v1/sites/harbour/units", params={"limit": 1}).json()["items"][0]
    path = f"/api/v1/sites/harbour/units/{unit['id']}"
    assert admin.patch(path, json={"name": "Penthouse", "version": 1}).json()["version"] == 2
    stale = admin.patch(path, json={"name": "Studio", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["current"]["name"] == "Penthouse" and stale.json()["current"]["version"] == 2


def test_changes_are_audited_with_before_and_after(demo_server):
    admin = demo_server.api_client("admin")
    unit = admin.get("/api/v1/sites/harbour/units", params={"limit": 1}).json()["items"][0]
    admin.patch(f"/api/v1/sites/harbour/units/{unit['id']}", json={"notes": "leaky tap", "version": unit["version"]})
    entry = demo_server.call(lambda: AuditEntry.filter(action="unit.update").first())
    assert entry.before == {"notes": ""} and entry.after == {"notes": "leaky tap"} and entry.actor_name == "admin"


def test_parties_are_found_by_phone_and_masked_without_permission(demo_server):
    admin = demo_server.api_client("admin")
    party = admin.post("/api/v1/sites/lotus/parties", json={"name": "Guest Tan", "phones": ["+886 912-000-321"],
                                                            "email": "tan@example.org"}).json()
    assert party["phones"] == ["+886912000321"]
    assert admin.get("/api/v1/sites/lotus/parties", params={"q": "912000"}).json()["items"][0]["id"] == party["id"]
    cashier = demo_server.api_client("cashier")  # may see parties but not their contact details
    seen = cashier.get(f"/api/v1/sites/lotus/parties/{party['id']}").json()
    assert seen["phones"] == ["+8*********21"] and seen["email"] == "t***@example.org"
    assert "912000321" not in cashier.get("/api/v1/sites/lotus/parties").text


def test_roles_without_the_permission_get_403(demo_server):
    housekeeper = demo_server.api_client("housekeeper")
    assert housekeeper.get("/api/v1/sites/lotus/units").status_code == 200
    assert housekeeper.post("/api/v1/sites/lotus/units", json={"code": "R-1", "kind": "room"}).status_code == 403
    assert housekeeper.get("/api/v1/sites/lotus/parties").status_code == 403


def test_sites_are_created_by_admins_only(demo_server):
    body = {"code": "riverside", "name": "Riverside", "kind": "residential"}
    assert demo_server.api_client("manager").post("/api/v1/sites", json=body).status_code == 403
    created = demo_server.api_client("admin").post("/api/v1/sites", json=body)
    assert created.status_code == 201 and created.json()["currency"] == "TWD"
    bad = demo_server.api_client("admin").post("/api/v1/sites", json={**body, "code": "other", "timezone": "Mars/Base"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "timezone"


def test_without_personal_data_permission_phone_digits_do_not_find_parties(demo_server):
    admin = demo_server.api_client("admin")
    admin.post("/api/v1/sites/lotus/parties", json={"name": "Guest Lim", "phones": ["0987654321"]})
    assert admin.get("/api/v1/sites/lotus/parties", params={"q": "987654"}).json()["items"]
    cashier = demo_server.api_client("cashier")
    assert cashier.get("/api/v1/sites/lotus/parties", params={"q": "987654"}).json()["items"] == []
    assert cashier.get("/api/v1/sites/lotus/parties", params={"q": "Lim"}).json()["items"]
