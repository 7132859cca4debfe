"""What the retention job keeps about itself: its runs, and the audit months it archived."""

from tortoise import fields
from tortoise.models import Model


class RetentionRun(Model):
    """One pass of the retention job (dry runs are not recorded: they change nothing)."""

    id = fields.BigIntField(primary_key=True)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    #: timer (the server's schedule) or cli (frontdesk retention run).
    trigger = fields.CharField(max_length=10)
    #: Rows removed per kind of record, e.g. {"sessions": 12, "audit_entries": 40210}.
    removed = fields.JSONField(default=dict)
    #: The audit months archived by this run, e.g. ["2019-03", "2019-04"].
    archived = fields.JSONField(default=list)
    #: Why the run stopped early (empty when it finished).
    error = fields.CharField(max_length=500, default="")

    class Meta:
        table = "core_retention_run"
        app = "core"
        table_description = "Runs of the retention job: when, and what each removed"
        ordering = ["-id"]


class AuditArchive(Model):
    """A calendar month (UTC) of audit entries written to a signed gzip file before deletion."""

    id = fields.BigIntField(primary_key=True)
    #: YYYY-MM in UTC.
    month = fields.CharField(max_length=7, unique=True)
    entry_count = fields.BigIntField()
    first_id = fields.BigIntField()
    last_id = fields.BigIntField()
    #: SHA-256 of the stored file's bytes, in hex.
    sha256 = fields.CharField(max_length=64)
    #: HMAC-SHA256 with the secret key over the month, count, ids and sha256 (core.signing).
    signature = fields.CharField(max_length=80)
    #: Where core.storage keeps the file (core/audit-archive/2019-03.jsonl.gz).
    storage_key = fields.CharField(max_length=200)
    created_at = fields.DatetimeField()
    #: When the archived entries were deleted from core_audit_entry (null: not yet, a rerun finishes it).
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "core_audit_archive"
        app = "core"
        table_description = "Months of audit entries archived to signed files in storage, then deleted"
        ordering = ["month"]
