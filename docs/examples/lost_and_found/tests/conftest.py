# Frontdesk's test kit: fresh migrated databases, a live server, signed-in clients.
pytest_plugins = ["core.testing"]
