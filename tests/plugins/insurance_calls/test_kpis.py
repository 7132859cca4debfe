"""KPIs against the site's targets and the daily and weekly reports (CSV, XLSX)."""

import datetime as dt
import io

from core.entities.models import Site
from core.tasks.models import Task
from tests.plugins.insurance_calls.conftest import BASE, later, log


def test_kpis_count_calls_callbacks_and_complaints(demo_server, caller, caller2, callsup, user_ids):
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    since = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    log(caller, started_at=later(seconds=-100), ended_at=later(seconds=-10))
    log(caller2, call_type="vehicle_price", fields={"vehicle": "Golf"}, started_at=later(seconds=-50),
        ended_at=later(seconds=-20))
    follow = log(caller, outcome="follow_up", follow_up_at=later(hours=1))
    complaint = log(caller, call_type="complaint", outcome="complaint", summary="Slow claim")
    kpis = callsup.get(f"{BASE}/kpis?from={since}&to={later(minutes=90)}").json()
    assert kpis["calls"] == 4 and kpis["by_type"]["vehicle_price"] == 1 and kpis["by_type"]["other"] == 2
    agents = {row["agent_id"]: row for row in kpis["by_agent"]}
    assert agents[user_ids["caller"]]["calls"] == 3 and agents[user_ids["caller2"]]["average_handle_seconds"] == 30
    assert kpis["callbacks"]["open"] == 1 and kpis["callbacks"]["due"] == 0
    log(caller, direction="outbound", task_id=follow["follow_up_task_id"], summary="Called back")
    kpis = callsup.get(f"{BASE}/kpis?from={since}&to={later(minutes=90)}").json()
    assert kpis["callbacks"] == {"due": 1, "done": 1, "done_on_time": 1, "open": 0, "on_time_rate": 100.0}
    assert kpis["complaints"]["count"] == 1 and kpis["on_time_reply_rate"] is None
    assert kpis["targets"] == {"on_time_reply_rate": 99.0, "standard_handling_rate": 98.0, "satisfaction_rate": 100.0}
    # the complaint is answered late: the on-time reply rate drops below its target
    task_id = complaint["complaint_task_id"]
    demo_server.call(lambda: Task.filter(id=task_id).update(due_at=start))
    kpis = callsup.get(f"{BASE}/kpis?from={since}&to={later(minutes=90)}").json()
    assert kpis["on_time_reply_rate"] == 0.0 and kpis["met"]["on_time_reply_rate"] is False
    revisit = next(t for t in callsup.get("/api/v1/sites/sunrise/tasks?type=insurance_calls.revisit&open=true")
                   .json()["items"] if t["parent_id"] == task_id)
    log(caller, direction="outbound", task_id=revisit["id"], satisfied=True, summary="Revisit")
    kpis = callsup.get(f"{BASE}/kpis?from={since}&to={later(minutes=90)}").json()
    assert kpis["satisfaction_rate"] == 100.0 and kpis["met"]["satisfaction_rate"] is True


def test_site_targets_override_the_defaults(demo_server, callsup):
    async def set_targets():
        site = await Site.get(code="sunrise")
        site.settings = {"insurance_calls": {"targets": {"satisfaction_rate": 95}}}
        await site.save()
    demo_server.call(set_targets)
    assert callsup.get(f"{BASE}/kpis").json()["targets"]["satisfaction_rate"] == 95.0


def test_kpi_permissions_and_bad_periods(demo_server, caller, callsup):
    assert caller.get(f"{BASE}/kpis").status_code == 403
    assert demo_server.api_client("manager").get(f"{BASE}/kpis").status_code == 200
    assert callsup.get(f"{BASE}/kpis?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z").status_code == 422
    assert callsup.get(f"{BASE}/kpis?from=yesterday").status_code == 422


def test_daily_and_weekly_reports_in_csv_and_xlsx(demo_server, caller, callsup):
    from openpyxl import load_workbook

    log(caller)
    daily = callsup.get(f"{BASE}/reports/daily").json()
    row = next(r for r in daily["rows"] if r["agent"].endswith("Sun"))
    assert row["calls"] >= 1 and row["inbound"] >= 1
    csv_text = callsup.get(f"{BASE}/reports/daily?format=csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Agent,Calls,Inbound") and "Agent Sun" in csv_text
    xlsx = callsup.get(f"{BASE}/reports/daily?format=xlsx")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(1, 1).value == "Agent" and sheet.max_row >= 2
    weekly = callsup.get(f"{BASE}/reports/weekly").json()
    assert len(weekly["days"]) == 7 and "kpis" in weekly
    book = load_workbook(io.BytesIO(callsup.get(f"{BASE}/reports/weekly?format=xlsx").content))
    assert book.sheetnames == ["Days", "Agents", "KPIs"]
    assert "Complaints replied on time" in callsup.get(f"{BASE}/reports/weekly?format=csv").content.decode("utf-8-sig")
    assert callsup.get(f"{BASE}/reports/daily?date=2026-13-01").status_code == 422


def test_demo_data_has_calls_over_30_days(demo_server, callsup):
    kpis = callsup.get(f"{BASE}/kpis").json()
    assert kpis["calls"] >= 100 and kpis["callbacks"]["done_on_time"] >= 1
    assert callsup.get(f"{BASE}/lookup?phone=13800138000").json()["repeat_caller"] is True
