"""A manager of 300 sites against a manager of one: the same requests at the same site.

Issue 16 found every request of a manager with 303 memberships loading 16,059 permission
rows (``GET units/1`` at 63–135 ms instead of 5–8 ms). Here ``benchmany`` is a manager at
the bench site and at 299 others (made through the services, as an installation makes
them), and ``benchmgr`` (bench/data.py) a manager at the bench site only. Both ask for
the same things there, back to back and interleaved (bench.back_to_back): one connection
gives the server's own time per request (p50), eight its throughput.
"""

from __future__ import annotations

import httpx

from bench import back_to_back, servers
from bench.data import PASSWORD
from bench.scenarios import Section

TITLE = "Many site memberships"
TARGETS = "a user with 300 site memberships: any request within 1.2× of the same request by a one-site user"
MEMBERSHIPS = 300  # not scaled: the target is about this number, and 300 sites are quick to make
WITHIN = 1.2
MANY, ONE = "benchmany", "benchmgr"


async def prepare(url: str, ids: dict, scale: float) -> dict:
    from core.entities import services as entities
    from core.entities.models import Site
    from core.identity import services as identity
    from core.identity.models import Role

    manager = await Role.get(name="manager")
    user = await identity.create_user(MANY, PASSWORD)
    await identity.grant_membership(user, await Site.get(id=ids["site_id"]), manager)
    for number in range(1, MEMBERSHIPS):
        site = await entities.create_site({"code": f"member-{number:03d}", "name": f"Member site {number}",
                                           "kind": "residential", "timezone": "Asia/Taipei", "currency": "TWD"})
        await identity.grant_membership(user, site, manager)
    return {"memberships": MEMBERSHIPS}


def _some_unit(base: str, headers: dict) -> int:
    """A unit of the bench site (the resident scenario's, or one made here when it did not run)."""
    with httpx.Client(headers=headers, timeout=30) as client:
        units = client.get(f"{base}/units?limit=1")
        units.raise_for_status()
        if units.json()["items"]:
            return units.json()["items"][0]["id"]
        created = client.post(f"{base}/units", json={"code": "MEMBERS-1", "kind": "apartment"})
        created.raise_for_status()
        return created.json()["id"]


def measure(server_url: str, database_url: str, backend: str, context: dict, seconds: int) -> Section:
    base = f"{server_url}/api/v1/sites/bench"
    auth = {user: {"Authorization": f"Bearer {servers.token(server_url, user, PASSWORD)}"} for user in (ONE, MANY)}
    requests = [("GET units/{id}", f"{base}/units/{_some_unit(base, auth[ONE])}"),
                ("GET tasks, page of 50", f"{base}/tasks?limit=50")]
    section = Section(sizes={"site memberships of the manager of many": context["memberships"]})
    for label, url in requests:
        timed, loaded = {}, {}
        for connections, results in ((1, timed), (8, loaded)):
            suffix = "1 connection" if connections == 1 else f"{connections} connections"
            results[ONE], results[MANY] = back_to_back.compare(
                back_to_back.Load(f"{label} by the manager of one site ({suffix})", url, auth[ONE]),
                back_to_back.Load(f"{label} by the manager of {MEMBERSHIPS} sites ({suffix})", url, auth[MANY]),
                seconds=seconds, connections=connections)
        section.results += [timed[ONE], timed[MANY], loaded[ONE], loaded[MANY]]
        slower = timed[MANY].p50_ms / timed[ONE].p50_ms if timed[ONE].p50_ms else float("inf")
        throughput = loaded[MANY].rps / loaded[ONE].rps if loaded[ONE].rps else 0.0
        clean = not any(result.errors for result in (*timed.values(), *loaded.values()))
        section.check("memberships", f"{label}: {MEMBERSHIPS}-site user within {WITHIN}× of a one-site user",
                      f"p50 {slower:.2f}×, requests/s {throughput:.2f}×",
                      clean and slower <= WITHIN and throughput >= 1 / WITHIN)
    section.notes.append(f"Ratios are the 300-site user's over the one-site user's: p50 at 1 connection (at most "
                         f"{WITHIN}×) and requests/s at 8 (at least 1/{WITHIN}). GET /api/v1/me and GET "
                         "/api/v1/sites list every membership, so they grow with the sites by design: not compared.")
    return section
