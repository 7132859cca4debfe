"""Load on loopback with wrk (Debian's package), bounded in time; results parsed.

wrk's --latency prints the latency distribution; its Lua API sets method, body and
headers for POST scenarios. Connections and threads stay small: the server and wrk share
this machine's two cores.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from urllib.parse import urlsplit

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


@dataclass
class Result:
    name: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int

    def row(self) -> str:
        return f"| {self.name} | {self.p50_ms:.2f} | {self.p99_ms:.2f} | {self.rps:,.0f} | {self.requests:,} | {self.errors} |"


def _ms(value: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)", value)
    if not match:
        raise ValueError(value)
    return float(match.group(1)) * UNITS[match.group(2)]


def parse(name: str, output: str) -> Result:
    percentiles = dict(re.findall(r"^\s+(\d+)%\s+([\d.]+\w+)", output, flags=re.M))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        errors += sum(int(n) for n in match.groups())
    return Result(name, requests, rps, _ms(percentiles["50"]), _ms(percentiles["99"]), errors)


def wrk(name: str, url: str, *, seconds: int = 10, connections: int = 8, threads: int = 1,
        method: str = "GET", body: str | None = None, headers: dict[str, str] | None = None) -> Result:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    parts = urlsplit(url)
    assert parts.hostname in ("127.0.0.1", "localhost", "::1"), "load goes to loopback only"
    script = ["wrk.method = %r" % method]
    if body is not None:
        script.append("wrk.body = [[%s]]" % body)
    for key, value in (headers or {}).items():
        script.append(f'wrk.headers["{key}"] = "{value}"')
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write("\n".join(script) + "\n")
    command = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", "10s", "-s", lua.name, url]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    return parse(name, output)
