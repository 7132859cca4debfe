"""Plain rows for hot read paths: a Tortoise queryset's columns as dicts, without the
ORM's per-row cost.

Profiling "my open tasks" (a page of 50) showed most of each request in Tortoise building
model instances and converting every field of every row, above all parsing each datetime
text on SQLite with ``iso8601.parse_date`` (three per row). Lists only need the columns
they return, so ``fetch`` lets Tortoise build the SQL from the same queryset (the same
filters, site scoping and ordering as everywhere else) and runs it itself, converting
only what the driver does not already return as Python values: datetimes on SQLite with
``datetime.fromisoformat`` (C, about 20× faster), booleans stored as integers, and the
field's own conversion for the rare rest (JSON, decimals). Writes and rich reads keep
using the models.

Why reach into ``ValuesQuery``'s query builder: Tortoise offers no public "give me the
SQL and its parameters" for a values query, and running the SQL ourselves is the point.
``tests/core/test_rows.py`` pins the behaviour on both databases, so an upgrade that
changes these internals fails there first.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, Callable

from tortoise import fields
from tortoise.queryset import QuerySet

UTC = dt.timezone.utc
Converter = Callable[[Any], Any] | None


def _sqlite_datetime(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is UTC:  # what Tortoise writes: "2026-11-30 16:09:50.123456+00:00"
        return moment
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _sqlite_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _converter(field: fields.Field, dialect: str) -> Converter:
    """How to turn the driver's value into the model field's Python value (None: as is)."""
    if isinstance(field, fields.DatetimeField):
        return _sqlite_datetime if dialect == "sqlite" else None
    if isinstance(field, fields.BooleanField):
        return _sqlite_bool if dialect == "sqlite" else None
    if isinstance(field, (fields.IntField, fields.BigIntField, fields.SmallIntField, fields.CharField,
                          fields.TextField)) and not getattr(field, "enum_type", None):
        return None
    return field.to_python_value


def _field_of(model, name: str) -> fields.Field | None:
    """The field a (possibly related, ``unit__code``) column name stands for."""
    head, _sep, rest = name.partition("__")
    meta = model._meta
    if not rest:
        field = meta.fields_map.get(name)
        if field is not None and name in meta.fetch_fields:
            return None
        return field
    related = meta.fields_map.get(head)
    if related is None or head not in meta.fetch_fields:
        return None
    return _field_of(related.related_model, rest)


def _convert(model, columns: tuple[str, ...], dialect: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    conversions = []
    for column in columns:
        field = _field_of(model, column)
        if field is not None and (converter := _converter(field, dialect)) is not None:
            conversions.append((column, converter))
    for row in rows:
        for column, converter in conversions:
            row[column] = converter(row[column])
    return rows


async def fetch(queryset: QuerySet, *columns: str) -> list[dict[str, Any]]:
    """``queryset``'s rows as ``{column: value}`` dicts of ``columns`` (model field names,
    ``_id`` keys, or ``related__field``), values as the model would hold them."""
    values = queryset.values(*columns)
    values._choose_db_if_not_chosen()
    values._make_query()
    sql, parameters = values.query.get_parameterized_sql()
    connection = values._db
    rows = await connection.execute_query_dict(sql, parameters)
    return _convert(queryset.model, columns, connection.capabilities.dialect, rows)


# --- One page by equality, without building the query each time --------------------------------
#
# ``fetch`` still pays for Tortoise compiling the query on every call (a third of a list
# request once the rows are plain). The hottest lists ("my open tasks", refreshed by every
# desk) filter by equality only, so ``page`` writes that SQL itself, once per shape (which
# columns, which filters, which direction), from the model's own column names: no text
# from the request ever reaches the SQL, only parameters.


@lru_cache(maxsize=512)
def _page_sql(model, columns: tuple[str, ...], filters: tuple[str, ...], cursor: bool, descending: bool,
              dialect: str) -> str:
    projection = model._meta.fields_db_projection
    mark = (lambda n: f"${n}") if dialect == "postgres" else (lambda n: "?")
    conditions = [f'"{projection[name]}"={mark(number)}' for number, name in enumerate(filters, 1)]
    if cursor:
        conditions.append(f'"id"{"<" if descending else ">"}{mark(len(filters) + 1)}')
    selected = ",".join(f'"{projection[name]}" "{name}"' for name in columns)
    return (f'SELECT {selected} FROM "{model._meta.db_table}" WHERE {" AND ".join(conditions)} '  # noqa: S608 — identifiers are the model's own
            f'ORDER BY "id" {"DESC" if descending else "ASC"} LIMIT {mark(len(filters) + 1 + cursor)}')


async def page(model, columns: tuple[str, ...], *, site_id: int, equal: dict[str, Any], limit: int,
               after: int | None = None, descending: bool = False) -> list[dict[str, Any]]:
    """Up to ``limit`` rows of ``model`` at the site ``site_id`` (always: the site is not
    optional) whose fields equal ``equal``, ordered by id, after the id ``after`` (keyset
    pagination), as ``fetch`` returns them."""
    projection = model._meta.fields_db_projection
    filters = ("site_id", *sorted(equal))
    for name in (*filters, *columns):
        if name not in projection:
            raise ValueError(f"{model.__name__} has no column {name}")
    connection = model._meta.db
    dialect = connection.capabilities.dialect
    fields_map = model._meta.fields_map
    parameters = [site_id, *(fields_map[name].to_db_value(equal[name], model) for name in filters[1:])]
    if after is not None:
        parameters.append(after)
    parameters.append(limit)
    sql = _page_sql(model, columns, filters, after is not None, descending, dialect)
    return _convert(model, columns, dialect, await connection.execute_query_dict(sql, parameters))
