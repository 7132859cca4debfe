"""The walkthrough at the top of docs/plugins.md ("Your first plugin, from a fresh clone"),
run as written: each command of its shell block is given to bash verbatim, in a folder
that looks like the clone (``.venv/bin/frontdesk``, ``.venv/bin/pip``, ``.venv/bin/python``).

Two stand-ins, both because the suite must not change the project's environment:
``.venv/bin/pip install -e X`` installs X into a folder of this test's own (on
PYTHONPATH), not into the project's virtualenv; ``make run`` (terminal 1) is what the
Makefile's ``run`` target does, ``frontdesk migrate``, ``frontdesk demo --if-empty`` and
``frontdesk serve`` (checked against the Makefile here), on a free port."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from core.demo import DEMO_PASSWORD
from core.settings import PROJECT_ROOT

HEADING = "## Your first plugin, from a fresh clone"


def walkthrough() -> list[str]:
    text = (PROJECT_ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    block = text.split(HEADING, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _clone_bin(clone: Path, site: Path) -> None:
    """``.venv/bin`` of the pretend clone: the real interpreter and frontdesk; pip's
    editable install goes to ``site``."""
    bin_dir = clone / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    python = sys.executable
    scripts = {
        "python": f'exec "{python}" "$@"\n',
        "frontdesk": f'exec "{python}" -m core "$@"\n',
        "pip": (f'if [ "$1" = install ] && [ "$2" = -e ]; then\n'
                f'  exec "{python}" -m pip install -q --no-deps --no-build-isolation --target "{site}" "$3"\n'
                f'fi\nexec "{python}" -m pip "$@"\n'),
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(0o755)


def test_the_walkthrough_lists_the_commands_this_test_runs():
    assert walkthrough() == [
        "make run",
        ".venv/bin/frontdesk plugin new lost_and_found",
        ".venv/bin/pip install -e ./lost_and_found",
        ".venv/bin/frontdesk plugins",
        ".venv/bin/frontdesk migrate",
        "cd lost_and_found && ../.venv/bin/python -m pytest",
    ]
    run_target = (PROJECT_ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"frontdesk migrate\n.*frontdesk demo --if-empty\n.*frontdesk serve", run_target, re.S)


@pytest.mark.slow
def test_the_walkthrough_runs_verbatim(tmp_path, template_store):
    clone, site = tmp_path / "clone", tmp_path / "site"
    _clone_bin(clone, site)
    database = clone / "frontdesk.sqlite3"
    if template_store.backend == "sqlite":
        shutil.copyfile(template_store.template("demo"), database)  # make run's migrate and demo: a head start
    port = _free_port()
    env = {"PATH": f"{clone / '.venv' / 'bin'}:{os.environ['PATH']}", "PYTHONPATH": str(site),
           "FRONTDESK_DATABASE_URL": f"sqlite://{database}", "FRONTDESK_SECRET_KEY": "k" * 40,
           "FRONTDESK_PORT": str(port), "FRONTDESK_OVERDUE_CHECK_SECONDS": "0", "FRONTDESK_OUTBOX_POLL_SECONDS": "0",
           "FRONTDESK_TEST_BACKEND": template_store.backend, "HOME": os.environ.get("HOME", str(tmp_path))}
    for name in ("FRONTDESK_TEST_TEMPLATES", "FRONTDESK_TEST_POSTGRES_URL"):
        if name in os.environ:
            env[name] = os.environ[name]
    base = f"http://127.0.0.1:{port}"
    servers = []

    def make_run():
        for command in ("migrate", "demo --if-empty"):
            # shell=True throughout: the documented lines are shell, run as a reader would
            done = subprocess.run(f".venv/bin/frontdesk {command}", shell=True, cwd=clone, env=env,  # noqa: S602
                                  capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, done.stderr
        log = (tmp_path / f"serve-{len(servers)}.log").open("w")
        servers.append(subprocess.Popen([".venv/bin/frontdesk", "serve"], cwd=clone, env=env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert servers[-1].poll() is None and time.monotonic() < deadline, Path(log.name).read_text()
            time.sleep(0.3)

    def stop():
        for process in servers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)

    steps = walkthrough()
    outputs = {}
    try:
        make_run()  # steps[0], terminal 1
        for command in steps[1:-1]:
            done = subprocess.run(command, shell=True, cwd=clone, env=env,  # noqa: S602
                                  capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            outputs[command] = done.stdout
        assert "lost_and_found 0.1.0 (installed)" in outputs[".venv/bin/frontdesk plugins"]
        assert "applied lost_and_found.0001_initial" in outputs[".venv/bin/frontdesk migrate"]

        stop()  # "restart terminal 1 (Ctrl+C, make run)"
        make_run()
        token = httpx.post(f"{base}/api/v1/auth/token", json={"username": "agent", "password": DEMO_PASSWORD},
                           timeout=30)
        assert token.status_code == 201, token.text
        headers = {"Authorization": f"Bearer {token.json()['token']}"}
        api = f"{base}/api/v1/sites/harbour/lost_and_found/entries"
        assert httpx.post(api, json={"title": "Walkthrough"}, headers=headers, timeout=30).status_code == 201
        assert httpx.get(api, headers=headers, timeout=30).json()["items"][0]["title"] == "Walkthrough"
        page = httpx.get(f"{base}/sites/harbour/lost_and_found/", timeout=30)
        assert page.status_code in (302, 303) and page.headers["location"].startswith("/login")  # behind sign-in

        tests = subprocess.run(steps[-1], shell=True, cwd=clone, env=env,  # noqa: S602
                               capture_output=True, text=True, timeout=900)
        assert tests.returncode == 0, tests.stdout[-3000:]
        assert " passed" in tests.stdout and " failed" not in tests.stdout
    finally:
        stop()
