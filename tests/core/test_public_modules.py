"""Plugins use core only through the public modules ``docs/plugins.md`` lists.

The list in the documentation is the contract a third-party author reads; this test makes it
the one the built-in plugins keep too, so that a plugin such as ``rostering`` (written as if
it were installed with pip) proves the contract is enough. The scaffold's output and the
example in ``docs/examples/lost_and_found`` are held to it as well (what a new author copies
first), and every name they import from core is imported here: a name that is gone, or
private (``_name``), fails before an author meets it.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = sorted(path.name for path in (ROOT / "plugins").iterdir() if (path / "__init__.py").exists())


def public_modules() -> set[str]:
    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    section = text.split("The public modules:", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`(core(?:\.[a-z0-9_]+)*)`", section))


def is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def core_names(path: Path) -> set[tuple[str, str]]:
    """``(module, name)`` for every ``from core... import name`` of a source file whose
    ``name`` is not itself a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "core":
            found.update((node.module, alias.name) for alias in node.names
                         if not is_module(f"{node.module}.{alias.name}"))
    return found


def core_imports(path: Path) -> set[str]:
    """The core modules a source file imports (``from core.audit import services`` is
    ``core.audit.services``; ``from core.i18n import gettext`` is ``core.i18n``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "core")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "core":
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if is_module(candidate) else node.module)
    return found


def test_the_documented_list_names_real_modules():
    missing = sorted(name for name in public_modules() if not is_module(name))
    assert not missing, f"docs/plugins.md lists modules that do not exist: {missing}"


@pytest.mark.parametrize("plugin", PLUGINS)
def test_a_plugin_imports_only_public_core_modules(plugin):
    public = public_modules()
    reached = {}
    for path in sorted((ROOT / "plugins" / plugin).rglob("*.py")):
        if "migrations" in path.parts:
            continue  # generated migrations import tortoise only, and core.migration_ops is public
        for module in core_imports(path) - public:
            reached.setdefault(module, []).append(str(path.relative_to(ROOT)))
    assert not reached, f"{plugin} reaches into core modules that docs/plugins.md does not make public: {reached}"


def test_the_check_sees_a_private_import(tmp_path):
    source = tmp_path / "sneaky.py"
    source.write_text("from core.identity import principals\nfrom core.tasks.pages import task_row\n")
    assert core_imports(source) - public_modules() == {"core.identity.principals", "core.tasks.pages"}


@pytest.fixture(scope="module")
def author_sources(tmp_path_factory) -> dict[str, list[Path]]:
    """The files a plugin author starts from: the scaffold's output (rendered, not the
    ``.tmpl`` texts, which are not Python until the name is filled in), the example in the
    docs and each built-in plugin, tests and migrations included."""
    from core.scaffold import render_tree

    scaffold = tmp_path_factory.mktemp("scaffold") / "probe_plugin"
    render_tree("probe_plugin", scaffold)
    roots = {"the scaffold": scaffold, "docs/examples/lost_and_found": ROOT / "docs" / "examples" / "lost_and_found"}
    roots.update({f"plugins/{plugin}": ROOT / "plugins" / plugin for plugin in PLUGINS})
    return {label: sorted(path for path in root.rglob("*.py") if "build" not in path.relative_to(root).parts)
            for label, root in roots.items()}


def test_the_scaffold_and_the_example_import_only_public_core_modules(author_sources):
    public = public_modules()
    reached = {}
    for label in ("the scaffold", "docs/examples/lost_and_found"):
        for path in author_sources[label]:
            for module in core_imports(path) - public:
                reached.setdefault(module, []).append(f"{label}: {path.name}")
    assert not reached, f"docs/plugins.md does not make these public: {reached}"


def test_every_name_imported_from_core_exists_and_is_not_private(author_sources):
    broken = []
    for label, paths in author_sources.items():
        for path in paths:
            for module, name in sorted(core_names(path)):
                imported = importlib.import_module(module)
                if name.startswith("_"):
                    broken.append(f"{label}/{path.name}: {module}.{name} is private")
                elif name != "*" and not hasattr(imported, name):
                    broken.append(f"{label}/{path.name}: {module} has no {name}")
    assert not broken, "\n".join(broken)


def test_the_name_check_sees_a_missing_and_a_private_name(tmp_path):
    source = tmp_path / "sneaky.py"
    source.write_text("from core.money import format_money, no_such_name\nfrom core.i18n import _language\n")
    assert core_names(source) == {("core.money", "format_money"), ("core.money", "no_such_name"),
                                  ("core.i18n", "_language")}
