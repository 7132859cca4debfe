"""Load with nothing lost: several uvicorn workers on PostgreSQL under a mixed workload of
concurrent clients; afterwards every acknowledged write must be in the database.

    python -m bench.soak                      # 2 workers, 64 clients, 60 s
    python -m bench.soak --clients 16 --seconds 10 --backend sqlite

Each client signs in with its own token and loops: create a task (with an
Idempotency-Key), move it along, comment on it, read lists. The client keeps its own
tally of acknowledged writes; the database must hold exactly those (counts and ids), and
no request may fail with a 5xx or a transport error. Servers listen on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

from bench import data, servers
from bench.run import POSTGRES_ADMIN, ROOT


CASHIERS = 8  # of the clients, these work a cash register (cashier plugin) instead of tasks


@dataclass
class Tally:
    sales: dict[int, int] = field(default_factory=dict)  # entry id -> amount in minor units
    created: set[int] = field(default_factory=set)
    transitions: Counter = field(default_factory=Counter)  # task id -> acknowledged transitions
    comments: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    requests: int = 0


async def client_loop(url: str, token: str, deadline: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        mine: list[dict] = []

        async def call(method, path, **kwargs):
            tally.requests += 1
            try:
                response = await client.request(method, path, **kwargs)
            except httpx.HTTPError as error:
                tally.errors.append(f"{method} {path}: {error!r}")
                return None
            tally.statuses[response.status_code] += 1
            if response.status_code >= 500:
                tally.errors.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
                return None
            return response

        while time.monotonic() < deadline:
            roll = rng.random()
            if roll < 0.35 or not mine:
                key = str(uuid.uuid4())
                body = {"type": "core.general", "title": f"Soak {key[:8]}", "priority": rng.choice(["low", "normal", "high"])}
                response = await call("POST", "/api/v1/sites/bench/tasks", json=body, headers={"Idempotency-Key": key})
                if response is not None and response.status_code == 201:
                    task = response.json()
                    tally.created.add(task["id"])
                    mine.append(task)
                    if rng.random() < 0.1:  # a retry of the same request must not create a second task
                        again = await call("POST", "/api/v1/sites/bench/tasks", json=body, headers={"Idempotency-Key": key})
                        if again is not None and again.json().get("id") != task["id"]:
                            tally.errors.append("an idempotent retry created a second task")
            elif roll < 0.6:
                task = rng.choice(mine)
                allowed = {"open": ["in_progress"], "in_progress": ["waiting", "resolved"], "waiting": ["in_progress"],
                           "resolved": ["closed", "in_progress"]}.get(task["status"], [])
                if not allowed:
                    mine.remove(task)
                    continue
                response = await call("POST", f"/api/v1/sites/bench/tasks/{task['id']}/transition",
                                      json={"to": rng.choice(allowed), "version": task["version"]})
                if response is not None and response.status_code == 200:
                    mine[mine.index(task)] = response.json()
                    tally.transitions[task["id"]] += 1
            elif roll < 0.75:
                task = rng.choice(mine)
                response = await call("POST", f"/api/v1/sites/bench/tasks/{task['id']}/comments",
                                      json={"body": "Called back; resident confirmed the visit."})
                if response is not None and response.status_code == 201:
                    tally.comments[task["id"]] += 1
            else:
                await call("GET", "/api/v1/sites/bench/tasks", params={"open": "true", "limit": 50})


async def cashier_loop(url: str, token: str, shift_id: int, deadline: float, tally: Tally, seed: int) -> None:
    """Post cash and card sales to one open shift; a tenth are retried with the same key."""
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        while time.monotonic() < deadline:
            minor = rng.randint(100, 500_000)
            body = {"kind": "sale", "amount": f"{minor // 100}.{minor % 100:02d}", "method": rng.choice(["cash", "card"])}
            key = str(uuid.uuid4())
            for _attempt in range(2 if rng.random() < 0.1 else 1):
                tally.requests += 1
                try:
                    response = await client.post(f"/api/v1/sites/bench/cashier/shifts/{shift_id}/transactions",
                                                 json=body, headers={"Idempotency-Key": key})
                except httpx.HTTPError as error:
                    tally.errors.append(f"sale: {error!r}")
                    continue
                tally.statuses[response.status_code] += 1
                if response.status_code >= 500:
                    tally.errors.append(f"sale: {response.status_code} {response.text[:200]}")
                elif response.status_code == 201:
                    tally.sales[response.json()["id"]] = minor  # a replay names the same entry


async def open_shifts(url: str, supervisor_token: str, cashier_tokens: list[str]) -> list[int]:
    shifts = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for number, token in enumerate(cashier_tokens):
            register = await client.post("/api/v1/sites/bench/cashier/registers", json={"name": f"Soak till {number}"},
                                         headers={"Authorization": f"Bearer {supervisor_token}",
                                                  "Idempotency-Key": str(uuid.uuid4())})
            register.raise_for_status()
            shift = await client.post("/api/v1/sites/bench/cashier/shifts",
                                      json={"register_id": register.json()["id"], "opening_count": {"1000": 5}},
                                      headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})
            shift.raise_for_status()
            shifts.append(shift.json()["id"])
    return shifts


async def load(url: str, tokens: list[str], seconds: int, cashier_tokens: list[str] = (),
               shift_ids: list[int] = ()) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds
    workers = [client_loop(url, tokens[i % len(tokens)], deadline, tally, seed=i) for i in range(len(tokens))]
    workers += [cashier_loop(url, token, shift, deadline, tally, seed=1000 + i)
                for i, (token, shift) in enumerate(zip(cashier_tokens, shift_ids, strict=False))]
    await asyncio.gather(*workers)
    return tally


async def reconcile(database_url: str, tally: Tally) -> list[str]:
    """What the database holds against what the clients were told."""
    from core.database import open_database
    from core.plugins import load_plugins
    from core.tasks.models import Task, TaskEvent

    problems = []
    async with open_database(data.settings_for(database_url), load_plugins()):
        stored = set(await Task.filter(title__startswith="Soak ").values_list("id", flat=True))
        if stored != tally.created:
            problems.append(f"tasks: {len(tally.created)} acknowledged, {len(stored)} stored, "
                            f"{len(tally.created - stored)} missing, {len(stored - tally.created)} unacknowledged extra")
        created_events = await TaskEvent.filter(kind="created", task_id__in=list(stored)).count()
        if created_events != len(stored):
            problems.append(f"{len(stored) - created_events} task(s) without their 'created' event")
        transitions = await TaskEvent.filter(kind__in=["transitioned", "reopened"], task_id__in=list(stored)).count()
        if transitions != sum(tally.transitions.values()):
            problems.append(f"transitions: {sum(tally.transitions.values())} acknowledged, {transitions} stored")
        comments = await TaskEvent.filter(kind="commented", task_id__in=list(stored)).count()
        if comments != sum(tally.comments.values()):
            problems.append(f"comments: {sum(tally.comments.values())} acknowledged, {comments} stored")
        if tally.sales:
            from plugins.cashier.models import Entry

            entries = dict(await Entry.filter(id__in=list(tally.sales)).values_list("id", "amount"))
            if entries != tally.sales:
                problems.append(f"cash sales: {len(tally.sales)} acknowledged summing {sum(tally.sales.values())}, "
                                f"{len(entries)} stored summing {sum(entries.values())}")
            shifts = set(await Entry.filter(id__in=list(tally.sales)).values_list("shift_id", flat=True))
            extra = await Entry.filter(shift_id__in=list(shifts), kind="sale").exclude(id__in=list(tally.sales)).count()
            if extra:
                problems.append(f"{extra} sale(s) stored that no client was told about (a duplicate?)")
    return problems


async def make_cashiers(url: str, count: int) -> None:
    """bench40.. become cashiers at the bench site (through the identity services)."""
    from core.database import open_database
    from core.entities.models import Site
    from core.identity import services as identity
    from core.identity.models import Role, User
    from core.plugins import load_plugins

    async with open_database(data.settings_for(url), load_plugins()):
        site = await Site.get(code="bench")
        role = await Role.get(name="cashier")
        for number in range(count):
            await identity.grant_membership(await User.get(username=f"bench{40 + number:02d}"), site, role)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=60)
    arguments = parser.parse_args()
    if arguments.backend == "postgres":
        url = data.fresh_postgres(POSTGRES_ADMIN, "frontdesk_soak")
    else:
        path = ROOT / "var" / "bench" / "soak.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        url = f"sqlite://{path}"
    ids = asyncio.run(data.prepare_database(url))
    cashiers = min(CASHIERS, arguments.clients // 2)
    asyncio.run(make_cashiers(url, cashiers))
    with servers.serve(url, workers=arguments.workers) as server:
        task_clients = arguments.clients - cashiers
        tokens = [servers.token(server, f"bench{n:02d}", data.PASSWORD) for n in range(min(task_clients, 40))]
        tokens = [tokens[i % len(tokens)] for i in range(task_clients)]
        cashier_tokens = [servers.token(server, f"bench{40 + n:02d}", data.PASSWORD) for n in range(cashiers)]
        shift_ids = asyncio.run(open_shifts(server, servers.token(server, "benchsup", data.PASSWORD), cashier_tokens))
        started = time.monotonic()
        tally = asyncio.run(load(server, tokens, arguments.seconds, cashier_tokens, shift_ids))
        elapsed = time.monotonic() - started
    problems = tally.errors[:20] + asyncio.run(reconcile(url, tally))
    report = {
        "backend": arguments.backend, "workers": arguments.workers, "clients": arguments.clients,
        "seconds": round(elapsed, 1), "requests": tally.requests, "requests_per_second": round(tally.requests / elapsed),
        "statuses": dict(sorted(tally.statuses.items())), "tasks_created": len(tally.created),
        "transitions": sum(tally.transitions.values()), "comments": sum(tally.comments.values()),
        "cash_sales": len(tally.sales), "cash_sales_sum_minor": sum(tally.sales.values()),
        "errors": len(tally.errors), "problems": problems, "agents": len(ids["agent_ids"]),
    }
    print(json.dumps(report, indent=2))
    if arguments.backend == "postgres":
        data.drop_postgres(POSTGRES_ADMIN, "frontdesk_soak")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
