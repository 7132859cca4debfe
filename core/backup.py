"""Online backups: SQLite through its backup API (a consistent copy while the server
writes; copying the file could catch a half-applied WAL), PostgreSQL through pg_dump's
custom format. Restoring is the databases' own tools, documented in docs/operations.md.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from core.database import postgres_dsn, sqlite_path
from core.errors import StartupError
from core.settings import Settings


def backup(settings: Settings, destination: Path) -> Path:
    if destination.exists():
        raise StartupError(f"backup: {destination} exists already; choose a new file", exit_status=1)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if settings.is_sqlite:
        source = sqlite3.connect(sqlite_path(settings))
        target = sqlite3.connect(destination)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return destination
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise StartupError("backup: pg_dump is not installed (Debian: postgresql-client)", exit_status=1)
    # The password goes in the environment, not the command line (which `ps` shows).
    parts = urlsplit(postgres_dsn(settings))
    environment = {**os.environ, "PGPASSWORD": unquote(parts.password or "")}
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    without_password = (parts.scheme, f"{user}{parts.hostname or ''}{port}", parts.path, parts.query, "")
    # S603: no shell; the arguments are pg_dump's full path, our own settings' DSN and a path we built.
    result = subprocess.run([pg_dump, "--format=custom", "--no-owner", "--file", str(destination),  # noqa: S603
                             urlunsplit(without_password)], capture_output=True, text=True, env=environment)
    if result.returncode != 0:
        destination.unlink(missing_ok=True)
        raise StartupError(f"backup: pg_dump failed: {result.stderr.strip().splitlines()[-1:]}", exit_status=1)
    return destination
