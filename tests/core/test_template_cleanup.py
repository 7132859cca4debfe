"""The kit drops a PostgreSQL template database it was building when building it fails
(a migration or start-up error), instead of leaving it on the server after the run."""

import os
import uuid

import pytest

import tests.core.visitor_index_plugin as visitor_index
from core.errors import StartupError
from core.testing.databases import (
    BACKEND, POSTGRES_URL, build_postgres_template, migrate_database, postgres_available, run_async)


async def _exists(name: str) -> bool:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://", 1))
    try:
        return bool(await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await connection.close()


@pytest.mark.skipif(BACKEND != "postgres" or postgres_available() is not None, reason="PostgreSQL run only")
def test_a_template_that_fails_to_build_is_dropped(database_backend):
    name = f"fdt_tpl_{os.getpid()}_broken_{uuid.uuid4().hex[:6]}"
    with pytest.raises(StartupError, match="visitor_index"):
        build_postgres_template(name, None, lambda url: migrate_database(url, extra_plugins=[visitor_index]))
    assert not run_async(_exists(name))
