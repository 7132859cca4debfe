"""Migrations: committed, complete, order-independent, and enforced at start-up."""

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import StartupError
from tortoise.context import TortoiseContext

import tests.core.parking_plugin as parking
from core.database import apply_migrations, apps_config, database_url, pending_migrations, tortoise_config
from core.migrations_tool import detect_changes
from core.plugins import load_plugins
from core.settings import Settings


def test_committed_migrations_match_the_models(tmp_path):
    settings = Settings(database_url=f"sqlite://{tmp_path}/unused.sqlite3")
    writers = asyncio.run(detect_changes(settings, load_plugins()))
    assert [f"{w.app_label}.{w.name}" for w in writers] == [], "run `frontdesk makemigrations` and commit the result"


def test_every_app_keeps_its_migrations_in_its_own_package():
    for label, app in apps_config(load_plugins()).items():
        module = __import__(app["migrations"], fromlist=["x"])
        assert list(Path(module.__file__).parent.glob("0001_*.py")), label


def test_model_descriptions_have_no_semicolons():
    """Tortoise's SQLite schema editor splits DDL on ';', and a field's doc comment
    becomes a SQL comment inside the DDL: a ';' there breaks the migration."""
    for app in apps_config(load_plugins()).values():
        for module_name in app["models"]:
            source = Path(__import__(module_name, fromlist=["x"]).__file__).read_text()
            for line in source.splitlines():
                if line.strip().startswith("#:"):
                    assert ";" not in line, line


def _orders(labels):
    yield labels
    yield list(reversed(labels))
    for shift in range(1, len(labels)):
        yield labels[shift:] + labels[:shift]


def _order_cases():
    labels = list(apps_config(load_plugins()))
    return [pytest.param(order, id=">".join(order)) for order in _orders(labels)]


@pytest.mark.slow
@pytest.mark.parametrize("order", _order_cases())
def test_a_fresh_database_migrates_in_every_app_order(tmp_path, order):
    host = load_plugins()
    settings = Settings(database_url=f"sqlite://{tmp_path}/order.sqlite3")
    config = tortoise_config(settings, host)
    config["apps"] = {label: config["apps"][label] for label in order}

    async def migrate_in_order():
        async with TortoiseContext() as context:
            await context.init(config=config)
            await apply_migrations(host, apps=config["apps"])
            return await pending_migrations(host)

    assert asyncio.run(migrate_in_order()) == [], order


def test_sqlite_runs_in_wal_with_full_synchronous_commits():
    url = database_url(Settings(database_url="sqlite://var/x.sqlite3"))
    assert "journal_mode=WAL" in url and "synchronous=FULL" in url and "busy_timeout=" in url


def test_readyz_is_503_naming_pending_migrations(make_app):
    server = make_app(extra_plugins=[parking], migrate=False, allow_pending_migrations=True)
    response = server.client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["pending_migrations"] == ["parking.0001_initial"]


def test_the_app_refuses_to_start_with_pending_migrations(make_app, make_live_app):
    with pytest.raises(StartupError, match=r"1 migration\(s\) not applied \(parking.0001_initial\)"):
        make_app(extra_plugins=[parking], migrate=False)
    with pytest.raises(RuntimeError, match="test server did not start"):  # and uvicorn does not serve
        make_live_app(extra_plugins=[parking], migrate=False)


def test_serve_refuses_pending_migrations_and_names_the_fix(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "core", "serve", "--port", "8999"],
        env={"PATH": "/usr/bin:/bin", "FRONTDESK_DATABASE_URL": f"sqlite://{tmp_path}/empty.sqlite3",
             "FRONTDESK_SECRET_KEY": "x" * 40},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert re.search(r"migration\(s\) not applied .*run `frontdesk migrate`", result.stderr)


def test_unreachable_postgres_is_named_by_host_and_port(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "core", "migrate"],
        env={"PATH": "/usr/bin:/bin", "FRONTDESK_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "frontdesk: database: cannot reach PostgreSQL at 127.0.0.1:1 (Connection refused)"


def test_serve_reports_a_port_in_use(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "core", "serve", "--port", str(port)],
            env={"PATH": "/usr/bin:/bin", "FRONTDESK_DATABASE_URL": f"sqlite://{tmp_path}/x.sqlite3"},
            capture_output=True, text=True, timeout=60,
        )
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
