"""`make bench`: generate data, load a real server on loopback, write docs/performance.md.

    python -m bench.run                       # full sizes, SQLite and PostgreSQL
    python -m bench.run --scale 0.01          # 1% of the sizes (a quick look)
    python -m bench.run --backends sqlite --seconds 5 --only tasks

Every run is bounded: each load lasts --seconds, data sizes are fixed by --scale, and
every server listens on 127.0.0.1 only. Scenarios live in bench/scenarios/.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import time
from pathlib import Path

from bench import data, loadgen, machine, scenarios, servers

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN = os.environ.get("FRONTDESK_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def database_name() -> str:
    """Per run (the orchestrating process's id), so runs by several people never collide."""
    return f"frontdesk_bench_{os.environ.get('FRONTDESK_BENCH_RUN', os.getpid())}"


def backend_database(backend: str, workdir: Path) -> str:
    if backend == "sqlite":
        path = workdir / f"{database_name()}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite://{path}"
    return data.fresh_postgres(POSTGRES_ADMIN, database_name())


async def _prepare(url: str, modules, scale: float) -> tuple[dict, dict]:
    from core.database import open_database
    from core.plugins import load_plugins

    ids = await data.prepare_database(url)
    contexts = {}
    async with open_database(data.settings_for(url), load_plugins()):
        for module in modules:
            started = time.monotonic()
            contexts[module.__name__] = {**await module.prepare(url, ids, scale), "ids": ids,
                                         "generated_s": time.monotonic() - started}
    return ids, contexts


def run_backend(backend: str, scale: float, seconds: int, workdir: Path, only: list[str] | None) -> dict:
    """Runs in a fresh interpreter (see main)."""
    modules = scenarios.discover(only)
    url = backend_database(backend, workdir)
    ids, contexts = asyncio.run(_prepare(url, modules, scale))
    sections = []
    with servers.serve(url) as server:
        for module in modules:
            context = contexts[module.__name__]
            section = module.measure(server, url, backend, context, seconds)
            sections.append((module.TITLE, module.TARGETS, context["generated_s"], section))
    baselines = measure_baselines(url, ids, seconds)
    return {"backend": backend, "sections": sections, "baselines": baselines}


def measure_baselines(url: str, ids: dict, seconds: int) -> dict:
    """A bare Starlette endpoint and the raw-driver query, on the same machine and data."""
    query = f"site_id={ids['site_id']}&assignee_id={ids['agent_ids'][0]}"
    with servers.serve(url, app="bench.baseline_app:create_app") as base:
        return {
            "bare": loadgen.wrk("bare Starlette JSON (8 connections)", f"{base}/bare", seconds=seconds),
            "raw": loadgen.wrk("raw driver: my open tasks, page of 50 (8 connections)", f"{base}/raw-tasks?{query}",
                               seconds=seconds),
        }


def render(runs: list[dict], arguments: argparse.Namespace) -> str:
    lines = [
        "# Performance",
        "",
        f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on: {machine.describe()}.",
        "",
        "Reproduce: `make bench` (full sizes), or this run: `.venv/bin/python -m bench.run "
        f"--scale {arguments.scale} --seconds {arguments.seconds} --backends {','.join(arguments.backends)}`. "
        "Load comes from `wrk` on the same machine (loopback, 1 thread; 1 connection gives the server's own time "
        "per request, 8 or 4 connections give throughput, where latency includes waiting in line), against one "
        "uvicorn worker with uvloop and httptools; server and load generator share the two cores.",
        "",
    ]
    lines += render_targets(runs)
    lines += ["## Framework and ORM overhead", "",
              "Measured in the same run: a bare Starlette endpoint, the \"my open tasks\" query through the raw "
              "driver (no ORM, auth or validation), and Frontdesk's endpoint doing the same with token auth, site "
              "scoping, the ORM and response validation. Ratios are Frontdesk's requests/s over the baseline's.", ""]
    for run in runs:
        baselines = run.get("baselines")
        if not baselines:
            continue
        frontdesk = next((result for _t, _g, _x, section in run["sections"] for result in section.results
                          if result.name.startswith("GET my open tasks") and "8 connections" in result.name), None)
        lines += [f"### {run['backend']}", "", "| endpoint | p50 ms | p99 ms | requests/s | requests | errors |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |", baselines["bare"].row(), baselines["raw"].row()]
        if frontdesk:
            lines += [frontdesk.row(), "",
                      f"Frontdesk / bare Starlette: {frontdesk.rps / baselines['bare'].rps:.2f}; "
                      f"Frontdesk / raw driver: {frontdesk.rps / baselines['raw'].rps:.2f}."]
        lines.append("")
    titles = []
    for run in runs:
        for title, targets, _generated, _section in run["sections"]:
            if title not in [t for t, _ in titles]:
                titles.append((title, targets))
    for title, targets in titles:
        lines += [f"## {title}", "", f"Targets: {targets}.", ""]
        for run in runs:
            for section_title, _targets, generated, section in run["sections"]:
                if section_title != title:
                    continue
                sizes = ", ".join(f"{count:,} {name}" for name, count in section.sizes.items())
                lines += [f"### {run['backend']}" + (f": {sizes} (generated in {generated:.0f} s)" if sizes else ""), ""]
                if section.results:
                    lines += ["| endpoint | p50 ms | p99 ms | requests/s | requests | errors |",
                              "| --- | ---: | ---: | ---: | ---: | ---: |",
                              *[result.row() for result in section.results], ""]
                lines += [*(f"{note}\n" for note in section.notes)]
    return "\n".join(lines).rstrip() + "\n"


def render_targets(runs: list[dict]) -> list[str]:
    """The "against the targets" table: one row per target, one column per backend (✔/✘)."""
    backends = [run["backend"] for run in runs]
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for run in runs:
        for _title, _targets, _generated, section in run["sections"]:
            for check in getattr(section, "checks", []):
                mark = "✔" if check.passed else "✘"
                rows.setdefault((check.area, check.target), {})[run["backend"]] = f"{check.measured} {mark}"
    if not rows:
        return []
    missed = sum(cell.endswith("✘") for cells in rows.values() for cell in cells.values())
    lines = ["## Against the targets", "", f"| area | target | {' | '.join(backends)} |",
             "| --- | --- |" + " --- |" * len(backends)]
    for (area, target), cells in rows.items():
        lines.append(f"| {area} | {target} | " + " | ".join(cells.get(backend, "(not measured)") for backend in backends)
                     + " |")
    lines += ["", f"{len(rows)} targets, {missed} missed in this run." if missed else
              f"{len(rows)} targets, all met in this run.", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", type=lambda s: s.split(","), default=["sqlite", "postgres"])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full data sizes")
    parser.add_argument("--seconds", type=int, default=10, help="length of each load")
    parser.add_argument("--only", type=lambda s: s.split(","), default=None, help="scenario modules to run")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "bench")
    arguments = parser.parse_args()
    arguments.workdir.mkdir(parents=True, exist_ok=True)
    os.environ["FRONTDESK_BENCH_RUN"] = str(os.getpid())  # inherited by the spawned workers
    runs = []
    # One fresh interpreter per backend: Tortoise caches dialect-specific SQL on the model
    # classes, so SQLite and PostgreSQL cannot share a process.
    spawn = multiprocessing.get_context("spawn")
    for backend in arguments.backends:
        print(f"bench: {backend} ...", flush=True)
        with spawn.Pool(1) as pool:
            runs.append(pool.apply(run_backend, (backend, arguments.scale, arguments.seconds, arguments.workdir,
                                                 arguments.only)))
        if backend == "postgres":
            data.drop_postgres(POSTGRES_ADMIN, database_name())
        else:
            for suffix in ("", "-wal", "-shm"):
                (arguments.workdir / f"{database_name()}.sqlite3{suffix}").unlink(missing_ok=True)
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(render(runs, arguments))
    print(f"bench: wrote {arguments.output}")


if __name__ == "__main__":
    main()
