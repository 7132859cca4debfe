"""Safe upgrades: two `frontdesk migrate` at once both succeed (an advisory lock, a file lock
on SQLite); a failing migration is one line naming it; a statement past
statement_timeout_ms is a 503 problem, logged; `frontdesk check` finds what start-up
would refuse and what would break a fleet (missing database, bad theme, no shared secret
key, models that differ from the committed migrations)."""

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
import uuid

import pytest

from core.testing.databases import admin_execute, postgres_url_for

SECRET = "k" * 40


def frontdesk(database_url, *args, cwd=None, extra_env=None, script=None):
    env = {"PATH": os.environ["PATH"], "FRONTDESK_DATABASE_URL": database_url, "FRONTDESK_SECRET_KEY": SECRET,
           "PYTHONPATH": os.getcwd(), **(extra_env or {})}
    command = [sys.executable, "-c", script, *args] if script else [sys.executable, "-m", "core", *args]
    return subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process):
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


@pytest.fixture
def fresh_database_url(database_backend, tmp_path):
    """An empty database: nothing migrated."""
    if database_backend == "sqlite":
        yield f"sqlite://{tmp_path}/fresh.sqlite3"
        return
    name = f"fdt_fresh_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin_execute(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url_for(name)
    finally:
        asyncio.run(admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_two_concurrent_migrates_both_exit_0_and_the_second_finds_nothing_to_do(fresh_database_url, tmp_path):
    first = frontdesk(fresh_database_url, "migrate", cwd=tmp_path)
    second = frontdesk(fresh_database_url, "migrate", cwd=tmp_path)
    results = [finish(first), finish(second)]
    for status, _out, err in results:
        assert status == 0, err
        assert "Traceback" not in err
    summaries = sorted(out.strip().splitlines()[-1] for _status, out, _err in results)
    assert summaries[1] == "No migrations to apply.", summaries
    assert summaries[0].endswith("migration(s) applied.")
    status, out, err = finish(frontdesk(fresh_database_url, "migrate", cwd=tmp_path))
    assert (status, out.strip()) == (0, "No migrations to apply."), err


def test_a_failing_migration_is_one_line_naming_it(fresh_database_url, tmp_path):
    # A table in the way of core's first migration: it cannot be created.
    if fresh_database_url.startswith("sqlite://"):
        import sqlite3

        sqlite3.connect(fresh_database_url[len("sqlite://"):]).execute("CREATE TABLE core_site (x INTEGER)").connection.commit()
    else:
        async def block():
            import asyncpg

            connection = await asyncpg.connect(fresh_database_url.replace("postgres://", "postgresql://", 1))
            await connection.execute("CREATE TABLE core_site (x INTEGER)")
            await connection.close()

        asyncio.run(block())
    status, out, err = finish(frontdesk(fresh_database_url, "migrate", cwd=tmp_path))
    assert status != 0 and "Traceback" not in err
    assert err.strip().count("\n") == 0, err
    assert err.startswith("frontdesk: migrate: core.0001") and "failed" in err and "core_site" in err, err


def _slow_plugin():
    import types

    from core import PluginMeta, hookimpl
    from core.permissions import PUBLIC
    from core.web.api import api_route

    async def slow(request):
        from tortoise.connection import get_connection

        await get_connection("default").execute_query("SELECT count(*) FROM core_site")
        return {"ok": True}

    module = types.ModuleType("slow_reader")
    module.meta = PluginMeta(name="slow_reader", version="1.0", core_requires=">=0.1")

    def register_api_routes():
        return [api_route("/api/v1/slow", slow, permission=PUBLIC, response=dict)]

    module.register_api_routes = hookimpl(register_api_routes)
    return module


class _TableLock:
    """Another session holding an exclusive lock on core_site until released."""

    def __init__(self, url):
        self.url = url.replace("postgres://", "postgresql://", 1)
        self.locked = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._hold()), daemon=True)

    async def _hold(self):
        import asyncpg

        connection = await asyncpg.connect(self.url)
        try:
            async with connection.transaction():
                await connection.execute("LOCK TABLE core_site IN ACCESS EXCLUSIVE MODE")
                self.locked.set()
                await asyncio.to_thread(self.release.wait, 30)
        finally:
            await connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(10)
        return self

    def __exit__(self, *_exc):
        self.release.set()
        self.thread.join(10)


def test_a_statement_past_the_timeout_is_a_logged_503_problem(make_app, database_url, database_backend, caplog):
    if database_backend != "postgres":
        pytest.skip("statement_timeout_ms is PostgreSQL's; SQLite writers wait busy_timeout instead")
    server = make_app(extra_plugins=[_slow_plugin()], statement_timeout_ms=300)
    client = server.client()
    assert client.get("/api/v1/slow").status_code == 200
    caplog.set_level("WARNING", logger="frontdesk")
    with _TableLock(database_url):
        response = client.get("/api/v1/slow")
    assert response.status_code == 503 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["incident"] == response.headers["x-request-id"] and response.headers["retry-after"]
    assert [record.levelname for record in caplog.records if "statement_timeout_ms" in record.getMessage()] == ["WARNING"]
    assert client.get("/api/v1/slow").status_code == 200


def test_migrate_runs_without_the_statement_timeout(database_url):
    from core.database import tortoise_config
    from core.plugins import load_plugins
    from core.settings import Settings

    settings = Settings(database_url="postgres://u@h:5432/d", statement_timeout_ms=1500)
    config = tortoise_config(settings, load_plugins())["connections"]["default"]
    assert config["credentials"]["server_settings"] == {"statement_timeout": "1500"}
    assert isinstance(tortoise_config(settings.with_changes(statement_timeout_ms=0), load_plugins())["connections"]["default"], str)


def _check(database_url, tmp_path, **env):
    return finish(frontdesk(database_url, "check", cwd=tmp_path, extra_env=env))


def test_check_is_ok_on_a_migrated_database(database_url, tmp_path):
    status, out, err = _check(database_url, tmp_path)
    assert status == 0, out + err
    for line in ("theme: ok (default)", "app: ok", "database: ok", "migrations: ok (none pending)",
                 "models: ok (match the committed migrations)"):
        assert line in out.splitlines(), out


def test_check_names_a_missing_database(database_backend, tmp_path):
    if database_backend == "sqlite":
        url, expected = f"sqlite://{tmp_path}/missing.sqlite3", "database: SQLite file"
    else:
        url, expected = postgres_url_for(f"fdt_missing_{uuid.uuid4().hex[:8]}"), "does not exist; create it"
    status, out, err = _check(url, tmp_path)
    assert status == 1 and "Traceback" not in err
    assert any(line.startswith("database: ") and expected.removeprefix("database: ") in line for line in out.splitlines()), out
    if database_backend == "sqlite":
        assert not (tmp_path / "missing.sqlite3").exists()  # a check creates nothing


def test_check_names_a_bad_theme(database_url, tmp_path):
    status, out, err = _check(database_url, tmp_path, FRONTDESK_THEME="no_such_theme")
    assert status == 1 and "Traceback" not in err
    assert "theme: no theme named 'no_such_theme'" in out and "app: config: theme" in out


def test_check_refuses_an_empty_secret_key_on_a_shared_database(database_url, database_backend, tmp_path):
    status, out, err = _check(database_url, tmp_path, FRONTDESK_SECRET_KEY="")
    secret_line = next(line for line in out.splitlines() if line.startswith("secret_key:"))
    if database_backend == "postgres":
        assert status == 1 and "empty while the database is shared" in secret_line
    else:
        assert status == 0 and secret_line.startswith("secret_key: ok"), out
    assert not (tmp_path / "var" / "secret_key").exists()


def test_check_finds_models_that_differ_from_the_committed_migrations(database_url, tmp_path):
    package = tmp_path / "drifty"
    (package / "migrations").mkdir(parents=True)
    (package / "migrations" / "__init__.py").write_text("")
    (package / "__init__.py").write_text(textwrap.dedent("""
        from core import PluginMeta, hookimpl

        meta = PluginMeta(name="drifty", version="1.0", core_requires=">=0.1")

        @hookimpl
        def register_models():
            return ["drifty.models"]
    """))
    (package / "models.py").write_text(textwrap.dedent("""
        from tortoise import fields
        from tortoise.models import Model

        class Kite(Model):
            id = fields.IntField(primary_key=True)
            colour = fields.CharField(max_length=20)

            class Meta:
                table = "drifty_kite"
    """))
    # The real command, with one more plugin loaded (as an installed plugin would be).
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import drifty
        import core.cli
        from core.plugins import load_plugins
        core.cli.load_host = lambda settings: load_plugins(settings.disabled_plugins, [drifty])
        sys.argv = ["frontdesk", "check"]
        core.cli.main()
    """)
    status, out, err = finish(frontdesk(database_url, cwd=tmp_path, script=script))
    assert status == 1 and "Traceback" not in err, err
    models = next(line for line in out.splitlines() if line.startswith("models: "))
    assert models.startswith("models: differ from the committed migrations in ") and "drifty" in models, out
    assert models.endswith("run `frontdesk makemigrations drifty` and commit the result")
    assert not list((package / "migrations").glob("0*.py"))  # detected, nothing written


def test_the_second_migrate_waits_for_the_lock(fresh_database_url, tmp_path):
    """The lock itself: held by one process, another `migrate` says it waits, then runs."""
    from core.database import migration_lock
    from core.settings import Settings

    settings = Settings(database_url=fresh_database_url)
    holding = threading.Event()
    release = threading.Event()

    async def hold():
        async with migration_lock(settings):
            holding.set()
            await asyncio.to_thread(release.wait, 60)

    holder = threading.Thread(target=lambda: asyncio.run(hold()), daemon=True)
    holder.start()
    assert holding.wait(20)
    waiting = frontdesk(fresh_database_url, "migrate", cwd=tmp_path)
    first_line = waiting.stdout.readline()
    assert "waiting" in first_line and waiting.poll() is None
    release.set()
    holder.join(20)
    status, out, err = finish(waiting)
    assert status == 0 and out.strip().endswith("migration(s) applied."), err
