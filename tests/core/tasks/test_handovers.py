"""Shift handovers: written at the end of a shift, read and acknowledged at the start."""

from core.tasks.models import HandoverRead


def test_write_list_unread_and_acknowledge(demo_server):
    supervisor = demo_server.api_client("hotelsup")  # department front_desk
    frontdesk = demo_server.api_client("frontdesk")  # department front_desk
    housekeeper = demo_server.api_client("housekeeper")  # department housekeeping
    written = supervisor.post("/api/v1/sites/lotus/handovers", json={
        "department": "front_desk", "body": "Room 1203 guest asked for a late check-out at 14:00.",
        "items": [{"label": "Float counted", "value": "5000.00"}]})
    assert written.status_code == 201
    handover = written.json()
    assert handover["items"] == [{"label": "Float counted", "value": "5000.00"}]
    def unread_ids(client):
        return [h["id"] for h in client.get("/api/v1/sites/lotus/handovers", params={"unread": "true"}).json()["items"]]

    unread = frontdesk.get("/api/v1/sites/lotus/handovers", params={"unread": "true"}).json()["items"]
    assert unread[0]["id"] == handover["id"] and unread[0]["read"] is False
    assert handover["id"] not in unread_ids(housekeeper)  # another department's
    assert handover["id"] not in unread_ids(supervisor)  # its author has read it
    acked = frontdesk.post(f"/api/v1/sites/lotus/handovers/{handover['id']}/ack")
    assert acked.status_code == 200 and acked.json()["read"] is True
    frontdesk.post(f"/api/v1/sites/lotus/handovers/{handover['id']}/ack")  # twice is harmless
    assert handover["id"] not in unread_ids(frontdesk)
    assert demo_server.call(lambda: HandoverRead.filter(handover_id=handover["id"]).count()) == 2


def test_an_empty_handover_is_refused(demo_server):
    response = demo_server.api_client("frontdesk").post("/api/v1/sites/lotus/handovers",
                                                        json={"department": "front_desk", "body": "   "})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body"


def test_a_handover_needs_its_department_on_the_page_and_through_the_api(demo_server):
    """The rule is the service's: a blank department is refused the same way on both."""
    from core.tasks.models import Handover

    before = demo_server.call(lambda: Handover.all().count())
    api = demo_server.api_client("frontdesk").post("/api/v1/sites/lotus/handovers",
                                                   json={"department": "  ", "body": "Late check-out, 1203"})
    assert api.status_code == 422 and api.json()["errors"][0]["field"] == "department"
    page = demo_server.sign_in("frontdesk").form_post("/sites/lotus/handovers",
                                                      {"department": " ", "body": "Late check-out, 1203"})
    assert page.status_code == 422 and 'id="department-error"' in page.text
    assert "Late check-out, 1203" in page.text  # what was typed is kept
    assert demo_server.call(lambda: Handover.all().count()) == before
