# Retention (issue 21): the runs of the retention job, and the months of audit entries it
# archived to signed files before deleting them (core.retention).

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0016_stored_files')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditArchive',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('month', fields.CharField(unique=True, description='YYYY-MM in UTC.', max_length=7)),
                ('entry_count', fields.BigIntField()),
                ('first_id', fields.BigIntField()),
                ('last_id', fields.BigIntField()),
                ('sha256', fields.CharField(description="SHA-256 of the stored file's bytes, in hex.", max_length=64)),
                ('signature', fields.CharField(description='HMAC-SHA256 with the secret key over the month, count, ids and sha256 (core.signing).', max_length=80)),
                ('storage_key', fields.CharField(description='Where core.storage keeps the file (core/audit-archive/2019-03.jsonl.gz).', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, description='When the archived entries were deleted from core_audit_entry (null: not yet, a rerun finishes it).', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'core_audit_archive', 'app': 'core', 'pk_attr': 'id', 'table_description': 'Months of audit entries archived to signed files in storage, then deleted'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RetentionRun',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('trigger', fields.CharField(description="timer (the server's schedule) or cli (frontdesk retention run).", max_length=10)),
                ('removed', fields.JSONField(default=dict, description='Rows removed per kind of record, e.g. {"sessions": 12, "audit_entries": 40210}.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('archived', fields.JSONField(default=list, description='The audit months archived by this run, e.g. ["2019-03", "2019-04"].', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('error', fields.CharField(default='', description='Why the run stopped early (empty when it finished).', max_length=500)),
            ],
            options={'table': 'core_retention_run', 'app': 'core', 'pk_attr': 'id', 'table_description': 'Runs of the retention job: when, and what each removed'},
            bases=['Model'],
        ),
    ]
