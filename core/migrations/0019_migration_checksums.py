# Applied-migration checksums (issue 23): the SHA-256 of each migration file when it was
# applied, so `frontdesk check` and `serve` report a migration rewritten after it ran (the
# database keeps the old schema while the file says otherwise). A plain table, not a
# model: it belongs to the migration machinery (core.database), like Tortoise's own.

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('core', '0018_unit_code_any_case')]

    initial = False

    operations = [
        ops.RunSQL("CREATE TABLE core_migration_checksum (app VARCHAR(100) NOT NULL, name VARCHAR(200) NOT NULL, "
                   "sha256 VARCHAR(64) NOT NULL, PRIMARY KEY (app, name))",
                   "DROP TABLE core_migration_checksum"),
    ]
