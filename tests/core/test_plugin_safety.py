"""A plugin cannot take what another owns: routes, permissions, task types, templates."""

import types
from pathlib import Path

import pytest

from core import PluginMeta, hookimpl
from core.app import create_app
from core.errors import StartupError
from core.permissions import PUBLIC, Permission
from core.settings import Settings
from core.tasks.types import TaskType
from core.web.routing import page_route

SETTINGS = Settings(database_url="sqlite:///tmp/unused-safety.sqlite3", secret_key="s" * 40)


def plugin(name, **hooks):
    module = types.ModuleType(f"safety_{name}")
    module.meta = PluginMeta(name=name, version="1")
    for hook_name, function in hooks.items():
        function.__name__ = hook_name
        setattr(module, hook_name, hookimpl(function))
    return module


async def page(request):  # pragma: no cover - never called
    raise AssertionError


def test_a_route_another_plugin_owns_stops_start_up_naming_both():
    first = plugin("alpha", register_routes=lambda: [page_route("/shared/", page, permission=PUBLIC)])
    second = plugin("beta", register_routes=lambda: [page_route("/shared/", page, permission=PUBLIC)])
    with pytest.raises(StartupError, match="plugins alpha and beta both register GET /shared/"):
        create_app(SETTINGS, extra_plugins=[first, second])


def test_taking_a_core_route_is_refused_too():
    thief = plugin("thief", register_routes=lambda: [page_route("/login", page, permission=PUBLIC)])
    with pytest.raises(StartupError, match="plugins core and thief both register GET /login"):
        create_app(SETTINGS, extra_plugins=[thief])


def test_a_permission_another_plugin_owns_stops_start_up():
    thief = plugin("thief", register_permissions=lambda: [Permission("hotel.room.inspect", "x")])
    with pytest.raises(StartupError, match="plugins hotel and thief both register the permission hotel.room.inspect"):
        create_app(SETTINGS, extra_plugins=[thief])


def test_a_task_type_another_plugin_owns_stops_start_up():
    thief = plugin("thief", register_task_types=lambda: [TaskType("hotel.departure_clean", "x", 10)])
    with pytest.raises(StartupError, match="plugins hotel and thief both register the task type hotel.departure_clean"):
        create_app(SETTINGS, extra_plugins=[thief])


def test_a_template_another_plugin_provides_stops_start_up(tmp_path):
    import importlib
    import sys

    package = tmp_path / "copycat"
    (package / "templates" / "hotel").mkdir(parents=True)
    (package / "templates" / "hotel" / "board.html").write_text("{{ 1 }}")
    (package / "__init__.py").write_text("from core import PluginMeta\nmeta = PluginMeta(name='copycat', version='1')\n")
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module("copycat")
        hotel_templates = Path(importlib.import_module("plugins.hotel").__file__).parent / "templates" / "hotel"
        assert (hotel_templates / "board.html").exists()
        with pytest.raises(StartupError, match="plugins hotel and copycat both provide the template hotel/board.html"):
            create_app(SETTINGS, extra_plugins=[module])
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("copycat", None)
