"""Plugins use core only through the public modules ``docs/plugins.md`` lists.

The list in the documentation is the contract a third-party author reads; this test makes it
the one the built-in plugins keep too, so that a plugin such as ``rostering`` (written as if
it were installed with pip) proves the contract is enough.
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
