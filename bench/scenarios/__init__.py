"""Benchmark scenarios, one module per area, found by `bench.run` in name order.

A scenario module defines:

- ``TITLE``: the section heading in docs/performance.md;
- ``TARGETS``: one sentence naming the performance targets it checks;
- ``async def prepare(url, ids, scale) -> dict``: fill the database (already migrated,
  with the bench site, supervisor and agents in ``ids``) at ``scale`` of the full sizes;
  runs in the backend's own process, with a Tortoise context open on ``url``;
- ``def measure(server_url, database_url, backend, context, seconds) -> Section``: load a
  running server (``server_url``) and return what was measured, with one ``Check`` per
  target (``bench.run`` gathers them into the "against the targets" table at the top of
  docs/performance.md).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field

from bench.loadgen import Result


@dataclass
class Check:
    """One target against what this run measured: a row of the "against the targets" table."""

    area: str  # "tasks", "hotel", ...
    target: str  # "board JSON p50 < 30 ms, 2,000 rooms"
    measured: str  # "15 ms", "0.62× the raw driver"
    passed: bool


@dataclass
class Section:
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Sizes of what was generated, e.g. {"tasks": 1000000, "task events": 10000000}.
    sizes: dict[str, int] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)

    def check(self, area: str, target: str, measured: str, passed: bool) -> None:
        self.checks.append(Check(area, target, measured, passed))


def discover(only: list[str] | None = None):
    modules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if only and info.name not in only:
            continue
        modules.append(importlib.import_module(f"{__name__}.{info.name}"))
    return modules
