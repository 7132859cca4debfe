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
from typing import Any, Callable

from tortoise import fields
from tortoise.queryset import QuerySet

UTC = dt.timezone.utc
Converter = Callable[[Any], Any] | None


def _sqlite_datetime(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    moment = dt.datetime.fromisoformat(value)
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


async def fetch(queryset: QuerySet, *columns: str) -> list[dict[str, Any]]:
    """``queryset``'s rows as ``{column: value}`` dicts of ``columns`` (model field names,
    ``_id`` keys, or ``related__field``), values as the model would hold them."""
    values = queryset.values(*columns)
    values._choose_db_if_not_chosen()
    values._make_query()
    sql, parameters = values.query.get_parameterized_sql()
    connection = values._db
    dialect = connection.capabilities.dialect
    rows = await connection.execute_query_dict(sql, parameters)
    model = queryset.model
    conversions = []
    for column in columns:
        field = _field_of(model, column)
        if field is None:
            continue
        converter = _converter(field, dialect)
        if converter is not None:
            conversions.append((column, converter))
    for row in rows:
        for column, converter in conversions:
            row[column] = converter(row[column])
    return rows

