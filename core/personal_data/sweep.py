"""Reading and rewriting every text column of every table: the rows that mention a person
(exported under "mentions"), the tables' declared fields, and the sweep that scrubs free
text after the sources have erased what they know.

Candidate rows are found in SQL (``LIKE`` on each text and JSON column cast to text, for the
name, the phone numbers as commonly written and the e-mail addresses, JSON's ASCII escapes
too) and the ``Scrubber``'s patterns decide in Python. Rows are rewritten with a query
``UPDATE`` (``QuerySet.update``), never ``Model.save``: see ``scrub_rows`` for the audit log.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any, Iterator

from tortoise import Tortoise
from tortoise.expressions import F
from tortoise.fields import CharField, IntField, JSONField, TextField

from core.personal_data.sources import Scrubber, Subject, Table

#: Columns that never hold a person's words (hashes, signatures): not searched.
SKIPPED_COLUMNS = frozenset({"password_hash", "key_hash", "token_hash", "body_hash", "request_hash", "sha256",
                             "signature"})


def all_models() -> Iterator[Any]:
    """Every model of every loaded app (core's and each plugin's), in a stable order."""
    for label in sorted(Tortoise.apps):
        for name in sorted(Tortoise.apps[label]):
            yield Tortoise.apps[label][name]


def text_columns(model: Any) -> list[tuple[str, str, bool]]:
    """``(field, column, is_json)`` of the model's text, varchar and JSON columns."""
    meta = model._meta
    columns = []
    for name, field in meta.fields_map.items():
        if name in SKIPPED_COLUMNS or name not in meta.fields_db_projection:
            continue
        if isinstance(field, (CharField, TextField, JSONField)):
            columns.append((name, meta.fields_db_projection[name], isinstance(field, JSONField)))
    return columns


def _like(value: str) -> str:
    return "%" + value.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"


async def mentioning(model: Any, scrubber: Scrubber, site_ids: tuple[int, ...] | None) -> list[Any]:
    """Primary keys of the model's rows whose text may name the subject. A table with a
    ``site_id`` is searched at ``site_ids`` (and where it is empty) only: another site's
    person of the same name is someone else."""
    columns = text_columns(model)
    needles = scrubber.needles()
    if not columns or not needles:
        return []
    meta = model._meta
    connection = meta.db
    postgres = connection.capabilities.dialect == "postgres"
    parameters: list[Any] = []

    def placeholder(value: Any) -> str:
        parameters.append(value)
        return f"${len(parameters)}" if postgres else "?"

    conditions = [f"LOWER(CAST(\"{column}\" AS TEXT)) LIKE {placeholder(_like(needle))} ESCAPE '!'"
                  for _name, column, _json in columns for needle in needles]
    where = "(" + " OR ".join(conditions) + ")"
    if site_ids is not None and "site_id" in meta.fields_db_projection.values():
        where += " AND (\"site_id\" IS NULL OR \"site_id\" IN (" + ", ".join(placeholder(i) for i in site_ids) + "))"
    pk_column = meta.fields_db_projection[meta.pk_attr]
    _count, rows = await connection.execute_query(
        # Identifiers are the model's own; the values are parameters.
        f"SELECT \"{pk_column}\" AS pk FROM \"{meta.db_table}\" WHERE {where} ORDER BY 1", parameters)  # noqa: S608
    return [row["pk"] for row in rows]


def json_ready(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, (dt.date, dt.time, decimal.Decimal, uuid.UUID)):
        return str(value) if not isinstance(value, (dt.date, dt.time)) else value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    return value


async def table_rows(table: Table, subject: Subject) -> list[dict]:
    query = table.match(subject)
    if query is None:
        return []
    meta = table.model._meta
    fields = [name for name in meta.fields_db_projection if name not in table.private]
    rows = await table.model.filter(query).order_by(meta.pk_attr).values(*fields)
    return [json_ready(row) for row in rows]


async def mention_rows(scrubber: Scrubber, site_ids: tuple[int, ...] | None) -> dict[str, list[dict]]:
    """Per table, the rows whose text names the subject: their key and those texts."""
    found: dict[str, list[dict]] = {}
    for model in all_models():
        keys = await mentioning(model, scrubber, site_ids)
        if not keys:
            continue
        meta = model._meta
        columns = [name for name, _column, _json in text_columns(model)]
        rows = []
        for row in await model.filter(pk__in=keys).order_by(meta.pk_attr).values(meta.pk_attr, *columns):
            named = {name: row[name] for name in columns if scrubber.value(row[name]) != row[name]}
            if named:
                rows.append(json_ready({meta.pk_attr: row[meta.pk_attr], **named}))
        if rows:
            found[meta.db_table] = rows
    return found


def _fits(model: Any, name: str, value: Any) -> Any:
    """A replacement cut to the column's width (a pseudonym is longer than most names)."""
    field = model._meta.fields_map[name]
    if isinstance(field, CharField) and isinstance(value, str):
        return value[: field.max_length]
    return value


def _versioned(model: Any, changes: dict) -> dict:
    """Bump ``version`` where the model has one: an editor holding the old row gets 409 and
    cannot write the name back."""
    field = model._meta.fields_map.get("version")
    if isinstance(field, IntField):
        changes["version"] = F("version") + 1
    return changes


def emptied(model: Any, name: str) -> Any:
    field = model._meta.fields_map[name]
    if isinstance(field, JSONField):
        default = field.default() if callable(field.default) else field.default
        return type(default)() if isinstance(default, (list, dict)) else None
    return None if field.null else ""


async def erase_table(table: Table, subject: Subject, scrubber: Scrubber) -> int:
    """The declared fields of the subject's rows: names to the pseudonym, contacts emptied."""
    query = table.match(subject)
    if query is None:
        return 0
    changes = {name: _fits(table.model, name, scrubber.pseudonym) for name in table.names}
    changes.update({name: emptied(table.model, name) for name in table.contacts})
    if not changes:
        return await table.model.filter(query).count()
    return await table.model.filter(query).update(**_versioned(table.model, changes))


async def scrub_rows(model: Any, keys: list[Any], scrubber: Scrubber) -> int:
    """Rewrite the rows' text and JSON columns through the scrubber; how many changed.

    A query UPDATE, never ``Model.save``: audit entries refuse ``save`` (append-only), and
    erasure is the one change the audit log accepts, because the law that makes the log
    append-only (keep what happened) gives way to the person's right to be erased: what was
    done stays, who it was done to becomes the pseudonym. The erase itself is audited."""
    if not keys:
        return 0
    meta = model._meta
    columns = text_columns(model)
    changed = 0
    for row in await model.filter(pk__in=keys).values(meta.pk_attr, *(name for name, _c, _j in columns)):
        changes = {}
        for name, _column, is_json in columns:
            old = row[name]
            new = scrubber.value(old) if is_json else (scrubber.text(old) if isinstance(old, str) else old)
            if new != old:
                changes[name] = _fits(model, name, new)
        if changes:
            await model.filter(pk=row[meta.pk_attr]).update(**_versioned(model, changes))
            changed += 1
    return changed


async def sweep(scrubber: Scrubber, site_ids: tuple[int, ...] | None) -> dict[str, int]:
    """Scrub every table's free text; rows changed per table."""
    counts = {}
    for model in all_models():
        changed = await scrub_rows(model, await mentioning(model, scrubber, site_ids), scrubber)
        if changed:
            counts[model._meta.db_table] = changed
    return counts
