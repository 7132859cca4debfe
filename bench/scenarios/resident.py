"""Resident service benchmarks on an estate of 20,000 units.

- a billing run for one period (one bill per unit, created once);
- the arrears list with its age buckets (page of 50);
- distributing a revisit campaign of 5,000 households over 10 agents.
"""

from __future__ import annotations

import statistics
import time

import httpx

from bench import loadgen, servers
from bench.data import PASSWORD
from bench.scenarios import Section

TITLE = "Resident service"
TARGETS = ("for 20,000 units: a billing run < 5 s; the arrears list p50 < 100 ms; distributing a campaign of "
           "5,000 households over 10 agents < 1 s")
FULL_UNITS = 20_000
FULL_CAMPAIGN = 5_000
AGENTS = 10


async def prepare(url: str, ids: dict, scale: float) -> dict:
    from decimal import Decimal

    from core.entities.models import Site, Unit
    from core.identity import services as identity
    from core.identity.models import Role, User
    from plugins.resident import fees
    from plugins.resident.models import Household

    units = max(200, int(FULL_UNITS * scale))
    site = await Site.get(id=ids["site_id"])
    supervisor = await User.get(id=ids["supervisor_id"])
    await identity.grant_membership(supervisor, site, await Role.get(name="manager"))
    rows = [Unit(site_id=site.id, code=f"{'ABCDEFGHIJ'[n % 10]}-{n:06d}", kind="apartment",
                 building=f"Tower {'ABCDEFGHIJ'[n % 10]}", floor=str(n % 30 + 1)) for n in range(units)]
    for start in range(0, units, 1000):
        await Unit.bulk_create(rows[start:start + 1000])
    unit_ids = list(await Unit.filter(site_id=site.id).order_by("id").values_list("id", flat=True))
    households = [Household(site_id=site.id, unit_id=unit_id, area=Decimal(50 + n % 60)) for n, unit_id in enumerate(unit_ids)]
    for start in range(0, len(households), 1000):
        await Household.bulk_create(households[start:start + 1000])
    from core.actors import Actor

    await fees.set_schedule(site, {"unit_kind": "apartment", "fixed": "800", "per_sqm": "30"}, Actor(supervisor))
    # Two past periods billed so the arrears list has age buckets to fill.
    for period in ("2026-01", "2026-02"):
        await fees.billing_run(site, period, Actor(supervisor))
    campaign_size = max(50, int(FULL_CAMPAIGN * scale))
    return {"units": units, "campaign_units": unit_ids[:campaign_size]}


def _timed(client: httpx.Client, method: str, url: str, **kwargs) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.request(method, url, **kwargs)
    return (time.perf_counter() - started) * 1000, response


def _single(name: str, timings: list[float], errors: int) -> loadgen.Result:
    ordered = sorted(timings)
    return loadgen.Result(name=name, requests=len(ordered), rps=0.0, p50_ms=statistics.median(ordered),
                          p99_ms=ordered[-1], errors=errors)


def measure(server_url: str, database_url: str, backend: str, context: dict, seconds: int) -> Section:
    token = servers.token(server_url, "benchsup", PASSWORD)
    auth = {"Authorization": f"Bearer {token}"}
    base = f"{server_url}/api/v1/sites/bench/resident"
    results, notes = [], []
    with httpx.Client(headers=auth, timeout=120) as client:
        billing, errors, created = [], 0, 0
        for period in ("2026-03", "2026-04", "2026-03"):  # the repeat must create nothing
            elapsed, response = _timed(client, "POST", f"{base}/billing-runs", json={"period": period})
            billing.append(elapsed)
            errors += response.status_code != 201
            created = response.json().get("created", -1) if response.status_code == 201 else -1
        results.append(_single(f"POST billing run, {context['units']:,} units (2 periods + 1 repeat)", billing, errors))
        notes.append(f"The repeated billing run for 2026-03 created {created} bills.")
        agents = context["ids"]["agent_ids"][:AGENTS]
        distribute, errors = [], 0
        for number in range(3):
            response = client.post(f"{base}/campaigns", json={
                "name": f"Bench campaign {number}", "agent_ids": agents,
                "rule": {"kind": "manual", "unit_ids": context["campaign_units"]}})
            elapsed, response = _timed(client, "POST", f"{base}/campaigns/{response.json()['id']}/distribute")
            distribute.append(elapsed)
            errors += response.status_code != 200
            loads = list(response.json().get("loads", {}).values()) or [0]
        results.append(_single(f"POST distribute {len(context['campaign_units']):,} households over {AGENTS} agents",
                               distribute, errors))
        notes.append(f"Open revisit loads after the third campaign: min {min(loads)}, max {max(loads)}.")
    results.append(loadgen.wrk("GET arrears with age buckets, page of 50 (1 connection)",
                               f"{base}/arrears?as_of=2026-05-20&limit=50", seconds=seconds, headers=auth, connections=1))
    results.append(loadgen.wrk("GET arrears with age buckets, page of 50 (8 connections)",
                               f"{base}/arrears?as_of=2026-05-20&limit=50", seconds=seconds, headers=auth))
    return Section(results=results, notes=notes, sizes={"units": context["units"], "households": context["units"],
                                                        "bills": context["units"] * 4})
