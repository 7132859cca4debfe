"""Migration operations that are safe on a database holding data.

Tortoise's own ``AddField`` adds a ``NOT NULL`` column without a database default, which
PostgreSQL refuses on a table that has rows ("column ... contains null values"), and on
SQLite it rebuilds the table (new table, copy, drop, rename): with foreign keys on,
dropping the old ``core_user`` fails or cascades to the rows that point at it. A suite that
migrates only empty databases never sees either (``tests/core/test_migrations_on_data.py``
migrates the demo's). ``AddColumn`` writes the one statement both databases take on a
populated table, ``ALTER TABLE ... ADD COLUMN ... NOT NULL DEFAULT <the field's default>``,
and its way back is a plain ``DROP COLUMN``; the migration state is Tortoise's, unchanged.

Plugins may use it in their migrations as core does (a public module of core).
"""

from __future__ import annotations

from typing import Any

from tortoise.migrations import operations as ops


def _literal(value: Any, dialect: str) -> str:
    """A constant default as SQL (only the kinds a column default needs)."""
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if dialect == "postgres" else ("1" if value else "0")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"AddColumn needs a constant str, int or bool default, not {value!r}")


class AddColumn(ops.AddField):
    """``AddField`` for a column with a constant default (or nullable): one ``ADD COLUMN``
    with the default in the database too, safe on tables with rows."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if not state_editor:
            return
        model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
        field = model._meta.fields_map[self.name]
        dialect = state_editor.DIALECT
        column = field.source_field or self.name
        sql_type = field.get_for_dialect(dialect, "SQL_TYPE")
        if field.null:
            constraint = "NULL"
        else:
            default = field.default() if callable(field.default) else field.default
            constraint = f"NOT NULL DEFAULT {_literal(default, dialect)}"
        await state_editor._run_sql(
            f'ALTER TABLE "{model._meta.db_table}" ADD COLUMN "{column}" {sql_type} {constraint}')

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if not state_editor:
            return
        model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
        field = model._meta.fields_map[self.name]
        await state_editor._run_sql(
            f'ALTER TABLE "{model._meta.db_table}" DROP COLUMN "{field.source_field or self.name}"')
