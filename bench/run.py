"""`make bench`: generate data, load a real server on loopback, write docs/performance.md.

    python -m bench.run                       # full sizes, SQLite and PostgreSQL
    python -m bench.run --scale 0.01          # 1% of the sizes (a quick look)
    python -m bench.run --backends sqlite --seconds 5

Every run is bounded: each load lasts --seconds, data sizes are fixed by --scale, and
every server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import time
from pathlib import Path

from bench import data, machine, servers, tasks_bench

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN = os.environ.get("FRONTDESK_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
FULL_TASKS = 1_000_000
EVENTS_PER_TASK = 10


def backend_database(backend: str, workdir: Path) -> str:
    if backend == "sqlite":
        path = workdir / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite://{path}"
    return data.fresh_postgres(POSTGRES_ADMIN, "frontdesk_bench")


def run_backend(backend: str, scale: float, seconds: int, workdir: Path) -> dict:
    url = backend_database(backend, workdir)
    tasks = max(1000, int(FULL_TASKS * scale))
    started = time.monotonic()
    ids = asyncio.run(data.prepare_database(url))
    if backend == "sqlite":
        data.fill_sqlite(Path(url[len("sqlite://"):]), tasks, EVENTS_PER_TASK, ids)
    else:
        asyncio.run(data.fill_postgres(url, tasks, EVENTS_PER_TASK, ids))
    generated = time.monotonic() - started
    with servers.serve(url) as server:
        results = tasks_bench.list_and_create(server, ids, seconds)
    sse = tasks_bench.sse_across_workers(url) if backend == "postgres" else None
    return {"backend": backend, "tasks": tasks, "events": tasks * EVENTS_PER_TASK, "generated_s": generated,
            "results": results, "sse": sse}


def render(runs: list[dict], arguments: argparse.Namespace) -> str:
    lines = [
        "# Performance",
        "",
        f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on: {machine.describe()}.",
        "",
        "Reproduce: `make bench` (full sizes) or "
        f"`.venv/bin/python -m bench.run --scale {arguments.scale} --seconds {arguments.seconds} "
        f"--backends {','.join(arguments.backends)}` (this run). Load comes from `wrk` on the same machine "
        "(loopback, 1 thread; 1 connection gives the server's time per request, 8 or 4 connections give "
        "throughput), against one uvicorn worker with uvloop and httptools; the server and the load generator "
        "share the two cores.",
        "",
        "## Task kernel",
        "",
        "Targets: a user's open tasks (page of 50) p50 < 20 ms; creating a task (event, audit entry and live "
        "event in one transaction) p50 < 10 ms; an event from one worker reaching another worker's SSE client "
        "within 200 ms p95.",
        "",
    ]
    for run in runs:
        lines += [
            f"### {run['backend']}: {run['tasks']:,} tasks, {run['events']:,} task events "
            f"(generated in {run['generated_s']:.0f} s)",
            "",
            "| endpoint | p50 ms | p99 ms | requests/s | requests | errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            *[result.row() for result in run["results"]],
            "",
        ]
        if run["sse"]:
            sse = run["sse"]
            if sse.get("received"):
                lines += [f"Live event across two server processes (LISTEN/NOTIFY): {sse['received']}/{sse['sent']} "
                          f"received, p50 {sse['p50_ms']:.1f} ms, p95 {sse['p95_ms']:.1f} ms, max {sse['max_ms']:.1f} ms "
                          "(from the start of the POST on one worker to arrival on the other's stream).", ""]
            else:
                lines += [f"Live event across processes: none of {sse['sent']} arrived.", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", type=lambda s: s.split(","), default=["sqlite", "postgres"])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full data sizes")
    parser.add_argument("--seconds", type=int, default=10, help="length of each load")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "bench")
    arguments = parser.parse_args()
    arguments.workdir.mkdir(parents=True, exist_ok=True)
    runs = []
    # One fresh interpreter per backend: Tortoise caches dialect-specific SQL on the model
    # classes, so SQLite and PostgreSQL cannot share a process.
    spawn = multiprocessing.get_context("spawn")
    for backend in arguments.backends:
        print(f"bench: {backend} ...", flush=True)
        with spawn.Pool(1) as pool:
            runs.append(pool.apply(run_backend, (backend, arguments.scale, arguments.seconds, arguments.workdir)))
        if backend == "postgres":
            data.drop_postgres(POSTGRES_ADMIN, "frontdesk_bench")
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(render(runs, arguments))
    print(f"bench: wrote {arguments.output}")


if __name__ == "__main__":
    main()
