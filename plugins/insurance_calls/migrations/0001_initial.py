"""Marks the `insurance_calls` app's place in the migration graph; its tables come next."""

from tortoise import migrations


class Migration(migrations.Migration):
    initial = True

    dependencies = [("core", "0001_initial")]

    operations = []
