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
from dataclasses import dataclass
from pathlib import Path

from bench import back_to_back, data, loadgen, machine, scenarios, servers
from bench.scenarios import Section

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
        baselines = measure_baselines(server, url, ids, seconds, prepared=set(contexts))
    return {"backend": backend, "sections": sections, "baselines": baselines}


@dataclass(frozen=True)
class Pair:
    """A Frontdesk list and the same query through the raw driver (bench/baseline_app.py)."""

    label: str  # "my open tasks, page of 50"
    path: str  # Frontdesk's, under /api/v1/sites/bench
    raw: str  # the baseline app's path and query
    user: str  # who asks Frontdesk
    #: The scenario whose data the list reads; without it the pair is not measured.
    scenario: str


def pairs(ids: dict) -> list[Pair]:
    site, agent = ids["site_id"], ids["agent_ids"][0]
    return [
        Pair("my open tasks, page of 50", f"/tasks?assignee_id={agent}&open=true&limit=50",
             f"/raw-tasks?site_id={site}&assignee_id={agent}", "bench00", "bench.scenarios.tasks"),
        # A manager: callers' numbers masked, so no audit entry per request (an agent's
        # list writes one; that write is measured below the table, not in the ratio).
        Pair("insurance calls, page of 50", "/insurance/calls", f"/raw-calls?site_id={site}", "benchmgr",
             "bench.scenarios.insurance_calls"),
        Pair("units, page of 50", "/units?limit=50", f"/raw-units?site_id={site}", "bench00",
             "bench.scenarios.resident"),
    ]


#: Issue 16: each list at least this fraction of the raw driver's requests/s.
RAW_RATIO_TARGET = 0.5


def measure_baselines(server: str, url: str, ids: dict, seconds: int, prepared: set[str]) -> Section:
    """A bare Starlette endpoint, then each list pair at 8 connections: Frontdesk's endpoint
    (token auth, site scoping, permissions, validation) and the same query through the raw
    driver, on the same data, back to back and interleaved (bench.back_to_back) so both see
    the same machine state."""
    section = Section()
    tokens: dict[str, str] = {}

    def auth(user: str) -> dict[str, str]:
        if user not in tokens:
            tokens[user] = servers.token(server, user, data.PASSWORD)
        return {"Authorization": f"Bearer {tokens[user]}"}

    with servers.serve(url, app="bench.baseline_app:create_app") as base:
        bare = loadgen.wrk("bare Starlette JSON (8 connections)", f"{base}/bare", seconds=seconds)
        section.results.append(bare)
        for pair in pairs(ids):
            if pair.scenario not in prepared:
                section.notes.append(f"{pair.label}: not measured (its data come from {pair.scenario}, not run).")
                continue
            frontdesk, raw = back_to_back.compare(
                back_to_back.Load(f"Frontdesk: {pair.label} (8 connections)",
                                  f"{server}/api/v1/sites/bench{pair.path}", auth(pair.user)),
                back_to_back.Load(f"raw driver: {pair.label} (8 connections)", f"{base}{pair.raw}"), seconds=seconds)
            section.results += [frontdesk, raw]
            _compare(section, pair.label, frontdesk, raw, bare)
    if "bench.scenarios.insurance_calls" in prepared:
        section.results.append(loadgen.wrk("Frontdesk: insurance calls, page of 50, as a call agent (8 connections)",
                                           f"{server}/api/v1/sites/bench/insurance/calls", seconds=seconds,
                                           headers=auth("bench00")))
        section.notes.append("A call agent sees callers' numbers unmasked, so each of its calls lists also writes an "
                             "audit entry (a committed insert): not part of the raw driver's query, so not in a ratio.")
    return section


def _compare(section: Section, label: str, frontdesk: loadgen.Result, raw: loadgen.Result,
             bare: loadgen.Result) -> None:
    ratio = frontdesk.rps / raw.rps if raw.rps else 0.0
    clean = frontdesk.errors == 0 and raw.errors == 0
    errors = "" if clean else f" (errors: Frontdesk {frontdesk.errors}, raw driver {raw.errors})"
    section.notes.append(f"{label}: Frontdesk / raw driver {ratio:.2f}, Frontdesk / bare Starlette "
                         f"{frontdesk.rps / bare.rps:.3f}{errors}.")
    section.check("framework", f"{label}: ≥ {RAW_RATIO_TARGET}× the raw driver's requests/s", f"{ratio:.2f}×",
                  clean and ratio >= RAW_RATIO_TARGET)


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
    lines += kept_sections(arguments.output)
    lines += ["## Framework and ORM overhead", "",
              "Measured in the same run, each pair back to back (warmed up, then A B B A): Frontdesk's list endpoint (token auth, site "
              "scoping, permissions, validation, JSON) and the same query through the raw driver (no ORM, auth or "
              "validation; bench/baseline_app.py), plus a bare Starlette endpoint. Ratios are Frontdesk's "
              "requests/s over the baseline's.", ""]
    for run in runs:
        baselines = run.get("baselines")
        if not baselines:
            continue
        lines += [f"### {run['backend']}", "", "| endpoint | p50 ms | p99 ms | requests/s | requests | errors |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |", *[result.row() for result in baselines.results], "",
                  *(f"{note}\n" for note in baselines.notes)]
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


#: Sections of docs/performance.md written by hand from other runs (`make soak`, `make crash`,
#: the fuzzer): a bench run keeps them as they are instead of dropping them.
KEPT_HEADINGS = ("## Reliability",)


def kept_sections(output: Path) -> list[str]:
    """The hand-written sections (``KEPT_HEADINGS``) of the file the run replaces."""
    if not output.exists():
        return []
    kept, keeping = [], False
    for line in output.read_text().splitlines():
        if line.startswith("## "):
            keeping = line.startswith(KEPT_HEADINGS)
        if keeping:
            kept.append(line)
    return [*kept, ""] if kept else []


def render_targets(runs: list[dict]) -> list[str]:
    """The "against the targets" table: one row per target, one column per backend (✔/✘)."""
    backends = [run["backend"] for run in runs]
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for run in runs:
        sections = [section for _title, _targets, _generated, section in run["sections"]]
        for section in [run["baselines"], *sections] if run.get("baselines") else sections:
            for check in section.checks:
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
