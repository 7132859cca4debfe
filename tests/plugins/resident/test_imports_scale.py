"""20,000 households and 20,000 opening balances from one XLSX each: a dry run finds no
error and the import writes every row (issue 21). How long it takes is measured by the
bench (bench/scenarios/imports.py, docs/performance.md), not asserted here: a timed
assertion fails on a busy machine, not on slow code."""

import time

import pytest

from core.actors import Actor
from core.entities.models import Site, Unit
from core.exports import xlsx_bytes
from core.imports import services as imports
from plugins.resident.models import Bill, Household, Member

ROWS = 20_000


@pytest.mark.slow
def test_twenty_thousand_households_and_balances_load_from_one_xlsx_each(demo_server):
    host = demo_server.app.state.host
    codes = [f"T{number:05d}" for number in range(ROWS)]
    households = xlsx_bytes([("households", ["单位编号", "姓名", "关系", "电话", "面积"],
                              [[code, f"住戶 {code}", "业主", f"09{number:08d}", "68.50"]
                               for number, code in enumerate(codes)])])
    balances = xlsx_bytes([("balances", ["單位編號", "期間", "欠款"], [[code, "2020-01", "1234.50"] for code in codes])])

    async def load():
        site = await Site.create(code="scale", name="Twenty thousand units", kind="residential")
        await Unit.bulk_create([Unit(site_id=site.id, code=code, kind="apartment") for code in codes], batch_size=500)
        actor = Actor(None, site)
        timings = {}
        for key, data in (("resident.households", households), ("resident.fee_balances", balances)):
            started = time.perf_counter()
            dry = await imports.run_import(host, key, site, data, actor=actor, dry_run=True)
            done = await imports.run_import(host, key, site, data, actor=actor, dry_run=False)
            timings[key] = time.perf_counter() - started
            assert dry.errors == [] and done.created == ROWS, key
        counts = (await Household.filter(site_id=site.id).count(), await Member.filter(household__site_id=site.id).count(),
                  await Bill.filter(site_id=site.id, outstanding_minor=123450).count())
        return timings, counts

    timings, counts = demo_server.call(load)
    print(f"\n20,000 rows, dry run + import: {timings}")
    assert counts == (ROWS, ROWS, ROWS)
