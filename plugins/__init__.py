"""Frontdesk's built-in plugins. Each is found through its entry point, like any other."""
