"""Indexes for the KPIs counted in SQL (issue 16).

- The month's calls by type and by agent with their handle time come from the index on
  (site, started_at, call_type, agent, handle_seconds) alone; it replaces the one without
  handle_seconds, which served the same filters.
- The revisit calls that recorded a satisfaction are a few hundred a month among tens of
  thousands: a partial index holds just them. Tortoise's Index has no condition on SQLite,
  so it is raw SQL, the same on both databases."""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

JUDGED = "idx_insurance_calls_call_judged"


class Migration(migrations.Migration):
    dependencies = [('insurance_calls', '0003_task_subjects')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Call',
            name=None,
            fields=['site_id', 'started_at', 'call_type', 'agent_id'],
        ),
        ops.AddIndex(
            model_name='Call',
            index=Index(fields=['site_id', 'started_at', 'call_type', 'agent_id', 'handle_seconds']),
        ),
        ops.RunSQL(f"CREATE INDEX {JUDGED} ON insurance_calls_call (site_id, started_at) WHERE satisfied IS NOT NULL",
                   f"DROP INDEX {JUDGED}"),
    ]
