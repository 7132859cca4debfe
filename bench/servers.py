"""Frontdesk servers for benchmarks: real uvicorn processes on loopback ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(database_url: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FRONTDESK_")}
    env.update({"FRONTDESK_DATABASE_URL": database_url, "FRONTDESK_SECRET_KEY": "bench-secret-key-" + "x" * 32,
                "FRONTDESK_LOG_LEVEL": "warning", "FRONTDESK_OVERDUE_CHECK_SECONDS": "0",
                "FRONTDESK_LOGIN_MAX_FAILURES": "1000000"})
    env.update(extra)
    return env


@contextmanager
def serve(database_url: str, workers: int = 1, port: int | None = None, app: str = "core.app:create_app",
          timeout: float = 60) -> Iterator[str]:
    """Run uvicorn (uvloop + httptools) until the block ends; yields the base URL."""
    port = port or free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--log-level", "warning", "--no-access-log",
               "--loop", "uvloop", "--http", "httptools"]
    process = subprocess.Popen(command, cwd=ROOT, env=environment(database_url), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in time")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def token(url: str, username: str, password: str) -> str:
    response = httpx.post(f"{url}/api/v1/auth/token", json={"username": username, "password": password}, timeout=30)
    response.raise_for_status()
    return response.json()["token"]
