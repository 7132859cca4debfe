"""The SQL statements a request sends, read from Tortoise's ``tortoise.db_client`` DEBUG
log: for tests that a list costs the same statements whatever its page size (no query
per row) and reads only the columns it returns."""

from __future__ import annotations

import logging
import re
from typing import Any, Callable


def statements(caplog, call: Callable[[], Any]) -> list[str]:
    """The statements ``call()`` sent, in order (each with its parameters, as logged)."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        call()
    return [record.getMessage() for record in caplog.records if record.name == "tortoise.db_client"]


def mentioning(sent: list[str], table: str) -> list[str]:
    """The statements that name ``table``."""
    return [statement for statement in sent if f'"{table}"' in statement]


def columns_read(sent: list[str], table: str) -> set[str]:
    """What the SELECTs from ``table`` list before their FROM: column names and aliases
    (``"core_case__task"."status" "task__status"`` gives ``status`` and ``task__status``)."""
    names: set[str] = set()
    for statement in sent:
        head, _from, rest = statement.partition(" FROM ")
        if head.startswith("SELECT") and rest.startswith(f'"{table}"'):
            names |= {name for name in re.findall(r'"([^"]+)"', head) if not name.startswith(f"{table}")}
    return names
