"""Unknown handling times and reopened complaints (issue 17).

- ``handle_seconds`` may be null: a call logged without its start or its end time has an
  unknown handling time, left out of every average, not a 0-second one. The calls logged
  so before were stored with their start equal to their end and 0 seconds: those become
  null. (A call given the same start and end on purpose cannot be told apart from them; a
  0-second call is no call to average either.)
- ``reopen_count`` on a complaint's call counts the reopenings of its complaint task; the
  complaints reopened, a few among many calls, have a partial index (raw SQL, the same on
  both databases, as 0004's).

Tortoise's own AlterField rebuilds the table on SQLite (new table, copy, drop, rename):
that drops every index of the calls, and with foreign keys on, dropping the old table sets
every application's link to its call to null. So the column is altered here by hand: on
PostgreSQL ``DROP NOT NULL``; on SQLite a nullable copy of the column takes the old one's
place (``ADD COLUMN``, copy, ``DROP COLUMN``, ``RENAME COLUMN``), the indexes that name it
dropped first and made again from their own SQL; nothing else of the table is touched. The
way back is written the same way."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

TABLE = "insurance_calls_call"
REOPENED = "idx_insurance_calls_call_reopened"
#: The calls logged without times before: 0 seconds, the start equal to the end.
UNTIMED_TO_UNKNOWN = ("UPDATE insurance_calls_call SET handle_seconds = NULL "
                      "WHERE handle_seconds = 0 AND started_at = ended_at")
UNKNOWN_AS_ZERO = "UPDATE insurance_calls_call SET handle_seconds = 0 WHERE handle_seconds IS NULL"


async def _swap_column(state_editor, definition: str, copy: str) -> None:
    """SQLite: replace ``handle_seconds`` by a column of ``definition`` holding ``copy``."""
    _, indexes = await state_editor.client.execute_query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'insurance_calls_call' "
        "AND sql LIKE '%handle_seconds%'")
    for index in indexes:
        await state_editor._run_sql(f'DROP INDEX "{index["name"]}"')
    await state_editor._run_sql(f"ALTER TABLE {TABLE} ADD COLUMN handle_seconds_new {definition}")
    await state_editor._run_sql(f"UPDATE {TABLE} SET handle_seconds_new = {copy}")  # noqa: S608 — this module's constants
    await state_editor._run_sql(f"ALTER TABLE {TABLE} DROP COLUMN handle_seconds")
    await state_editor._run_sql(f"ALTER TABLE {TABLE} RENAME COLUMN handle_seconds_new TO handle_seconds")
    for index in indexes:
        await state_editor._run_sql(index["sql"])


class HandleSecondsNullable(ops.AlterField):
    """``AlterField`` of ``handle_seconds`` to nullable, its SQL written here (see above)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if not state_editor:
            return
        if state_editor.DIALECT == "sqlite":
            await _swap_column(state_editor, "INT", "handle_seconds")
        else:
            await state_editor._run_sql(f"ALTER TABLE {TABLE} ALTER COLUMN handle_seconds DROP NOT NULL")

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if not state_editor:
            return
        if state_editor.DIALECT == "sqlite":
            await _swap_column(state_editor, "INT NOT NULL DEFAULT 0", "COALESCE(handle_seconds, 0)")
        else:
            await state_editor._run_sql(UNKNOWN_AS_ZERO)
            await state_editor._run_sql(f"ALTER TABLE {TABLE} ALTER COLUMN handle_seconds SET NOT NULL")


class AddReopenCount(ops.AddField):
    """``AddField`` with a default in the database too: Tortoise's adds the column ``NOT
    NULL`` without one, which both databases refuse on a table that has rows (and rows
    written by plain SQL, the bench's, leave it out). Its way back is a plain ``DROP
    COLUMN`` (Tortoise's would rebuild the table on SQLite, as above)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor:
            await state_editor._run_sql(f"ALTER TABLE {TABLE} ADD COLUMN reopen_count INT NOT NULL DEFAULT 0")

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor:
            await state_editor._run_sql(f"ALTER TABLE {TABLE} DROP COLUMN reopen_count")


class Migration(migrations.Migration):
    dependencies = [('insurance_calls', '0004_kpi_indexes')]

    initial = False

    operations = [
        HandleSecondsNullable(
            model_name='Call',
            name='handle_seconds',
            field=fields.IntField(null=True, description='Seconds between start and end, kept for fast averages (null: unknown).'),
        ),
        ops.RunSQL(UNTIMED_TO_UNKNOWN, UNKNOWN_AS_ZERO),
        AddReopenCount(
            model_name='Call',
            name='reopen_count',
            field=fields.IntField(default=0, description='Complaint calls: how many times their complaint task was reopened.'),
        ),
        ops.RunSQL(f"CREATE INDEX {REOPENED} ON {TABLE} (site_id, complaint_task_id) WHERE reopen_count > 0",
                   f"DROP INDEX {REOPENED}"),
    ]
