"""The plugin host: discovery, disabling, failures, compatibility, dependencies."""

import subprocess
import sys
import types
from importlib.metadata import EntryPoint

import pytest

from core import PluginMeta, hookimpl
from core.errors import StartupError
from core.plugins import load_plugins

BUILTIN = ["cashier", "hotel", "insurance_calls", "resident", "rostering"]


def make_plugin(name, core_requires=">=0.1,<1", depends=(), **hooks):
    module = types.ModuleType(f"test_plugin_{name}")
    module.meta = PluginMeta(name=name, version="1.0", core_requires=core_requires, depends=tuple(depends))
    for hook_name, function in hooks.items():
        function.__name__ = hook_name
        setattr(module, hook_name, hookimpl(function))
    return module


def test_builtin_plugins_are_discovered_through_entry_points():
    host = load_plugins()
    assert host.names == ["core", *BUILTIN]
    assert all(plugin.builtin for plugin in host.plugins)


def test_each_app_gets_its_own_plugin_manager():
    first, second = load_plugins(), load_plugins(extra_modules=[make_plugin("extra")])
    assert first.manager is not second.manager
    assert "extra" not in first.names and "extra" in second.names


def test_a_setting_disables_a_plugin_by_name():
    assert "hotel" not in load_plugins(disabled=["hotel"]).names


def test_disabling_an_unknown_plugin_is_a_startup_error():
    with pytest.raises(StartupError, match="no installed plugin is named 'hotle'"):
        load_plugins(disabled=["hotle"])


def test_a_plugin_that_fails_to_import_stops_startup_naming_it(monkeypatch):
    from core import plugin_host

    broken = EntryPoint(name="broken", value="tests.core.no_such_module_here", group="frontdesk")
    real = plugin_host.discover_entry_points
    monkeypatch.setattr(plugin_host, "discover_entry_points", lambda: {**real(), "broken": broken})
    with pytest.raises(StartupError, match="plugin broken: failed to import"):
        load_plugins()


def test_a_plugin_whose_hook_raises_stops_startup_naming_it():
    def register_menu_items():
        raise RuntimeError("boom")

    host = load_plugins(extra_modules=[make_plugin("faulty", register_menu_items=register_menu_items)])
    with pytest.raises(StartupError, match="plugin faulty: hook register_menu_items failed"):
        host.collect("register_menu_items")


def test_a_misspelt_hook_is_refused_at_registration():
    def register_menu_itemz():
        return []

    with pytest.raises(StartupError, match="plugin typo"):
        load_plugins(extra_modules=[make_plugin("typo", register_menu_itemz=register_menu_itemz)])


def test_an_incompatible_plugin_is_refused_naming_both_versions():
    with pytest.raises(StartupError) as error:
        load_plugins(extra_modules=[make_plugin("future", core_requires=">=2.0")])
    assert "requires Frontdesk core >=2.0" in str(error.value)
    assert "this is core 0.1.0" in str(error.value)


def test_dependencies_load_first_and_missing_ones_are_named():
    first = make_plugin("zeta_base")
    second = make_plugin("alpha_addon", depends=["zeta_base"])
    host = load_plugins(extra_modules=[second, first])
    assert host.names.index("zeta_base") < host.names.index("alpha_addon")
    with pytest.raises(StartupError, match="depends on plugin 'zeta_base'"):
        load_plugins(extra_modules=[second])


def test_dependency_cycles_are_refused():
    with pytest.raises(StartupError, match="dependency cycle"):
        load_plugins(extra_modules=[make_plugin("one", depends=["two"]), make_plugin("two", depends=["one"])])


def test_notify_isolates_a_failing_plugin(caplog):
    seen = []

    def on_app_started(app):
        raise RuntimeError("plugin bug")

    async def on_app_started_ok(app):
        seen.append(app)

    broken = make_plugin("broken_listener", on_app_started=on_app_started)
    healthy = make_plugin("healthy_listener", on_app_started=on_app_started_ok)
    host = load_plugins(extra_modules=[broken, healthy])
    import asyncio

    asyncio.run(host.notify("on_app_started", app="the app"))
    assert seen == ["the app"]
    assert "plugin broken_listener: hook on_app_started failed" in caplog.text


def test_frontdesk_plugins_lists_the_builtin_plugins_with_versions_and_hooks():
    result = subprocess.run([sys.executable, "-m", "core", "plugins"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for name in BUILTIN:
        line = next(line for line in lines if line.startswith(f"{name} "))
        assert "0.1.0" in line and "register_models" in line


# --- Conventions: <package>.models, <package>.api.routes(), <package>.pages.routes() -----

ROUTES_MODULE = (
    "from starlette.responses import PlainTextResponse\n"
    "from starlette.routing import Route\n\n"
    "async def hello(request):\n"
    "    return PlainTextResponse('hi')\n\n"
    "def routes():\n"
    "    return [Route({path!r}, hello)]\n"
)


def write_package(root, name, init, **modules):
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text(
        "from core import PluginMeta, hookimpl\n"
        f"meta = PluginMeta(name={name!r}, version='1.0')\n" + init)
    for module, source in modules.items():
        (package / f"{module}.py").write_text(source)
    import importlib

    # Another test in this process may have imported a package of the same name (several
    # use "lockers"): forget it, so this one is read from this test's folder.
    for loaded in [key for key in sys.modules if key == name or key.startswith(f"{name}.")]:
        del sys.modules[loaded]
    importlib.invalidate_caches()
    return importlib.import_module(name)


def contributed(host, hook, name):
    return next((items for plugin, items in host.contributions(hook) if plugin.name == name), [])


def test_models_api_and_pages_are_found_by_convention_without_hooks(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = write_package(tmp_path, "conv_only", "", models="", api=ROUTES_MODULE.format(path="/api/v1/conv"),
                           pages=ROUTES_MODULE.format(path="/conv/"))
    host = load_plugins(extra_modules=[module])
    assert contributed(host, "register_models", "conv_only") == ["conv_only.models"]
    assert [route.path for route in contributed(host, "register_api_routes", "conv_only")] == ["/api/v1/conv"]
    assert [route.path for route in contributed(host, "register_routes", "conv_only")] == ["/conv/"]
    # `frontdesk plugins` lists what the convention found as the hooks it stands for.
    assert {"register_models", "register_api_routes", "register_routes"} <= set(host.by_name["conv_only"].hooks)


def test_a_plugin_that_still_implements_the_hooks_is_not_registered_twice(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    init = (
        "@hookimpl\n"
        "def register_models():\n"
        "    return ['legacy_hooks.models']\n\n"
        "@hookimpl\n"
        "def register_routes():\n"
        "    from legacy_hooks import extra, pages\n"
        "    return [*pages.routes(), *extra.routes()]\n"
    )
    module = write_package(tmp_path, "legacy_hooks", init, models="", pages=ROUTES_MODULE.format(path="/legacy/"),
                           extra=ROUTES_MODULE.format(path="/legacy/extra"))
    host = load_plugins(extra_modules=[module])
    assert contributed(host, "register_models", "legacy_hooks") == ["legacy_hooks.models"]
    # pages.routes() once (the convention's), and the hook's extra page kept.
    assert [route.path for route in contributed(host, "register_routes", "legacy_hooks")] == ["/legacy/", "/legacy/extra"]


DECLARED = {
    "menu": "from core.menu import MenuItem\nMENU = [MenuItem(label='Lockers', url='/lockers/', permission='lockers.read')]\n",
    "permissions": "from core.permissions import Permission\nPERMISSIONS = [Permission('lockers.read', 'See lockers', ('agent',))]\n",
    "task_types": "from core.tasks.types import TaskType\nTASK_TYPES = [TaskType('lockers.jam', 'Jammed locker', 60)]\n",
    "demo": "async def load(demo):\n    demo.loaded_lockers = True\n",
}


def test_menu_permissions_task_types_and_demo_are_read_from_their_modules(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = write_package(tmp_path, "lockers", "", **DECLARED)
    host = load_plugins(extra_modules=[module])
    assert [item.url for item in contributed(host, "register_menu_items", "lockers")] == ["/lockers/"]
    assert [p.name for p in contributed(host, "register_permissions", "lockers")] == ["lockers.read"]
    assert [t.name for t in contributed(host, "register_task_types", "lockers")] == ["lockers.jam"]
    assert [f.__name__ for f in contributed(host, "register_demo_data", "lockers")] == ["load"]
    assert "lockers.read" in {p.name for p in host.collect("register_permissions")}
    assert {"register_menu_items", "register_permissions", "register_task_types", "register_demo_data"} <= set(
        host.by_name["lockers"].hooks)


def test_a_declaration_that_is_not_a_list_stops_startup_naming_the_plugin(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = write_package(tmp_path, "bad_menu", "", menu="MENU = 3\n")
    with pytest.raises(StartupError, match=r"plugin bad_menu: bad_menu.menu.MENU is not a list"):
        load_plugins(extra_modules=[module])


def test_a_module_of_that_name_without_the_declaration_is_not_one(tmp_path, monkeypatch):
    """Core's own ``core.menu`` holds the MenuItem class, not a menu: nothing is read."""
    monkeypatch.syspath_prepend(str(tmp_path))
    module = write_package(tmp_path, "menu_helpers", "", menu="def item(label):\n    return label\n")
    host = load_plugins(extra_modules=[module])
    assert contributed(host, "register_menu_items", "menu_helpers") == []


def test_a_pages_module_without_routes_stops_startup_naming_the_plugin(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = write_package(tmp_path, "no_routes", "", pages="PAGES = []\n")
    host = load_plugins(extra_modules=[module])
    with pytest.raises(StartupError, match=r"plugin no_routes: no_routes.pages has no routes\(\)"):
        host.contributions("register_routes")


def test_core_features_are_default_plugins_of_the_one_core_plugin():
    from core.plugins import DEFAULT_PLUGINS

    core = load_plugins().by_name["core"]
    assert core.hook_modules == DEFAULT_PLUGINS
    assert {module.__name__ for module in DEFAULT_PLUGINS} == {
        "core.builtin_plugin", "core.entities.plugin", "core.identity.plugin", "core.audit.plugin", "core.tasks.plugin",
        "core.receipts.plugin", "core.messages.plugin", "core.kpis.plugin", "core.imports.plugin",
        "core.retention.plugin", "core.personal_data.plugin"}
    # One Tortoise app for all of core's models, with core's migrations.
    from core.database import apps_config

    app = apps_config(load_plugins())["core"]
    assert app["migrations"] == "core.migrations"
    assert app["models"] == ["core.entities.models", "core.identity.models", "core.audit.models", "core.tasks.models",
                             "core.receipts.models", "core.messages.models", "core.retention.models",
                             "core.event_log", "core.storage"]


def test_a_failing_core_feature_hook_names_the_core_plugin(monkeypatch):
    from core.entities import plugin as entities_plugin

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(entities_plugin, "register_menu_items", hookimpl(broken))
    host = load_plugins()
    with pytest.raises(StartupError, match="plugin core: hook register_menu_items failed"):
        host.collect("register_menu_items")
