"""The KPI engine (core.kpis): each rule of docs/kpis.md against a plain Python count, on
the database under test, through a source a test plugin declares (register_kpi_sources),
and the site's KPI API and page."""

import csv
import datetime as dt
import io
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from core import kpis
from core.entities.models import Site
from core.identity.models import User
from core.tasks.models import Task
from tests.core.test_hooks import plugin

UTC = dt.timezone.utc
MICRO = dt.timedelta(microseconds=1)
TYPE = "kpitest.item"
#: A period of harbour's (Asia/Taipei) local days; items sit at and around its midnights.
FIRST, LAST = dt.date(2026, 3, 1), dt.date(2026, 3, 10)

ITEMS = kpis.Items("core_task t", f"t.site_id = {{site}} AND t.type = '{TYPE}'", period="t.created_at",
                   agent="t.assignee_id", category="t.priority", due_at="t.due_at",
                   done_at="CASE WHEN t.status IN ('resolved', 'closed') THEN t.resolved_at END",
                   cancelled="t.status = 'cancelled'", standard="NOT t.overdue",
                   judged="t.status = 'closed'", satisfied="NOT t.overdue")
SOURCE = kpis.KpiSource(key="kpitest.items", label="Test items", permission="core.kpi.read",
                        items={kpi: ITEMS for kpi in kpis.KPIS})


def source_plugin():
    return plugin("kpitest", register_kpi_sources=lambda: [SOURCE])


# --- Rules without a database ---------------------------------------------------------------


def test_no_data_is_n_a_never_met():
    rate = kpis.Rate(kpis.REPLY, 0, 0, Decimal("0"))  # even a target of 0 is not "met" without data
    assert (rate.percentage, rate.status, rate.met) == (None, "no_data", None)
    assert rate.out()["percentage"] is None and rate.out()["status"] == "no_data"


def test_met_is_exact_and_the_percentage_rounds_half_up():
    # 98.96% shows as 99.0% but is below a 99% target
    assert kpis.Rate(kpis.REPLY, 9896, 10000, Decimal("99")).status == "missed"
    assert kpis.Rate(kpis.REPLY, 9896, 10000, Decimal("99")).percentage == Decimal("99.0")
    assert kpis.Rate(kpis.REPLY, 99, 100, Decimal("99")).status == "met"
    assert kpis.Rate(kpis.HANDLING, 1, 8, Decimal("98")).percentage == Decimal("12.5")
    assert kpis.percent(1, 3) == Decimal("33.3") and kpis.percent(2, 3) == Decimal("66.7")
    assert kpis.percent(1, 16) == Decimal("6.3")  # 6.25 half up


def test_parameters_are_bound_in_order_for_each_driver():
    sql = "a = {site} AND b < {now} AND c = {site}"
    assert kpis.bind(sql, {"site": 7, "now": 9}, "postgres") == ("a = $1 AND b < $2 AND c = $3", [7, 9, 7])
    assert kpis.bind(sql, {"site": 7, "now": 9}, "sqlite") == ("a = ? AND b < ? AND c = ?", [7, 9, 7])


# --- Against a plain count -------------------------------------------------------------------


def _reference(items: list[dict], low: dt.datetime, high: dt.datetime, now: dt.datetime, key=None) -> dict:
    """{group: {kpi: (numerator, denominator)}} as docs/kpis.md says, plainly."""
    out: dict = {}
    for item in items:
        if not low <= item["created_at"] < high:
            continue
        group = out.setdefault(None if key is None else item[key], {k: [0, 0] for k in kpis.KPIS})
        due, status = item["due_at"], item["status"]
        done = item["resolved_at"] if status in ("resolved", "closed") else None
        past_due = due is not None and due <= now
        # replied on time: done, or past due, is counted; on time if done by the due time
        if done is not None or past_due:
            group[kpis.REPLY][1] += 1
            group[kpis.REPLY][0] += done is not None and (due is None or done <= due)
        if done is not None or status == "cancelled" or past_due:
            group[kpis.HANDLING][1] += 1
            group[kpis.HANDLING][0] += (done is not None and status != "cancelled" and (due is None or done <= due)
                                        and not item["overdue"])
        if status == "closed":
            group[kpis.SATISFACTION][1] += 1
            group[kpis.SATISFACTION][0] += not item["overdue"]
    return {group: {k: tuple(pair) for k, pair in rates.items()} for group, rates in out.items()}


def _counted(rows) -> dict:
    return {row: {k: (rate.numerator, rate.denominator) for k, rate in rates.items()} for row, rates in rows}


async def _items(site: Site, now: dt.datetime) -> list[dict]:
    zone = ZoneInfo(site.timezone)
    agents = [await User.create(username=f"kpitest{n}", password_hash="x", display_name=f"Agent {n}")
              for n in range(3)]
    rng = random.Random(17)  # noqa: S311 — varied test data, not security
    edges = []
    for day in (FIRST, LAST + dt.timedelta(days=1), dt.date(2026, 3, 5)):
        midnight = dt.datetime.combine(day, dt.time(), zone).astimezone(UTC)
        edges += [midnight - MICRO, midnight, midnight + MICRO]
    low = dt.datetime.combine(FIRST, dt.time(), zone).astimezone(UTC)
    moments = edges + [low + dt.timedelta(minutes=rng.randrange(12 * 24 * 60)) for _ in range(150)]
    # and items of now: some not yet due (neither done nor past their due time)
    moments += [now - dt.timedelta(hours=rng.uniform(0, 48)) for _ in range(60)]
    for created in moments:
        due = rng.choice((None, created + dt.timedelta(hours=4), created + dt.timedelta(hours=60)))
        resolved = rng.choice((None, created + dt.timedelta(hours=1), created + dt.timedelta(hours=50), due))
        status = rng.choice(("open", "resolved", "closed", "cancelled")) if resolved else rng.choice(("open", "cancelled"))
        await Task.create(site=site, type=TYPE, title="item", status=status, due_at=due, resolved_at=resolved,
                          created_at=created, overdue=rng.random() < 0.2, priority=rng.choice(("low", "normal", "high")),
                          assignee=rng.choice((*agents, None)), is_open=status == "open")
    other = await Site.get(code="lotus")
    await Task.create(site=other, type=TYPE, title="elsewhere", status="closed", created_at=low, resolved_at=low,
                      due_at=low)
    return await Task.filter(site=site, type=TYPE).values("created_at", "due_at", "resolved_at", "status", "overdue",
                                                          "assignee_id", "priority")


def test_hook_register_kpi_sources(make_demo_app):
    """A plugin's source is counted by the engine's rules: items not yet due left out, the
    site's local days, breakdowns that sum to the totals, and shown by the site's API."""
    server = make_demo_app(extra_plugins=[source_plugin()])

    async def both_ways():
        site = await Site.get(code="harbour")
        now = dt.datetime.now(UTC).replace(microsecond=0)
        items = await _items(site, now)
        periods = [(FIRST, LAST), (FIRST, FIRST), (dt.date(2026, 3, 5), dt.date(2026, 3, 5)),
                   (now.astimezone(ZoneInfo(site.timezone)).date() - dt.timedelta(days=3),
                    now.astimezone(ZoneInfo(site.timezone)).date())]
        out = []
        for first, last in periods:
            report = await kpis.compute_days(site, SOURCE, first, last, now)
            low, high = kpis.local_day_bounds(site, first, (last - first).days + 1)
            out.append((report, low, high, items, now))
        return out

    for report, low, high, items, now in server.call(both_ways):
        assert _counted([(None, report.rates)]) == _reference(items, low, high, now)
        assert _counted((row["agent_id"], row["rates"]) for row in report.by_agent) == \
            _reference(items, low, high, now, "assignee_id")
        assert _counted((row["category"], row["rates"]) for row in report.by_category) == \
            _reference(items, low, high, now, "priority")
        for by in (report.by_agent, report.by_category):  # breakdowns sum to the totals
            for kpi, total in report.rates.items():
                assert sum(row["rates"][kpi].numerator for row in by) == total.numerator
                assert sum(row["rates"][kpi].denominator for row in by) == total.denominator
    first = server.call(lambda: kpis.compute_days(Site(id=0, timezone="Asia/Taipei"), SOURCE, FIRST, LAST))
    assert all(rate.status == "no_data" for rate in first.rates.values())  # another site: nothing

    api = server.api_client("manager").get("/api/v1/sites/harbour/kpis?from=2026-03-01&to=2026-03-10").json()
    assert (api["from"], api["to"]) == ("2026-03-01", "2026-03-10")
    ours = next(s for s in api["sources"] if s["source"] == "kpitest.items")
    assert {rate["key"] for rate in ours["rates"]} == set(kpis.KPIS)
    assert all(rate["denominator"] > 0 and rate["status"] in ("met", "missed") for rate in ours["rates"])
    assert ours["by_agent"] and {row["category"] for row in ours["by_category"]} == {"low", "normal", "high"}


def test_not_yet_due_is_left_out_and_no_data_is_n_a(make_demo_app):
    server = make_demo_app(extra_plugins=[source_plugin()])
    now = dt.datetime.now(UTC)

    async def count(first_due, resolved=None, status="open"):
        site = await Site.get(code="harbour")
        await Task.filter(site=site, type=TYPE).delete()
        await Task.create(site=site, type=TYPE, title="x", status=status, due_at=first_due, resolved_at=resolved,
                          created_at=now - dt.timedelta(hours=1))
        today = kpis.local_today(site)
        return (await kpis.compute_days(site, SOURCE, today - dt.timedelta(days=1), today, now)).rates

    rates = server.call(count, now + dt.timedelta(hours=2))  # open, due in two hours: not counted
    assert rates[kpis.REPLY].denominator == 0 and rates[kpis.REPLY].status == "no_data"
    assert rates[kpis.HANDLING].status == "no_data" and rates[kpis.SATISFACTION].status == "no_data"
    rates = server.call(count, now - dt.timedelta(minutes=1))  # open, past due: counted, missed
    assert (rates[kpis.REPLY].numerator, rates[kpis.REPLY].denominator, rates[kpis.REPLY].status) == (0, 1, "missed")
    rates = server.call(count, now + dt.timedelta(hours=2), now - dt.timedelta(minutes=5), "closed")  # done early
    assert rates[kpis.REPLY].status == "met" and rates[kpis.HANDLING].percentage == Decimal("100.0")
    rates = server.call(count, now + dt.timedelta(hours=2), None, "cancelled")  # cancelled: counted, never standard
    assert (rates[kpis.HANDLING].numerator, rates[kpis.HANDLING].denominator) == (0, 1)


def test_local_days_across_midnight_in_the_sites_zone(make_demo_app):
    """An item a microsecond before Taipei's midnight is the previous local day's, though its
    UTC date (16:00 the day before) says otherwise."""
    server = make_demo_app(extra_plugins=[source_plugin()])

    async def days():
        site = await Site.get(code="harbour")
        midnight = dt.datetime(2026, 3, 2, tzinfo=ZoneInfo("Asia/Taipei")).astimezone(UTC)
        for created in (midnight - MICRO, midnight, midnight + dt.timedelta(hours=23, minutes=59)):
            await Task.create(site=site, type=TYPE, title="x", status="closed", due_at=created, resolved_at=created,
                              created_at=created)
        return [(await kpis.compute_days(site, SOURCE, day, day)).rates[kpis.REPLY].denominator
                for day in (dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 3))]

    assert server.call(days) == [1, 2, 0]


def test_targets_come_from_the_sites_settings(make_demo_app):
    server = make_demo_app(extra_plugins=[source_plugin()])
    admin = server.api_client("admin")
    body = admin.get("/api/v1/sites/harbour/settings").json()
    bad = admin.patch("/api/v1/sites/harbour/settings",
                      json={"version": body["version"], "values": {"kpis": {"on_time_reply_rate": 101}}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "kpis.on_time_reply_rate"
    assert admin.patch("/api/v1/sites/harbour/settings",
                       json={"version": body["version"], "values": {"kpis": {"on_time_reply_rate": "95.5"}}}
                       ).status_code == 200
    sources = admin.get("/api/v1/sites/harbour/kpis").json()["sources"]
    ours = {rate["key"]: rate["target"] for rate in next(s for s in sources if s["source"] == "kpitest.items")["rates"]}
    assert ours == {"on_time_reply_rate": 95.5, "standard_handling_rate": 98.0, "satisfaction_rate": 100.0}
    # the settings page's form for the group, a bad value named beside its field
    browser = server.sign_in("admin")
    assert 'action="/sites/harbour/settings/kpis"' in browser.get("/sites/harbour/settings").text
    version = str(server.call(lambda: Site.get(code="harbour")).version)
    refused = browser.form_post("/sites/harbour/settings/kpis", {
        "kpis.on_time_reply_rate": "abc", "kpis.standard_handling_rate": "97", "kpis.satisfaction_rate": "100",
        "version": version})
    assert refused.status_code == 422 and "kpis.on_time_reply_rate" in refused.text
    saved = browser.form_post("/sites/harbour/settings/kpis", {
        "kpis.on_time_reply_rate": "95.5", "kpis.standard_handling_rate": "97", "kpis.satisfaction_rate": "100",
        "version": version})
    assert saved.status_code == 303
    site = server.call(lambda: Site.get(code="harbour"))
    assert kpis.targets(site)[kpis.HANDLING] == Decimal("97")
    # another site keeps the defaults
    site = server.call(lambda: Site.get(code="lotus"))
    assert kpis.targets(site) == {"on_time_reply_rate": Decimal("99"), "standard_handling_rate": Decimal("98"),
                                  "satisfaction_rate": Decimal("100")}


def test_site_kpis_csv_xlsx_page_and_bad_input(make_demo_app):
    from openpyxl import load_workbook

    server = make_demo_app(extra_plugins=[source_plugin()])

    async def add():
        site = await Site.get(code="harbour")
        created = dt.datetime(2026, 3, 3, 2, tzinfo=UTC)
        await Task.create(site=site, type=TYPE, title="x", status="closed", due_at=created, resolved_at=created,
                          created_at=created, priority="=A1+A2")
        await Task.create(site=site, type=TYPE, title="x", status="open", due_at=created, created_at=created,
                          priority="=A1+A2")

    server.call(add)
    manager = server.api_client("manager")
    url = "/api/v1/sites/harbour/kpis?from=2026-03-01&to=2026-03-10&source=kpitest.items"
    response = manager.get(url + "&format=csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["KPIs"] and rows[1][:4] == ["Source", "Indicator", "Numerator", "Denominator"]
    assert ["Test items", "Replied on time", "1", "2", "50.0", "99.0", "below target"] in rows
    assert ["Test items", "'=A1+A2", "Replied on time", "1", "2", "50.0", "99.0", "below target"] in rows
    book = load_workbook(io.BytesIO(manager.get(url + "&format=xlsx").content))
    assert book.sheetnames == ["KPIs", "By agent", "By category"]
    sheet = [[cell.value for cell in row] for row in book["KPIs"].iter_rows()]
    assert ["Test items", "Customers satisfied", 1, 1, 100, 100, "met"] in sheet
    # bad input: 422 naming the field; none is a 500
    assert manager.get("/api/v1/sites/harbour/kpis?from=2026-03-10&to=2026-03-01").json()["errors"][0]["field"] == "to"
    assert manager.get("/api/v1/sites/harbour/kpis?from=2024-01-01&to=2026-03-01").json()["errors"][0]["field"] == "from"
    assert manager.get("/api/v1/sites/harbour/kpis?from=yesterday").status_code == 422
    assert manager.get("/api/v1/sites/harbour/kpis?source=nope").json()["errors"][0]["field"] == "source"
    assert manager.get("/api/v1/sites/harbour/kpis?format=pdf").status_code == 422
    # the page: red, green and n/a, and a bad period named beside its field
    page = server.sign_in("manager").get("/sites/harbour/kpis?from=2026-03-01&to=2026-03-10")
    assert page.status_code == 200
    assert 'data-status="met"' in page.text and 'data-status="missed"' in page.text and "Test items" in page.text
    page = server.sign_in("manager").get("/sites/harbour/kpis?from=2026-03-10&to=2026-03-01")
    assert page.status_code == 200 and 'id="to-error"' in page.text
    page = server.sign_in("manager").get("/sites/harbour/kpis?from=garbage")
    assert page.status_code == 200 and 'id="from-error"' in page.text and 'value="garbage"' in page.text
    # an agent (no core.kpi.read) sees neither; a source needs its own permission too
    assert server.api_client("agent").get("/api/v1/sites/harbour/kpis").status_code == 403
    sources = [s["source"] for s in server.api_client("supervisor").get("/api/v1/sites/harbour/kpis").json()["sources"]]
    assert "resident.complaints" in sources and "insurance_calls.complaints" in sources


def test_an_empty_period_is_n_a_on_the_page(make_demo_app):
    server = make_demo_app(extra_plugins=[source_plugin()])
    page = server.sign_in("manager").get("/sites/harbour/kpis?from=2020-01-01&to=2020-01-31")
    assert page.status_code == 200 and 'data-status="no_data"' in page.text and "n/a" in page.text
    assert 'data-status="met"' not in page.text
