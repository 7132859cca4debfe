"""Cashier benchmarks.

- closing and reporting (JSON and CSV) a shift of 10,000 ledger entries (p50 < 200 ms each);
- 240 concurrent money posts to one shift, 200 distinct keys plus repeats of 40: the count
  and the sum must come out exact (nothing lost, nothing duplicated).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench import loadgen
from bench.data import PASSWORD
from bench.scenarios import Section

TITLE = "Cashier"
TARGETS = ("closing and reporting a shift of 10,000 entries p50 < 200 ms; 240 concurrent money posts to one shift "
           "(distinct keys plus repeats) lose and duplicate nothing")
FULL_ENTRIES = 10_000
SHIFTS = 8
CONCURRENT_POSTS = 200
REPEATS = 40
#: Issue target, in milliseconds.
P50_MS = 200


async def prepare(url: str, ids: dict, scale: float) -> dict:
    from core.entities.models import Site
    from core.identity import services as identity
    from core.identity.models import Role
    from core.actors import Actor
    from core.events import EventBus
    from core.plugins import load_plugins
    from core.tasks.services import TaskKernel
    from plugins.cashier import services
    from plugins.cashier.models import Entry, Shift

    kernel = TaskKernel(load_plugins(), EventBus())  # no app here: live events reach nobody
    site = await Site.get(id=ids["site_id"])
    roles = {role.name: role for role in await Role.all()}
    entries = max(200, int(FULL_ENTRIES * scale))
    shift_ids, cashiers = [], []
    for number in range(SHIFTS + 1):
        user = await identity.create_user(f"benchcash{number:02d}", PASSWORD)
        await identity.grant_membership(user, site, roles["cashier"])
        cashiers.append(user.username)
        register = await services.create_register(site, f"Bench till {number}", Actor(user))
        shift = await services.open_shift(kernel, site, register, Actor(user), {"1000": 5})
        if number == SHIFTS:
            continue  # the last one takes the concurrent posts
        now = dt.datetime.now(dt.timezone.utc)
        kinds = ("sale", "sale", "sale", "refund", "paid_in", "paid_out")
        methods = ("cash", "card", "mobile", "cash")
        rows = [Entry(site_id=site.id, shift_id=shift.id, kind=kinds[i % len(kinds)], method=methods[i % len(methods)],
                      amount=100 + (i % 97) * 5, reference=f"R{i:06d}", created_by_id=user.id, created_at=now,
                      idempotency_key=f"bench-{shift.id}-{i}")
                for i in range(entries)]
        for start in range(0, len(rows), 2000):
            await Entry.bulk_create(rows[start:start + 2000])
        await Shift.filter(id=shift.id).update(entry_count=entries)
        shift_ids.append(shift.id)
    last = await Shift.filter(cashier__username=cashiers[-1]).first()
    return {"entries": entries, "shift_ids": shift_ids, "cashiers": cashiers, "concurrent_shift": last.id,
            "ids": ids}


def _token(url: str, username: str) -> str:
    response = httpx.post(f"{url}/api/v1/auth/token", json={"username": username, "password": PASSWORD}, timeout=30)
    response.raise_for_status()
    return response.json()["token"]


def measure(server_url: str, database_url: str, backend: str, context: dict, seconds: int) -> Section:
    base = f"{server_url}/api/v1/sites/bench/cashier"
    section = Section(sizes={"entries per shift": context["entries"], "shifts closed": len(context["shift_ids"])})
    sup = {"Authorization": f"Bearer {_token(server_url, 'benchsup')}"}
    close_ms, report_ms = [], []
    with httpx.Client(timeout=60) as client:
        for shift_id, username in zip(context["shift_ids"], context["cashiers"], strict=False):
            auth = {"Authorization": f"Bearer {_token(server_url, username)}"}
            version = client.get(f"{base}/shifts/{shift_id}", headers=auth).json()["version"]
            started = time.perf_counter()
            response = client.post(f"{base}/shifts/{shift_id}/close", headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
                                   json={"counted": {"1000": 5}, "float_left": "5000", "version": version})
            close_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
            started = time.perf_counter()
            response = client.get(f"{base}/shifts/{shift_id}/report", headers=sup)
            report_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200 and len(response.json()["entries"]) == context["entries"]
    section.notes.append(
        f"Close a shift of {context['entries']:,} entries: p50 {statistics.median(close_ms):.1f} ms, "
        f"max {max(close_ms):.1f} ms; its JSON report: p50 {statistics.median(report_ms):.1f} ms, "
        f"max {max(report_ms):.1f} ms ({len(close_ms)} shifts, one client).")
    report_url = f"{base}/shifts/{context['shift_ids'][0]}/report"
    section.results.append(loadgen.wrk(f"GET shift report, {context['entries']:,} entries (1 connection)", report_url,
                                       seconds=seconds, headers=sup, connections=1))
    section.results.append(loadgen.wrk(f"GET shift report CSV, {context['entries']:,} entries (1 connection)",
                                       report_url + "?format=csv", seconds=seconds, headers=sup, connections=1))
    note, exact = concurrent_posts(base, server_url, context, sup)
    section.notes.append(note)
    closing = statistics.median(close_ms)
    section.check("cashier", f"closing a shift of 10,000 entries p50 < {P50_MS} ms", f"{closing:.1f} ms",
                  closing < P50_MS)
    for result, what in zip(section.results, ("JSON", "CSV"), strict=True):
        section.check("cashier", f"shift report ({what}) of 10,000 entries p50 < {P50_MS} ms",
                      f"{result.p50_ms:.1f} ms", result.errors == 0 and result.p50_ms < P50_MS)
    section.check("cashier", f"{CONCURRENT_POSTS + REPEATS} concurrent posts to one shift: none lost or duplicated",
                  "exact" if exact else "MISMATCH", exact)
    return section


def concurrent_posts(base: str, server_url: str, context: dict, sup: dict) -> tuple[str, bool]:
    """A note on the concurrent posts, and whether the count and the sum came out exact."""
    shift_id = context["concurrent_shift"]
    auth = {"Authorization": f"Bearer {_token(server_url, context['cashiers'][-1])}"}
    keys = [uuid.uuid4().hex for _ in range(CONCURRENT_POSTS)]
    work = keys + keys[:REPEATS]
    amounts = {key: f"{(number % 50) + 1}.{number % 100:02d}" for number, key in enumerate(keys)}

    def send(key: str) -> int:
        with httpx.Client(timeout=60) as client:
            return client.post(f"{base}/shifts/{shift_id}/transactions", headers={**auth, "Idempotency-Key": key},
                               json={"kind": "sale", "amount": amounts[key], "method": "cash"}).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(50) as pool:
        codes = list(pool.map(send, work))
    elapsed = time.perf_counter() - started
    with httpx.Client(timeout=60) as client:
        shift = client.get(f"{base}/shifts/{shift_id}", headers=sup).json()
    expected_minor = 500000 + sum(int(a.replace(".", "")) for a in amounts.values())
    got_minor = int(shift["expected_cash"].replace(".", ""))
    exact = shift["entry_count"] == CONCURRENT_POSTS and got_minor == expected_minor
    return (f"{len(work)} concurrent posts ({CONCURRENT_POSTS} keys, {REPEATS} repeated) in {elapsed:.2f} s, statuses "
            f"{sorted(set(codes))}: {shift['entry_count']} entries, expected cash {shift['expected_cash']} "
            f"({'exact' if exact else 'MISMATCH'})."), exact
