"""Lost and found's migrations, proven by Frontdesk's test kit on both databases.

The first test applies every committed migration (core's, the installed plugins', this
plugin's) one at a time to a database whose tables hold rows: a field added with
`default=` only (no `db_default=`) fails here, as it would on any real database. The
second fails when the models differ from the committed migrations (run
`frontdesk makemigrations lost_and_found` and commit the file)."""


def test_migrations_apply_to_tables_with_rows(migrations_on_data):
    migrations_on_data()


def test_models_match_their_migrations(models_match_migrations):
    models_match_migrations()
