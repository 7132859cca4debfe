"""Phone applications: draft, second person's check, submission, policy entry; money as strings."""

from core.audit.models import AuditEntry
from tests.plugins.insurance_calls.conftest import BASE

APP = {"applicant_name": "周杰", "id_number": "11010519491231002X", "phone": "13800001111", "plate": "粤B99999",
       "vin": "LSVAU2180N2183294", "vehicle": "大众 朗逸", "cover": ["compulsory", "third_party"],
       "premium": "4860.50"}


def new_app(client, **fields):
    response = client.post(f"{BASE}/applications", json={**APP, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def test_draft_check_submit_issue(demo_server, caller, caller2, callsup, user_ids):
    app = new_app(caller)
    assert app["status"] == "draft" and app["premium"] == "4860.50" and app["currency"] == "CNY"
    url = f"{BASE}/applications/{app['id']}"
    refused = caller.post(f"{url}/submit", json={"version": app["version"]})
    assert refused.status_code == 409 and "second person" in refused.json()["detail"]
    own = caller.post(f"{url}/check", json={"version": app["version"], "vin": APP["vin"],
                                            "id_number": APP["id_number"], "premium": APP["premium"]})
    assert own.status_code == 409 and "someone other" in own.json()["detail"]
    wrong = caller2.post(f"{url}/check", json={"version": app["version"], "vin": APP["vin"],
                                               "id_number": APP["id_number"], "premium": "4860.00"})
    assert wrong.status_code == 422 and [e["field"] for e in wrong.json()["errors"]] == ["premium"]
    checked = caller2.post(f"{url}/check", json={"version": app["version"], "vin": APP["vin"].lower(),
                                                 "id_number": APP["id_number"], "premium": "4860.5"})
    assert checked.status_code == 200 and checked.json()["checked_by_id"] == user_ids["caller2"]
    stale = caller.post(f"{url}/submit", json={"version": app["version"]})
    assert stale.status_code == 409 and stale.json()["current"]["version"] == checked.json()["version"]
    early_issue = callsup.post(f"{url}/issue", json={"version": checked.json()["version"],
                                                     "policy_no": "PDAA202644030000077777"})
    assert early_issue.status_code == 409
    submitted = caller.post(f"{url}/submit", json={"version": checked.json()["version"]}).json()
    assert submitted["status"] == "submitted"
    assert caller.post(f"{url}/issue", json={"version": submitted["version"],
                                             "policy_no": "PDAA202644030000077777"}).status_code == 403
    bad = callsup.post(f"{url}/issue", json={"version": submitted["version"], "policy_no": "12-34"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "policy_no"
    issued = callsup.post(f"{url}/issue", json={"version": submitted["version"], "policy_no": "pdaa202644030000077777"})
    assert issued.status_code == 200 and issued.json()["status"] == "issued"
    assert issued.json()["policy_no"] == "PDAA202644030000077777"
    actions = demo_server.call(lambda: AuditEntry.filter(object_type="insurance_application",
                                                              object_id=str(app["id"])).values_list("action", flat=True))
    for action in ("create", "check_failed", "check", "submit", "issue"):
        assert f"insurance_calls.application.{action}" in actions


def test_changing_a_key_field_withdraws_the_check(caller, caller2):
    app = new_app(caller)
    url = f"{BASE}/applications/{app['id']}"
    checked = caller2.post(f"{url}/check", json={"version": app["version"], "vin": APP["vin"],
                                                 "id_number": APP["id_number"], "premium": APP["premium"]}).json()
    renamed = caller.patch(url, json={"version": checked["version"], "vehicle": "大众 朗逸 2023"}).json()
    assert renamed["checked_by_id"] is not None
    repriced = caller.patch(url, json={"version": renamed["version"], "premium": "5000.00"}).json()
    assert repriced["checked_by_id"] is None and repriced["premium"] == "5000.00"
    assert caller.post(f"{url}/submit", json={"version": repriced["version"]}).status_code == 409


def test_bad_application_input(demo_server, caller):
    cases = [({"premium": 4860.5}, "premium"), ({"premium": "48.605"}, "premium"), ({"premium": "-1"}, "premium"),
             ({"vin": "LSVAU2180N218329O"}, "vin"), ({"id_number": "110105194912310021"}, "id_number"),
             ({"cover": ["space_travel"]}, "cover"), ({"phone": "abc"}, "phone")]
    for fields, field in cases:
        response = caller.post(f"{BASE}/applications", json={**APP, **fields})
        assert response.status_code == 422, (fields, response.text)
        assert field in [e["field"] for e in response.json()["errors"]], fields
    assert caller.get(f"{BASE}/applications?status=draft").json()["items"][0]["applicant_name"] == "周杰"  # demo only


def test_id_number_and_phone_masked_without_permission(demo_server, caller):
    app = new_app(caller)
    seen = demo_server.api_client("manager").get(f"{BASE}/applications/{app['id']}").json()
    assert seen["id_number"] != APP["id_number"] and "*" in seen["id_number"] and "*" in seen["phone"]
    assert caller.get(f"{BASE}/applications/{app['id']}").json()["id_number"] == APP["id_number"]
