"""KPI statuses on the page are told by sign and words, not colour alone (issue 22): a
miss is red with a cross, a met target green with a tick, no data grey "n/a", never met."""

import datetime as dt

from core.entities.models import Site
from core.tasks.models import Task
from tests.core.test_kpis import TYPE, source_plugin

UTC = dt.timezone.utc


def test_met_missed_and_n_a_carry_class_sign_and_words(make_demo_app):
    server = make_demo_app(extra_plugins=[source_plugin()])

    async def add():
        site = await Site.get(code="harbour")
        created = dt.datetime(2026, 3, 3, 2, tzinfo=UTC)
        await Task.create(site=site, type=TYPE, title="x", status="closed", due_at=created, resolved_at=created,
                          created_at=created)
        await Task.create(site=site, type=TYPE, title="x", status="open", due_at=created, created_at=created)

    server.call(add)
    page = server.sign_in("manager").get("/sites/harbour/kpis?from=2026-03-01&to=2026-03-10").text
    assert 'class="kpi-status kpi-missed overdue" data-status="missed"><span aria-hidden="true">✗</span> below target' in page
    assert 'class="kpi-status kpi-met status-resolved" data-status="met"><span aria-hidden="true">✓</span> met' in page
    empty = server.sign_in("manager").get("/sites/harbour/kpis?from=2020-01-01&to=2020-01-31").text
    assert 'class="kpi-status kpi-na status-cancelled" data-status="no_data"><span aria-hidden="true">–</span> n/a' in empty
    assert "kpi-met" not in empty.split("<main", 1)[-1]
