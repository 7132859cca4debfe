"""Calls without start or end times: an unknown handling time (null), shown as such, left
out of every average; the migration that turned the old 0-second ones into null."""

import datetime as dt
import re

from core.database import apps_config
from core.entities.models import Site
from core.exports import tables_csv
from core.identity.models import User
from plugins.insurance_calls import kpis
from plugins.insurance_calls.models import Application, Call
from tests.plugins.insurance_calls.conftest import BASE, later, log
from tortoise.connection import connections
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

UTC = dt.timezone.utc
ENTRY = "/sites/sunrise/insurance_calls/"


def test_a_call_without_either_time_has_an_unknown_handle_time(demo_server, caller):
    neither = log(caller, summary="No times")
    started_only = log(caller, summary="Start only", started_at=later(minutes=-5))
    ended_only = log(caller, summary="End only", ended_at="2026-01-05T08:03:30Z")
    both = log(caller, summary="Both", started_at="2026-01-05T08:00:00Z", ended_at="2026-01-05T08:03:30Z")
    assert [call["handle_seconds"] for call in (neither, started_only, ended_only, both)] == [None, None, None, 210]
    # the call still has its moments, so it falls in a period
    assert neither["started_at"] and neither["ended_at"] and ended_only["started_at"] == "2026-01-05T08:03:30Z"
    assert caller.get(f"{BASE}/calls/{neither['id']}").json()["handle_seconds"] is None
    listed = {c["id"]: c["handle_seconds"] for c in caller.get(f"{BASE}/calls?phone=13900001234").json()["items"]}
    assert listed[neither["id"]] is None and listed[both["id"]] == 210
    stored = demo_server.call(lambda: Call.filter(id=neither["id"]).values_list("handle_seconds", flat=True))
    assert stored == [None]


def test_pages_show_an_unknown_handle_time_and_quick_entry_times_its_calls(demo_server, caller):
    untimed = log(caller, phone="13911112222", caller_name="无时客户")
    timed = log(caller, phone="13911112222", caller_name="计时客户", started_at="2026-01-05T08:00:00Z",
                ended_at="2026-01-05T08:01:05Z")
    browser = demo_server.sign_in("caller")
    listing = browser.get("/sites/sunrise/insurance_calls/calls?q=13911112222").text
    cells = re.findall(r"<td class=\"num\" data-handle-time>([^<]*)</td>", listing)
    assert cells == ["Unknown", "65 s"], cells  # newest first
    assert untimed["handle_seconds"] is None and timed["handle_seconds"] == 65
    # The quick entry form carries the moment it opened: sent, the call is timed.
    started = re.search(r'name="started_at" value="([^"]+)"', browser.get(ENTRY).text).group(1)
    form = {"direction": "inbound", "phone": "13911113333", "call_type": "other", "summary": "Asked",
            "outcome": "resolved"}
    assert browser.form_post(ENTRY, {**form, "started_at": started}).status_code == 303
    assert browser.form_post(ENTRY, {**form, "started_at": ""}).status_code == 303
    seconds = demo_server.call(lambda: Call.filter(phone="13911113333").order_by("id")
                               .values_list("handle_seconds", flat=True))
    assert seconds[0] is not None and seconds[0] >= 0 and seconds[1] is None


async def _site_with(calls: list[tuple[str, int | None]]) -> tuple[Site, dict[str, int]]:
    site = await Site.create(code="kpi-unknown", name="Unknown times", kind="call_centre", timezone="UTC",
                             currency="USD")
    agents = {name: (await User.create(username=f"unk-{name}", password_hash="x", display_name=name)).id
              for name in sorted({name for name, _ in calls})}
    start = dt.datetime(2026, 3, 2, 9, tzinfo=UTC)
    for number, (name, seconds) in enumerate(calls):
        started = start + dt.timedelta(minutes=10 * number)
        ended = started + dt.timedelta(seconds=seconds or 0)
        await Call.create(site=site, direction="inbound", started_at=started, ended_at=ended, handle_seconds=seconds,
                          agent_id=agents[name], phone=str(number), call_type="quote", summary="x", outcome="resolved")
    return site, agents


def test_averages_leave_unknown_handle_times_out(server):
    async def counted():
        site, agents = await _site_with([("Amy", 60), ("Amy", 120), ("Amy", None), ("Amy", None), ("Ben", None),
                                         ("Cat", 30)])
        start, end = kpis.local_day_bounds(site, dt.date(2026, 3, 2))
        return agents, await kpis.kpis(site, start, end), await kpis.daily_report(site, dt.date(2026, 3, 2)), \
            await kpis.weekly_report(site, dt.date(2026, 3, 2))

    agents, k, daily, weekly = server.call(counted)
    assert k["calls"] == 6 and k["timed_calls"] == 3 and k["average_handle_seconds"] == 70.0  # not 35.0
    by_agent = {row["agent_id"]: row for row in k["by_agent"]}
    assert by_agent[agents["Amy"]] == {"agent_id": agents["Amy"], "name": "Amy", "calls": 4, "timed_calls": 2,
                                       "average_handle_seconds": 90.0}
    assert by_agent[agents["Ben"]]["average_handle_seconds"] is None and by_agent[agents["Ben"]]["timed_calls"] == 0
    assert by_agent[agents["Cat"]]["average_handle_seconds"] == 30.0
    rows = {row["agent"]: row for row in daily["rows"]}
    assert rows["Amy"]["average_handle_seconds"] == 90.0 and rows["Amy"]["calls"] == 4
    assert rows["Ben"]["average_handle_seconds"] is None
    assert weekly["kpis"]["average_handle_seconds"] == 70.0
    csv = tables_csv([("x", *kpis.daily_table(daily))]).decode("utf-8-sig").splitlines()
    assert "Ben,1,1,0,,1,0,0,0" in csv and "Amy,4,4,0,90.0,4,0,0,0" in csv


def test_averages_without_unknown_calls_are_the_plain_mean(server):
    async def counted():
        site, agents = await _site_with([("Amy", 60), ("Amy", 121), ("Ben", 0)])
        return agents, await kpis.kpis(site, *kpis.local_day_bounds(site, dt.date(2026, 3, 2)))

    agents, k = server.call(counted)
    assert k["calls"] == k["timed_calls"] == 3 and k["average_handle_seconds"] == round(181 / 3, 1)
    assert {row["agent_id"]: row["average_handle_seconds"] for row in k["by_agent"]} == \
        {agents["Amy"]: 90.5, agents["Ben"]: 0.0}  # a timed 0-second call is a 0


def test_the_kpi_api_and_dashboard_leave_unknown_times_out(demo_server, caller, callsup):
    before = callsup.get(f"{BASE}/kpis").json()
    log(caller, summary="Untimed")
    after = callsup.get(f"{BASE}/kpis").json()
    assert after["calls"] == before["calls"] + 1 and after["timed_calls"] == before["timed_calls"]
    assert after["average_handle_seconds"] == before["average_handle_seconds"]
    page = demo_server.sign_in("callsup").get("/sites/sunrise/insurance_calls/dashboard?period=today").text
    assert re.search(r"data-untimed>[1-9]\d* calls without start or end time left out<", page)


async def _indexes() -> set[str]:
    connection = connections.get("default")
    if connection.capabilities.dialect == "sqlite":
        _, rows = await connection.execute_query(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'insurance_calls_call' AND sql IS NOT NULL")
        return {" ".join(row["sql"].split()) for row in rows}
    _, rows = await connection.execute_query(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'insurance_calls_call'")
    return {row["indexdef"] for row in rows}


def test_the_migration_turns_old_untimed_calls_to_null_and_keeps_the_rest(server):
    """Back to 0004 (where unknown was stored as 0) and forward again: calls with 0 seconds
    and the start equal to the end become null; every other value, every index and the
    applications' links to their calls stay as they were."""
    async def round_trip():
        site = await Site.create(code="mig", name="Migration", kind="call_centre", timezone="UTC", currency="USD")
        moment = dt.datetime(2026, 2, 1, 9, tzinfo=UTC)
        made = {}
        for name, seconds, ended in (("untimed", None, moment), ("zero_but_timed", 0, moment + dt.timedelta(seconds=1)),
                                     ("timed", 42, moment + dt.timedelta(seconds=42)), ("same_times", 7, moment)):
            made[name] = await Call.create(site=site, direction="inbound", started_at=moment, ended_at=ended,
                                           handle_seconds=seconds, phone="1", call_type="other", summary="x",
                                           outcome="resolved", reopen_count=1)
        application = await Application.create(site=site, call=made["untimed"], applicant_name="A",
                                                id_number="11010519491231002X", phone="1", vin="LSVAU2180N2183294",
                                                premium_minor=100)
        indexes = await _indexes()
        executor = MigrationExecutor(connections.get("default"), apps_config(server.app.state.host))
        await executor.migrate([MigrationTarget("insurance_calls", "0004_kpi_indexes")])
        old = await connections.get("default").execute_query_dict(
            f"SELECT handle_seconds FROM insurance_calls_call WHERE id = {int(made['untimed'].id)}")  # noqa: S608
        executor = MigrationExecutor(connections.get("default"), apps_config(server.app.state.host))
        await executor.migrate()
        seconds = dict(await Call.filter(site=site).values_list("id", "handle_seconds"))
        reopens = set(await Call.filter(site=site).values_list("reopen_count", flat=True))
        await application.refresh_from_db()
        return old, {name: seconds[call.id] for name, call in made.items()}, reopens, application.call_id, \
            made["untimed"].id, indexes, await _indexes()

    old, seconds, reopens, linked, untimed_id, indexes_before, indexes_after = server.call(round_trip)
    assert old == [{"handle_seconds": 0}]  # 0004 stored an unknown time as 0
    assert seconds == {"untimed": None, "zero_but_timed": 0, "timed": 42, "same_times": 7}
    assert reopens == {0} and linked == untimed_id
    assert indexes_after == indexes_before and any("reopen_count > 0" in index for index in indexes_after)
