"""`frontdesk serve --reload`: a change to an installed plugin's route or template file is
served without restarting by hand (uvicorn's reloader watches every plugin's folder, even
one installed outside the project). Both databases."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from core.dev_reload import watched_dirs
from core.plugins import load_plugins
from core.settings import PROJECT_ROOT

PAGES = '''from starlette.responses import PlainTextResponse

from core.permissions import PUBLIC
from core.web.routing import page_route
from core.web.templating import render


async def word(request):
    return PlainTextResponse("{word}")


async def page(request):
    return render(request, "reload_probe/page.html", {{}})


def routes():
    return [page_route("/reload_probe/word", word, permission=PUBLIC),
            page_route("/reload_probe/page", page, permission=PUBLIC)]
'''


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _install_probe(site: Path) -> Path:
    """A throwaway plugin installed the way pip would: its package on the path and a
    dist-info folder declaring the `frontdesk` entry point."""
    package = site / "reload_probe"
    (package / "templates" / "reload_probe").mkdir(parents=True)
    (package / "__init__.py").write_text(
        'from core import PluginMeta\n\nmeta = PluginMeta(name="reload_probe", version="0.1.0")\n')
    (package / "pages.py").write_text(PAGES.format(word="first"))
    (package / "templates" / "reload_probe" / "page.html").write_text("<p>template one</p>\n")
    info = site / "reload_probe-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: reload-probe\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[frontdesk]\nreload_probe = reload_probe\n")
    return package


def _text(url):
    try:
        response = httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None
    return response.text if response.status_code == 200 else None


def _wait_for(url, expected, process, log, seconds):
    deadline = time.monotonic() + seconds
    while (text := _text(url)) is None or expected not in text:
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"{url} still answers {text!r}\n{log.read_text()[-3000:]}"
        time.sleep(0.2)


def test_watched_dirs_cover_core_themes_and_every_plugin_once():
    folders = watched_dirs(load_plugins())
    assert str(PROJECT_ROOT / "core") in folders and str(PROJECT_ROOT / "themes") in folders
    assert str(PROJECT_ROOT / "plugins") in folders
    # core's feature plugins and the built-in plugins sit inside those: not watched twice
    assert not any(folder.startswith(str(PROJECT_ROOT / "plugins") + os.sep) for folder in folders)


def test_reload_refuses_several_workers():
    result = subprocess.run([sys.executable, "-m", "core", "serve", "--reload", "--workers", "2"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--reload runs one worker" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_reload_picks_up_a_changed_route_and_template(database_url, tmp_path):
    site = tmp_path / "site"
    package = _install_probe(site)
    port = _free_port()
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(site), "FRONTDESK_DATABASE_URL": database_url,
           "FRONTDESK_SECRET_KEY": "k" * 40, "FRONTDESK_PORT": str(port),
           "FRONTDESK_OVERDUE_CHECK_SECONDS": "0", "FRONTDESK_OUTBOX_POLL_SECONDS": "0"}
    log = tmp_path / "server.log"
    with log.open("w", buffering=1) as output:
        # A session of its own: the reloader's supervisor and its server child are stopped together.
        process = subprocess.Popen([sys.executable, "-m", "core", "serve", "--reload"], env=env, cwd=tmp_path,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/reload_probe/word", "first", process, log, 90)
        assert str(package) in log.read_text()  # uvicorn names the folders it watches
        (package / "pages.py").write_text(PAGES.format(word="second"))
        _wait_for(f"{base}/reload_probe/word", "second", process, log, 30)
        (package / "templates" / "reload_probe" / "page.html").write_text("<p>template two</p>\n")
        _wait_for(f"{base}/reload_probe/page", "template two", process, log, 30)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
