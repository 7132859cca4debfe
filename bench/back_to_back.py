"""Two loads compared as a ratio: measured back to back, interleaved, after a warm-up.

A ratio of two runs taken minutes apart mostly measures what changed on the machine in
between. Measured one right after the other, the first still pays for what the previous
load left behind (a SQLite checkpoint, caches filled for other rows, a principal not yet
cached): in a first try the one-site user came out 1.5× "slower" than the 300-site user
asked right after. So each side is first warmed up unmeasured, then measured in two
halves, A B B A: drift over the run falls on both sides alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.loadgen import Result, wrk

WARM_UP_SECONDS = 1


@dataclass(frozen=True)
class Load:
    name: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


def _halves(first: Result, second: Result) -> Result:
    """One result from two equal-length halves. The p50 is the halves' mean (close enough:
    both come from the same distribution; wrk gives no histogram to merge), the p99 the
    worse of the two."""
    return Result(first.name, first.requests + second.requests, (first.rps + second.rps) / 2,
                  (first.p50_ms + second.p50_ms) / 2, max(first.p99_ms, second.p99_ms), first.errors + second.errors)


def compare(a: Load, b: Load, *, seconds: int, connections: int = 8) -> tuple[Result, Result]:
    """``a`` and ``b`` under the same load, A B B A, each for about ``seconds`` in all."""
    half = max(1, seconds // 2)

    def run(load: Load, length: int) -> Result:
        return wrk(load.name, load.url, seconds=length, headers=load.headers, connections=connections)

    run(a, WARM_UP_SECONDS)
    run(b, WARM_UP_SECONDS)
    a1, b1 = run(a, half), run(b, half)
    b2, a2 = run(b, half), run(a, half)
    return _halves(a1, a2), _halves(b1, b2)
