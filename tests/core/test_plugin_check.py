"""The start-up validation pass (core.startup_checks): each trap that used to start fine and
fail later, for someone else, now stops `create_app` (so `serve`) and makes `frontdesk check`
exit 1 with one line per problem; plugin failures point at the file and line."""

import importlib
import os
import socket
import subprocess
import sys
import textwrap
import types

import pytest

from core import PluginMeta, hookimpl
from core.app import create_app
from core.errors import StartupError
from core.menu import MenuItem
from core.permissions import Permission
from core.plugins import load_plugins
from core.settings import Settings
from core.startup_checks import StartupProblems, startup_problems
from core.tasks.types import TaskType
from core.web.routing import page_route

SETTINGS = Settings(database_url="sqlite:///tmp/unused-check.sqlite3", secret_key="s" * 40)


def plugin(name, **hooks):
    module = types.ModuleType(f"check_{name}")
    module.meta = PluginMeta(name=name, version="1")
    for hook_name, function in hooks.items():
        function.__name__ = hook_name
        function.__module__ = module.__name__
        setattr(module, hook_name, hookimpl(function))
    return module


async def page(request):  # pragma: no cover - never called
    raise AssertionError


def problems_of(module):
    return startup_problems(load_plugins(extra_modules=[module]))


def refused(module, match):
    """The app (as `serve` builds it) refuses the plugin with the line."""
    with pytest.raises(StartupProblems, match=match):
        create_app(SETTINGS, extra_plugins=[module])


PERMISSION = Permission("lockers.read", "See lockers", ("agent",))


def test_the_builtin_plugins_pass():
    assert startup_problems(load_plugins()) == []


def test_a_route_with_an_unknown_permission_is_refused_with_a_suggestion():
    module = plugin("lockers", register_permissions=lambda: [PERMISSION],
                    register_routes=lambda: [page_route("/lockers/", page, permission="lockers.raed")])
    [line] = problems_of(module)
    assert line == ("plugin lockers: route /lockers/ needs the unknown permission 'lockers.raed' "
                    "(did you mean 'lockers.read'?); no one could open it")
    refused(module, "unknown permission 'lockers.raed'")


def test_a_menu_item_with_an_unknown_permission_is_refused():
    module = plugin("lockers", register_permissions=lambda: [PERMISSION], register_menu_items=lambda: [
        MenuItem(label="Lockers", url="/lockers/", permission="lockers.view")])
    assert problems_of(module) == ["plugin lockers: menu item /lockers/ needs the unknown permission 'lockers.view' "
                                   "(did you mean 'lockers.read'?); it would never show"]
    refused(module, "menu item /lockers/")


def test_a_default_grant_to_an_unknown_role_is_refused():
    module = plugin("lockers", register_permissions=lambda: [Permission("lockers.read", "See", ("frontdesk",))])
    [line] = problems_of(module)
    assert line.startswith("plugin lockers: permission lockers.read is granted by default to the unknown role "
                           "'frontdesk' (did you mean 'front_desk'?)")
    refused(module, "unknown role 'frontdesk'")


def test_names_outside_the_plugins_namespace_are_refused():
    module = plugin("lockers", register_permissions=lambda: [Permission("locker.read", "See")],
                    register_task_types=lambda: [TaskType("jam", "Jammed locker", 60)])
    assert problems_of(module) == [
        "plugin lockers: the permission locker.read is outside the plugin's namespace; name it lockers.<...>",
        "plugin lockers: the task type jam is outside the plugin's namespace; name it lockers.<...>",
    ]
    refused(module, "outside the plugin's namespace")


def write_package(root, name, init, templates=()):
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text("from core import PluginMeta, hookimpl\n"
                                         f"meta = PluginMeta(name={name!r}, version='1.0')\n" + init)
    for template in templates:
        (package / "templates" / template).parent.mkdir(parents=True, exist_ok=True)
        (package / "templates" / template).write_text("{{ 1 }}")
    sys.modules.pop(name, None)
    return importlib.import_module(name)


def test_a_template_outside_the_namespace_is_refused(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = write_package(tmp_path, "lockers", "", templates=["list.html", "lockers/ok.html"])
    assert problems_of(module) == ["plugin lockers: templates/list.html is outside the plugin's namespace; "
                                   "move it to templates/lockers/list.html"]


def test_a_core_template_override_is_refused(tmp_path, monkeypatch):
    """docs/plugins.md ("Templates"): a plugin may not replace one of core's templates."""
    monkeypatch.syspath_prepend(str(tmp_path))
    module = write_package(tmp_path, "banner", "", templates=["core/home.html", "error.html", "banner/ok.html"])
    assert problems_of(module) == [
        "plugin banner: templates/core/home.html would replace core's template core/home.html; plugins may not "
        "override core templates (the theme changes core's look, page_panels add to core's pages): "
        "move it to templates/banner/",
        "plugin banner: templates/error.html would replace core's template error.html; plugins may not "
        "override core templates (the theme changes core's look, page_panels add to core's pages): "
        "move it to templates/banner/",
    ]
    refused(module, "would replace core's template core/home.html")


def test_a_hook_without_hookimpl_is_refused(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = write_package(tmp_path, "forgetful", "\ndef register_menu_items():\n    return []\n")
    [line] = problems_of(module)
    assert line.startswith("plugin forgetful: register_menu_items at ")
    assert "forgetful/__init__.py:4 is a hook without @hookimpl" in line and line.endswith("add @hookimpl")
    refused(module, "without @hookimpl")


def test_a_function_named_nearly_like_a_hook_gets_a_did_you_mean(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = write_package(tmp_path, "nearly", "\ndef register_menu_item():\n    return []\n\n"
                                               "def helper():\n    return 1\n")
    [line] = problems_of(module)
    assert "register_menu_item at " in line and line.endswith("did you mean register_menu_items? (and add @hookimpl)")


def test_a_misspelt_hookimpl_names_the_file_and_suggests_the_hook(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = write_package(tmp_path, "typo", "\n@hookimpl\ndef register_menu_itemz():\n    return []\n")
    with pytest.raises(StartupError) as error:
        load_plugins(extra_modules=[module])
    assert "plugin typo: register_menu_itemz at " in str(error.value)
    assert "typo/__init__.py:4 is not a Frontdesk hook; did you mean register_menu_items?" in str(error.value)


@pytest.mark.parametrize("option", ["tryfirst", "trylast", "wrapper"])
def test_pluggy_ordering_and_wrappers_are_refused_not_ignored(option):
    """Core calls hooks in load order (dependencies first) and isolates each plugin's
    failure, so pluggy's tryfirst/trylast and wrappers would be silently ignored: refused."""
    def register_menu_items():
        return (yield) if option == "wrapper" else []

    register_menu_items.__module__ = "check_ordered"
    module = types.ModuleType("check_ordered")
    module.meta = PluginMeta(name="ordered", version="1")
    module.register_menu_items = hookimpl(**{option: True})(register_menu_items)
    [line] = problems_of(module)
    assert line.startswith("plugin ordered: register_menu_items at ") and f"uses {option}, which Frontdesk " \
        "does not support" in line
    refused(module, f"uses {option}")


def test_all_problems_are_reported_not_only_the_first():
    module = plugin("lockers", register_permissions=lambda: [Permission("lockers.read", "See", ("frontdesk",))],
                    register_routes=lambda: [page_route("/lockers/", page, permission="lockers.raed")])
    with pytest.raises(StartupProblems) as error:
        create_app(SETTINGS, extra_plugins=[module])
    assert len(error.value.problems) == 2 and str(error.value).count("\n") == 1


# --- Errors that point at the code ---------------------------------------------------------


def test_a_failing_hook_names_the_file_and_line(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = write_package(tmp_path, "crashy", "\n@hookimpl\ndef register_menu_items():\n"
                                               "    return [1 / 0]\n")
    with pytest.raises(StartupError) as error:
        load_plugins(extra_modules=[module]).collect("register_menu_items")
    assert "plugin crashy: hook register_menu_items failed at " in str(error.value)
    assert "crashy/__init__.py:6: ZeroDivisionError" in str(error.value)


def test_a_failing_hook_while_routes_are_built_stops_the_app_naming_the_line(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = write_package(tmp_path, "routey", "")
    (tmp_path / "routey" / "pages.py").write_text("def routes():\n    raise KeyError('nope')\n")
    with pytest.raises(StartupError, match=r"plugin routey: routey.pages.routes\(\) failed at .*routey/pages.py:2: "
                                           r"KeyError"):
        create_app(SETTINGS, extra_plugins=[module])


def test_a_failing_import_in_a_plugin_module_names_the_file_and_line(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = write_package(tmp_path, "importy", "")
    (tmp_path / "importy" / "pages.py").write_text("import os\n\nVALUE = int('x')\n")
    with pytest.raises(StartupError, match=r"plugin importy: failed to import importy.pages at .*importy/pages.py:3: "
                                           r"ValueError"):
        create_app(SETTINGS, extra_plugins=[module])


# --- `frontdesk check` and `frontdesk serve`, the real commands ---------------------------

TRAPS = textwrap.dedent("""
    from core import PluginMeta, hookimpl
    from core.menu import MenuItem
    from core.permissions import Permission

    meta = PluginMeta(name="trappy", version="1.0", core_requires=">=0.1")

    @hookimpl
    def register_permissions():
        return [Permission("trappy.read", "Read", ("frontdesk",)), Permission("other.read", "Other")]

    @hookimpl
    def register_menu_items():
        return [MenuItem(label="Trappy", url="/trappy/", permission="trappy.raed")]

    def register_desks():
        return []
""")

DRIFTY_MODELS = textwrap.dedent("""
    from tortoise import fields
    from tortoise.models import Model

    class Kite(Model):
        id = fields.IntField(primary_key=True)
        colour = fields.CharField(max_length=20)

        class Meta:
            table = "trappy_kite"
""")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(database_url, tmp_path, *args):
    """The real command with one more plugin installed (an entry point, as pip would add)."""
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from importlib.metadata import EntryPoint
        from core import plugin_host
        real = plugin_host.discover_entry_points
        plugin_host.discover_entry_points = lambda: {{**real(), "trappy": EntryPoint(
            name="trappy", value="trappy", group="frontdesk")}}
        import core.cli
        sys.argv = ["frontdesk", *sys.argv[1:]]
        core.cli.main()
    """)
    env = {"PATH": os.environ["PATH"], "FRONTDESK_DATABASE_URL": database_url, "FRONTDESK_SECRET_KEY": "k" * 40,
           "PYTHONPATH": os.getcwd(), "FRONTDESK_PORT": str(free_port())}
    done = subprocess.run([sys.executable, "-c", script, *args], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


def trappy(tmp_path, init=TRAPS, models=None):
    package = tmp_path / "trappy"
    (package / "migrations").mkdir(parents=True)
    (package / "migrations" / "__init__.py").write_text("")
    (package / "__init__.py").write_text(init)
    if models:
        (package / "models.py").write_text(models)


def test_check_lists_every_problem_and_serve_refuses_them(database_url, tmp_path):
    trappy(tmp_path)
    status, out, err = run(database_url, tmp_path, "check")
    assert status == 1 and "Traceback" not in err, err
    lines = [line for line in out.splitlines() if line.startswith("plugins: plugin trappy")]
    assert any("unknown role 'frontdesk' (did you mean 'front_desk'?)" in line for line in lines), out
    assert any("the permission other.read is outside the plugin's namespace" in line for line in lines), out
    assert any("menu item /trappy/ needs the unknown permission 'trappy.raed'" in line for line in lines), out
    assert any("register_desks at " in line and "without @hookimpl" in line for line in lines), out
    assert len(lines) == 4, out
    assert "app: ok" in out  # the same problems are not repeated as one long line

    status, out, err = run(database_url, tmp_path, "serve")
    assert status == 2 and "Traceback" not in err and "Frontdesk on" not in out, err
    assert "unknown role 'frontdesk'" in err and "trappy.raed" in err and "without @hookimpl" in err


def test_a_model_change_without_a_migration_fails_check_and_serve(database_url, tmp_path):
    trappy(tmp_path, init='from core import PluginMeta\nmeta = PluginMeta(name="trappy", version="1.0")\n',
           models=DRIFTY_MODELS)
    status, out, err = run(database_url, tmp_path, "check")
    assert status == 1, out + err
    assert ("models: differ from the committed migrations in trappy; run `frontdesk makemigrations trappy` "
            "and commit the result") in out.splitlines(), out
    status, out, err = run(database_url, tmp_path, "serve")
    assert status == 2 and "Frontdesk on" not in out, out + err
    assert err.strip() == ("frontdesk: models: differ from the committed migrations in trappy; "
                           "run `frontdesk makemigrations trappy` and commit the result"), err


def test_debug_shows_the_traceback_of_a_failing_plugin(database_url, tmp_path):
    trappy(tmp_path, init='from core import PluginMeta\nmeta = PluginMeta(name="trappy", version="1.0")\n'
                          'raise RuntimeError("broken on purpose")\n')
    status, out, err = run(database_url, tmp_path, "plugins")
    assert status == 2 and "Traceback" not in err, err
    assert "plugin trappy: failed to import trappy at trappy/__init__.py:3: RuntimeError" in err, err
    status, out, err = run(database_url, tmp_path, "--debug", "plugins")
    assert status == 2 and "Traceback (most recent call last)" in err and "broken on purpose" in err, err


MIGRATION = textwrap.dedent("""
    from tortoise import migrations
    from tortoise.migrations import operations as ops


    class Migration(migrations.Migration):
        dependencies = [('core', '0001_initial')]
        initial = True
        operations = [ops.RunSQL("CREATE TABLE trappy_note (id INTEGER PRIMARY KEY)", "DROP TABLE trappy_note")]
""")


def test_a_rewritten_applied_migration_fails_check_and_serve(database_url, tmp_path):
    """migrate stores each applied migration's checksum (core migration 0019); a file
    edited afterwards would never run again, so check and serve report it."""
    trappy(tmp_path, init='from core import PluginMeta\nmeta = PluginMeta(name="trappy", version="1.0")\n',
           models="# no models: the migration makes a table by SQL\n")
    migration = tmp_path / "trappy" / "migrations" / "0001_initial.py"
    migration.write_text(MIGRATION)
    status, out, err = run(database_url, tmp_path, "migrate")
    assert status == 0, out + err
    status, out, err = run(database_url, tmp_path, "check")
    assert status == 0 and "migrations: ok (none pending)" in out, out + err

    migration.write_text(MIGRATION.replace("id INTEGER PRIMARY KEY", "id INTEGER PRIMARY KEY, body TEXT"))
    line = ("migrations: trappy.0001_initial was changed after it was applied (its checksum differs from the one "
            "recorded); restore the applied file and put the change in a new migration")
    status, out, err = run(database_url, tmp_path, "check")
    assert status == 1 and line in out.splitlines(), out + err
    status, out, err = run(database_url, tmp_path, "serve")
    assert status == 2 and err.strip() == f"frontdesk: {line}", out + err
