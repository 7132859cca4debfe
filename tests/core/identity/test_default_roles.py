"""Which built-in roles a new installation grants core's permissions to."""

from core.entities import plugin as entities
from core.identity.services import BUILTIN_ROLES
from core.permissions import EVERY_DESK, EVERYONE
from core.tasks import plugin as tasks


def default_roles(plugin) -> dict[str, tuple[str, ...]]:
    return {permission.name: permission.default_roles for permission in plugin.register_permissions()}


def test_everyone_is_every_built_in_role():
    assert sorted(EVERYONE) == sorted(BUILTIN_ROLES) and len(set(EVERYONE)) == len(EVERYONE)
    assert set(EVERYONE) - set(EVERY_DESK) == {"housekeeper"}


def test_core_grants_everyone_units_and_tasks_and_every_desk_but_the_cashiers_parties():
    granted = {**default_roles(entities), **default_roles(tasks)}
    for name in ("core.unit.read", "core.task.read", "core.task.create", "core.task.work", "core.handover.read",
                 "core.handover.write"):
        assert granted[name] == EVERYONE, name
    assert set(granted["core.party.edit"]) == set(EVERY_DESK) - {"cashier"}
    assert granted["core.party.personal_data"] == granted["core.party.edit"]
