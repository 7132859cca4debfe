"""Crash consistency: kill -9 the server at random moments during writes, many rounds,
on SQLite (WAL, synchronous=FULL) and PostgreSQL. After each restart the database must
pass its integrity check and Frontdesk's (`frontdesk integrity`: no half-written task,
shift or case, the plugins' reconciliation checks), and every write the server
acknowledged before dying must be there.

    python -m bench.crash                     # 30 rounds on each backend
    python -m bench.crash --rounds 5 --backends sqlite

Servers listen on 127.0.0.1 only; each round lasts a few seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid

import httpx

from bench import data, servers
from bench.run import POSTGRES_ADMIN, ROOT

WRITERS = 8


async def write_until_killed(url: str, token: str, acknowledged: dict, stop: asyncio.Event, seed: int) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=5) as client:
        tasks: list[dict] = []
        while not stop.is_set():
            try:
                if not tasks or rng.random() < 0.6:
                    response = await client.post("/api/v1/sites/bench/tasks", headers={"Idempotency-Key": str(uuid.uuid4())},
                                                  json={"type": "core.general", "title": f"Crash probe {uuid.uuid4().hex[:6]}"})
                    if response.status_code == 201:
                        task = response.json()
                        acknowledged["tasks"].add(task["id"])
                        tasks.append(task)
                else:
                    task = rng.choice(tasks)
                    response = await client.post(f"/api/v1/sites/bench/tasks/{task['id']}/comments",
                                                  json={"body": "checked"})
                    if response.status_code == 201:
                        acknowledged["comments"][task["id"]] = acknowledged["comments"].get(task["id"], 0) + 1
            except httpx.HTTPError:
                await asyncio.sleep(0.01)  # the server is gone: keep trying until told to stop


async def sell_until_killed(url: str, token: str, shift_id: int, acknowledged: dict, stop: asyncio.Event,
                            seed: float) -> None:
    """Cash sales on an open shift: every 201 must survive, and the ledger must reconcile."""
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=5) as client:
        while not stop.is_set():
            minor = rng.randint(100, 100_000)
            try:
                response = await client.post(f"/api/v1/sites/bench/cashier/shifts/{shift_id}/transactions",
                                             headers={"Idempotency-Key": str(uuid.uuid4())},
                                             json={"kind": "sale", "amount": f"{minor // 100}.{minor % 100:02d}",
                                                   "method": "cash"})
                if response.status_code == 201:
                    acknowledged["sales"][response.json()["id"]] = minor
            except httpx.HTTPError:
                await asyncio.sleep(0.01)


async def one_round(url: str, token: str, acknowledged: dict, process: subprocess.Popen, rng: random.Random,
                    cashier: tuple[str, int] | None = None) -> None:
    stop = asyncio.Event()
    writers = [asyncio.create_task(write_until_killed(url, token, acknowledged, stop, rng.random())) for _ in range(WRITERS)]
    if cashier is not None:
        writers.append(asyncio.create_task(sell_until_killed(url, cashier[0], cashier[1], acknowledged, stop,
                                                             rng.random())))
    await asyncio.sleep(rng.uniform(0.3, 2.0))
    os.kill(process.pid, signal.SIGKILL)  # no shutdown, no flush: a power cut for the process
    process.wait()
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.gather(*writers)


def start(database_url: str, port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "uvicorn", "core.app:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "critical", "--no-access-log", "--loop", "uvloop"]
    process = subprocess.Popen(command, cwd=ROOT, env=servers.environment(database_url), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not come back after the crash")


async def verify(database_url: str, acknowledged: dict) -> list[str]:
    from core.database import open_database
    from core.integrity import problems_of, run_checks
    from core.plugins import load_plugins
    from core.tasks.models import Task, TaskEvent

    host = load_plugins()
    settings = data.settings_for(database_url)
    async with open_database(settings, host):
        problems = problems_of(await run_checks(host, settings.is_sqlite))
        stored = set(await Task.filter(id__in=list(acknowledged["tasks"])).values_list("id", flat=True))
        if len(stored) != len(acknowledged["tasks"]):
            problems.append(f"{len(acknowledged['tasks']) - len(stored)} acknowledged task(s) lost")
        for task_id, count in acknowledged["comments"].items():
            if await TaskEvent.filter(task_id=task_id, kind="commented").count() < count:
                problems.append(f"acknowledged comment(s) on task {task_id} lost")
        if acknowledged["sales"]:
            from plugins.cashier.models import Entry

            stored = dict(await Entry.filter(id__in=list(acknowledged["sales"])).values_list("id", "amount"))
            if stored != acknowledged["sales"]:
                problems.append(f"{len(acknowledged['sales']) - len(stored)} acknowledged cash sale(s) lost or changed")
    return problems


def run_backend(backend: str, rounds: int) -> dict:
    if backend == "postgres":
        url = data.fresh_postgres(POSTGRES_ADMIN, "frontdesk_crash")
    else:
        path = ROOT / "var" / "bench" / "crash.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        url = f"sqlite://{path}"
    asyncio.run(data.prepare_database(url))
    from bench.soak import make_cashiers, open_shifts

    asyncio.run(make_cashiers(url, 1))  # bench40 works a till through every crash
    port = servers.free_port()
    server_url = f"http://127.0.0.1:{port}"
    acknowledged = {"tasks": set(), "comments": {}, "sales": {}}
    rng = random.Random(2026)
    failures = []
    cashier = None
    for number in range(1, rounds + 1):
        process = start(url, port)
        token = servers.token(server_url, f"bench{number % 40:02d}", data.PASSWORD)
        if cashier is None:
            cashier_token = servers.token(server_url, "bench40", data.PASSWORD)
            supervisor = servers.token(server_url, "benchsup", data.PASSWORD)
            cashier = (cashier_token, asyncio.run(open_shifts(server_url, supervisor, [cashier_token]))[0])
        else:
            cashier = (servers.token(server_url, "bench40", data.PASSWORD), cashier[1])
        asyncio.run(one_round(server_url, token, acknowledged, process, rng, cashier))
        problems = asyncio.run(verify(url, acknowledged))
        if problems:
            failures.append({"round": number, "problems": problems[:10]})
    # Close the till that lived through every crash, then check once more: the cashier
    # reconciliation recomputes the closed shift from its ledger and counts.
    process = start(url, port)
    try:
        shift = httpx.get(f"{server_url}/api/v1/sites/bench/cashier/shifts/{cashier[1]}",
                          headers={"Authorization": f"Bearer {cashier[0]}"}, timeout=30).json()
        closed = httpx.post(f"{server_url}/api/v1/sites/bench/cashier/shifts/{cashier[1]}/close", timeout=30,
                            headers={"Authorization": f"Bearer {cashier[0]}", "Idempotency-Key": str(uuid.uuid4())},
                            json={"counted": {"1000": 5}, "float_left": "5000.00", "version": shift["version"]})
        if closed.status_code != 200:
            failures.append({"round": "close", "problems": [f"closing the till: {closed.status_code} {closed.text[:200]}"]})
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait()
    problems = asyncio.run(verify(url, acknowledged))
    if problems:
        failures.append({"round": "after close", "problems": problems[:10]})
    if backend == "postgres":
        data.drop_postgres(POSTGRES_ADMIN, "frontdesk_crash")
    return {"backend": backend, "rounds": rounds, "acknowledged_tasks": len(acknowledged["tasks"]),
            "acknowledged_comments": sum(acknowledged["comments"].values()),
            "acknowledged_cash_sales": len(acknowledged["sales"]),
            "acknowledged_cash_minor": sum(acknowledged["sales"].values()), "failures": failures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", type=lambda s: s.split(","), default=["sqlite", "postgres"])
    parser.add_argument("--rounds", type=int, default=30)
    arguments = parser.parse_args()
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")  # one backend per interpreter (Tortoise caches SQL per dialect)
    reports = []
    for backend in arguments.backends:
        with spawn.Pool(1) as pool:
            reports.append(pool.apply(run_backend, (backend, arguments.rounds)))
    print(json.dumps(reports, indent=2))
    sys.exit(1 if any(report["failures"] for report in reports) else 0)


if __name__ == "__main__":
    main()
