"""Pages: quick entry (errors re-shown, callbacks), my callbacks, calls list, dashboard, applications."""

import datetime as dt
import re

from plugins.insurance_calls.models import Application, Call
from tests.plugins.insurance_calls.conftest import later, log

ENTRY = "/sites/sunrise/insurance_calls/"


def local_in(hours: int) -> str:
    """A datetime-local value in Asia/Shanghai (UTC+8)."""
    moment = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours + 8)
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_quick_entry_logs_a_follow_up_and_reshows_errors(demo_server):
    browser = demo_server.sign_in("caller")
    page = browser.get(ENTRY)
    assert page.status_code == 200 and 'src="/static/insurance_calls/insurance_calls.js"' in page.text
    assert "<script>" not in page.text and 'id="caller-history"' in page.text
    started = re.search(r'name="started_at" value="([^"]+)"', page.text).group(1)
    bad = browser.form_post(ENTRY, {"direction": "inbound", "phone": "13912340000", "call_type": "quote",
                                    "summary": "Quote please", "outcome": "resolved", "started_at": started,
                                    "vehicle": "Camry"})
    assert bad.status_code == 422 and 'class="field-error"' in bad.text and 'value="Quote please"' not in bad.text
    assert "Quote please" in bad.text and "Plate is required" in bad.text
    made = browser.form_post(ENTRY, {"direction": "inbound", "phone": "13912340000", "call_type": "quote",
                                     "summary": "Quote please", "outcome": "follow_up", "plate": "粤B11111",
                                     "vehicle": "Camry", "follow_up_at": local_in(2), "started_at": ""})
    assert made.status_code == 303, made.text
    shown = browser.get(made.headers["location"]).text
    assert "Callback task" in shown
    call = demo_server.call(lambda: Call.filter(phone="13912340000").first())
    assert call.follow_up_task_id and call.plate == "粤B11111"
    past = browser.form_post(ENTRY, {"direction": "inbound", "phone": "13912340000", "call_type": "other",
                                     "summary": "x", "outcome": "follow_up", "follow_up_at": local_in(-2)})
    assert past.status_code == 422 and "in the past" in past.text
    assert 'value="13912340000"' in past.text  # what was typed is kept


def test_callback_list_and_carrying_out_a_callback(demo_server, caller):
    call = log(caller, phone="13600001234", caller_name="回电客户", outcome="follow_up", follow_up_at=later(hours=1))
    browser = demo_server.sign_in("caller")
    listing = browser.get("/sites/sunrise/insurance_calls/callbacks").text
    assert "回电客户" in listing and f"?task={call['follow_up_task_id']}" in listing
    form = browser.get(f"{ENTRY}?task={call['follow_up_task_id']}").text
    assert 'value="13600001234"' in form and "Carrying out" in form
    done = browser.form_post(ENTRY, {"direction": "outbound", "phone": "13600001234", "call_type": "other",
                                     "summary": "Called back", "outcome": "resolved",
                                     "task_id": str(call["follow_up_task_id"])})
    assert done.status_code == 303
    assert caller.get(f"/api/v1/sites/sunrise/tasks/{call['follow_up_task_id']}").json()["status"] == "closed"
    assert "回电客户" not in browser.get("/sites/sunrise/insurance_calls/callbacks").text


def test_calls_page_masks_for_the_manager_and_searches_for_agents(demo_server, caller):
    log(caller, phone="13922223333", caller_name="查找客户")
    manager = demo_server.sign_in("manager").get("/sites/sunrise/insurance_calls/calls")
    assert manager.status_code == 200 and "13922223333" not in manager.text and "39*******33" not in manager.text
    assert "13*******33" in manager.text
    refused = demo_server.sign_in("manager").get("/sites/sunrise/insurance_calls/calls?q=13922223333")
    assert "needs the permission" in refused.text
    found = demo_server.sign_in("caller").get("/sites/sunrise/insurance_calls/calls?q=139-2222-3333").text
    assert "13922223333" in found and "查找客户" in found


def test_dashboard_tiles_are_red_or_green(demo_server):
    page = demo_server.sign_in("callsup").get("/sites/sunrise/insurance_calls/dashboard")
    assert page.status_code == 200 and 'data-kpi="satisfaction_rate"' in page.text
    assert "Target 99%" in page.text and "/insurance/reports/weekly" in page.text
    assert demo_server.sign_in("caller").get("/sites/sunrise/insurance_calls/dashboard").status_code == 403


def test_application_pages_need_a_second_person(demo_server):
    creator = demo_server.sign_in("caller")
    made = creator.form_post("/sites/sunrise/insurance_calls/applications/new", {
        "applicant_name": "页面客户", "id_number": "11010519491231002X", "phone": "13800002222",
        "vin": "LSVAU2180N2183294", "premium": "abc", "cover": "compulsory"})
    assert made.status_code == 422 and "Enter an amount" in made.text
    assert 'value="页面客户"' in made.text and 'value="LSVAU2180N2183294"' in made.text  # what was typed is kept
    made = creator.form_post("/sites/sunrise/insurance_calls/applications/new", {
        "applicant_name": "页面客户", "id_number": "11010519491231002X", "phone": "13800002222",
        "vin": "LSVAU2180N2183294", "premium": "3200.00", "cover": "compulsory"})
    assert made.status_code == 303
    url = made.headers["location"]
    assert "Another person must check" in creator.get(url).text
    early = creator.form_post(f"{url}/submit", {"version": "1"})
    assert early.status_code == 409  # the service's refusal, on top of the page with role="alert"
    alert = early.text.split('<div class="form-errors" role="alert">', 1)[1].split("</div>", 1)[0]
    assert "A second person must check the VIN, ID number and premium before submission." in alert
    app = demo_server.call(lambda: Application.get(applicant_name="页面客户"))
    checker = demo_server.sign_in("caller2")
    page = checker.get(url).text
    assert "Second person" in page and "LSVAU2180N2183294" not in page  # blind re-entry
    wrong = checker.form_post(f"{url}/check", {"version": str(app.version), "vin": "LSVAU2180N2183294",
                                               "id_number": "11010519491231002X", "premium": "3100.00"})
    assert wrong.status_code == 422 and "Does not match" in wrong.text
    assert 'class="field-error" id="check-premium-error"' in wrong.text  # beside the re-entered field
    right = checker.form_post(f"{url}/check", {"version": str(app.version), "vin": "LSVAU2180N2183294",
                                               "id_number": "11010519491231002X", "premium": "3200"})
    assert right.status_code == 303
    submitted = creator.form_post(f"{url}/submit", {"version": str(app.version + 1)})
    assert submitted.status_code == 303
    assert "Submitted" in creator.get(url).text


def test_a_task_id_in_unicode_digits_reshows_the_quick_entry_not_a_500(demo_server):
    browser = demo_server.sign_in("caller")
    bad = browser.form_post(ENTRY, {"direction": "outbound", "phone": "13600009876", "call_type": "other",
                                    "summary": "Called back", "outcome": "resolved", "task_id": "²"})
    assert bad.status_code == 422, bad.text[:500]
    assert 'value="13600009876"' in bad.text  # the form re-shown with what was typed
    assert demo_server.call(lambda: Call.filter(phone="13600009876").exists()) is False
    assert browser.get(f"{ENTRY}?task=²&logged=٣").status_code == 200  # a bad link's number is ignored
