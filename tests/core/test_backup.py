"""`frontdesk backup` makes a copy that restores to the same data, on both databases."""

import asyncio
import os
import subprocess
import sys
import uuid

import asyncpg

from core.testing import admin_execute as _admin_execute, postgres_url_for as _postgres_url_for
from tests.core.tasks.conftest import new_task


def test_backup_restores_to_the_same_data(demo_server, tmp_path):
    database_url = demo_server.app.state.settings.database_url
    new_task(demo_server.api_client("agent"), title="Written just before the backup")
    env = {**os.environ, "FRONTDESK_DATABASE_URL": database_url}
    destination = tmp_path / "backup.dump"
    made = subprocess.run([sys.executable, "-m", "core", "backup", str(destination)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    again = subprocess.run([sys.executable, "-m", "core", "backup", str(destination)], env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "exists already" in again.stderr

    count_sql = "SELECT (SELECT count(*) FROM core_task), (SELECT count(*) FROM core_audit_entry), " \
                "(SELECT count(*) FROM core_user)"
    if database_url.startswith("sqlite://"):
        import sqlite3

        original = sqlite3.connect(database_url[len("sqlite://"):]).execute(count_sql).fetchone()
        restored = sqlite3.connect(destination)
        assert restored.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert restored.execute(count_sql).fetchone() == original
        return

    name = f"fdt_restore_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin_execute(f'CREATE DATABASE "{name}"'))
    try:
        restored = subprocess.run(["pg_restore", "--no-owner", "--dbname",
                                   _postgres_url_for(name).replace("postgres://", "postgresql://"), str(destination)],
                                  capture_output=True, text=True, timeout=120)
        assert restored.returncode == 0, restored.stderr

        async def counts(url):
            connection = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
            try:
                return tuple(await connection.fetchrow(count_sql))
            finally:
                await connection.close()

        assert asyncio.run(counts(_postgres_url_for(name))) == asyncio.run(counts(database_url.split("?")[0]))
    finally:
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
