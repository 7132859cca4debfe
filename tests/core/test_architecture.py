"""The import graph's layers (``[tool.importlinter]`` in pyproject.toml) hold, and they
are real: one forbidden import makes ``lint-imports`` fail, naming the contract."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
                          cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory):
    """core/, plugins/ and pyproject.toml copied, to add a forbidden import to."""
    tree = tmp_path_factory.mktemp("tree")
    ignore = shutil.ignore_patterns("__pycache__", "locale", "templates", "static", "*.po", "*.mo")
    for package in ("core", "plugins"):
        shutil.copytree(ROOT / package, tree / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def add_import(tree: Path, module: str, imported: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + f"\nimport {imported}  # forbidden, on purpose\n")


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, imported, contract", [
    ("core.problems", "core.web.access", "Kernel below core's features"),   # kernel reaching up
    ("core.entities.models", "core.tasks.models", "Kernel below core's features"),  # feature below tasks
    ("plugins.hotel.models", "plugins.cashier.models", "Plugins do not import each other"),
    ("plugins.cashier.services", "starlette", "Services and the kernel are free of Starlette"),
])
def test_a_forbidden_import_breaks_its_contract(tree_copy, module, imported, contract):
    path = tree_copy / (module.replace(".", "/") + ".py")
    original = path.read_text()
    add_import(tree_copy, module, imported)
    try:
        result = lint_imports(tree_copy)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[1]
    assert contract in broken and f"{module} -> {imported}" in broken.replace("\n", " "), result.stdout
