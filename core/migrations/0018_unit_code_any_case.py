# Unit codes are looked up in any case (issue 22: "a-0101" finds A-0101): an index on the
# site and UPPER(code), the expression core.entities.units compares, on both databases.

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('core', '0017_retention')]

    initial = False

    operations = [
        ops.RunSQL("CREATE INDEX core_unit_site_code_upper ON core_unit (site_id, UPPER(code))",
                   "DROP INDEX core_unit_site_code_upper"),
    ]
