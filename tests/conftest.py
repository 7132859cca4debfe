"""Shared test configuration: the Frontdesk test kit (core.testing) is loaded by
pytest's addopts in pyproject.toml, so these tests use the same fixtures as plugin authors."""
