"""Shared test configuration: the Frontdesk test kit (core.testing) is loaded by
pytest's addopts in pyproject.toml, so these tests use the same fixtures as plugin authors."""


import pytest


@pytest.fixture
def user_ids(demo_server):
    """Demo usernames to user ids."""
    from core.identity.models import User

    return dict(demo_server.call(lambda: User.all().values_list("username", "id")))
