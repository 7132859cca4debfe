"""An installable release: the wheel built from this checkout installs into a fresh
virtualenv and serves the demo with nothing from the checkout on its path.

The wheel and sdist are built once per run (``python -m build``, shared by the xdist
workers through a lock); the virtualenv has no system site packages and gets its
dependencies from the package index as pip is configured on the machine. The server runs
in a temporary folder with its own config file and SQLite database, so nothing is found
by accident from the checkout: themes, config/default.toml, templates, translations and
migrations must all come from the installed package.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from filelock import FileLock

from core import __version__
from core.demo import DEMO_PASSWORD
from core.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

NAME = f"frontdesk-{__version__}"
# Run-time files that live outside the Python packages in the repository (core.resources).
BUNDLED_IN_WHEEL = [
    "core/_bundled/config/default.toml",
    "core/_bundled/themes/default/templates/base.html",
    "core/_bundled/themes/default/static/css/frontdesk.css",
    "core/_bundled/themes/default/static/vendor/swagger-ui/swagger-ui-bundle.js",
    "core/_bundled/themes/high_contrast/templates/base.html",
    "core/scaffold/template/package/models.py.tmpl",
    "core/locale/zh_Hant/LC_MESSAGES/messages.mo",
    "core/templates/core/auth/login.html",
    "core/migrations/0001_initial.py",
    "plugins/hotel/locale/zh_Hans/LC_MESSAGES/messages.mo",
]
IN_SDIST = ["themes/default/templates/base.html", "themes/high_contrast/static/css/high-contrast.css",
            "config/default.toml", "setup.py", "pyproject.toml", "deploy/Containerfile", "deploy/frontdesk.service",
            "deploy/frontdesk.env.example", "deploy/check.sh"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)  # noqa: S603
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def build_lock(tmp_path_factory, worker_id) -> FileLock:
    """One build from the checkout at a time across the xdist workers: each build writes
    the checkout's frontdesk.egg-info."""
    shared = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    return FileLock(str(shared / "release.lock"))


@pytest.fixture(scope="session")
def release(build_lock) -> dict[str, Path]:
    """The wheel and the sdist of this checkout, built once for every xdist worker."""
    folder = Path(build_lock.lock_file).parent / "release"
    with build_lock:
        if not (folder / "done").exists():
            folder.mkdir(exist_ok=True)
            # No build isolation: the dev extra holds the build backend, so no download.
            # The wheel is built from the sdist, which proves the sdist complete too.
            _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(folder), str(PROJECT_ROOT)])
            (folder / "done").touch()
    return {"wheel": folder / f"{NAME}-py3-none-any.whl", "sdist": folder / f"{NAME}.tar.gz"}


def test_the_wheel_carries_every_file_read_at_run_time(release):
    names = set(zipfile.ZipFile(release["wheel"]).namelist())
    assert [name for name in BUNDLED_IN_WHEEL if name not in names] == []
    # Every theme file of the checkout, nothing from tests or the developer's var/.
    themes = {str(path.relative_to(PROJECT_ROOT)) for path in (PROJECT_ROOT / "themes").rglob("*")
              if path.is_file() and "__pycache__" not in path.parts}
    assert {f"core/_bundled/{name}" for name in themes} <= names
    assert not [name for name in names if name.startswith(("tests/", "var/", "docs/", "bench/"))]


def test_the_sdist_carries_themes_and_config(release):
    with tarfile.open(release["sdist"]) as sdist:
        names = {name.removeprefix(f"{NAME}/") for name in sdist.getnames()}
    assert [name for name in IN_SDIST if name not in names] == []


def test_the_wheel_installs_into_a_fresh_virtualenv_and_serves_the_demo(release, tmp_path):
    venv = tmp_path / "venv"
    # --without-pip and the running pip (`pip --python`): seconds saved on ensurepip.
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python, frontdesk = venv / "bin" / "python", venv / "bin" / "frontdesk"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
          "--disable-pip-version-check", str(release["wheel"])])

    site = tmp_path / "site"
    site.mkdir()
    port = _free_port()
    config = site / "frontdesk.toml"
    config.write_text(
        f'database_url = "sqlite://{site / "frontdesk.sqlite3"}"\n'
        f'secret_key = "{"s" * 40}"\n'
        f"port = {port}\n"
        # Background jobs off and cheap password hashes: the test is about the installation.
        "overdue_check_seconds = 0\noutbox_poll_seconds = 0\n"
        "password_time_cost = 1\npassword_memory_kib = 8\npassword_parallelism = 1\n")
    # Only what a shell on a server has: no PYTHONPATH, nothing of the test kit's.
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "FRONTDESK_CONFIG": str(config)}
    run = {"cwd": site, "env": env}

    where = _run([str(python), "-c", "import core, core.resources as r; print(core.__file__); "
                  "print(r.data_dir('themes')); print(r.data_dir('config'))"], **run).stdout.split()
    assert all(str(venv) in line and str(PROJECT_ROOT) not in line for line in where), where

    _run([str(frontdesk), "migrate"], **run)
    _run([str(frontdesk), "demo"], **run)
    # Every built-in plugin is found through the installed entry points.
    plugins = _run([str(frontdesk), "plugins"], **run).stdout
    assert all(name in plugins for name in ("resident", "hotel", "cashier", "insurance_calls", "rostering")), plugins
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([str(frontdesk), "serve"], stdout=log, stderr=subprocess.STDOUT, **run)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.2)

        with httpx.Client(base_url=base, headers={"Accept-Language": "en"}, timeout=30) as client:
            login = client.get("/login")
            assert login.status_code == 200 and 'href="/static/theme/css/frontdesk.css"' in login.text
            # Translations come from the installed package's compiled catalogs.
            assert "登入" in client.get("/login", headers={"Accept-Language": "zh-Hant"}).text
            css = client.get("/static/theme/css/frontdesk.css")
            assert css.status_code == 200
            assert css.content == (PROJECT_ROOT / "themes/default/static/css/frontdesk.css").read_bytes()

            token = re.search(r'name="csrf_token" value="([^"]*)"', login.text).group(1)
            signed_in = client.post("/login", data={"username": "frontdesk", "password": DEMO_PASSWORD,
                                                    "csrf_token": token, "next": "/"})
            assert signed_in.status_code == 303, signed_in.text
            desk = client.get("/sites/lotus/hotel/")
            assert desk.status_code == 200 and 'data-code="VD"' in desk.text
            hant = client.get("/sites/lotus/hotel/", headers={"Accept-Language": "zh-Hant"})
            assert hant.status_code == 200 and 'lang="zh-Hant"' in hant.text
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
            log.close()
    assert server.returncode == 0, (tmp_path / "server.log").read_text()


def test_deploy_check_builds_the_wheel_and_verifies_the_unit(tmp_path, build_lock):
    """deploy/check.sh: the wheel part always; the container build is skipped here (it needs
    a base image from a registry and minutes), systemd-analyze runs where installed."""
    env = {**os.environ, "PYTHON": sys.executable, "DIST_DIR": str(tmp_path / "dist"), "CONTAINER": "skip",
           "BUILD_ISOLATION": "0"}
    with build_lock:
        result = _run(["bash", str(PROJECT_ROOT / "deploy" / "check.sh")], env=env, cwd=tmp_path)
    assert list((tmp_path / "dist").glob("frontdesk-*.whl")), result.stdout
    assert "wheel: ok" in result.stdout
    assert "container: skipped" in result.stdout
    assert ("unit: ok" in result.stdout) or ("unit: skipped" in result.stdout)
