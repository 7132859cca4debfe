"""core.resources: themes/ and config/ found in an installed wheel or in a checkout."""

import pytest

from core import resources
from core.settings import DEFAULT_CONFIG_FILE, PROJECT_ROOT
from core.web.templating import THEMES_DIR


@pytest.fixture
def layout(tmp_path, monkeypatch):
    """A fake site-packages (or checkout) root with core/ in it."""
    monkeypatch.setattr(resources, "CHECKOUT_ROOT", tmp_path)
    monkeypatch.setattr(resources, "BUNDLED_ROOT", tmp_path / "core" / "_bundled")
    return tmp_path


def test_a_checkout_reads_its_top_level_folders(layout):
    (layout / "themes").mkdir()
    assert resources.data_dir("themes") == layout / "themes"
    assert not resources.is_installed_release()


def test_an_installed_wheel_reads_its_bundled_copy_before_any_top_level_folder(layout):
    # site-packages may hold an unrelated top-level `config` package: never read it.
    (layout / "config").mkdir()
    (layout / "core" / "_bundled" / "config").mkdir(parents=True)
    assert resources.data_dir("config") == layout / "core" / "_bundled" / "config"
    assert resources.is_installed_release()


def test_neither_names_the_bundled_path_and_other_names_are_refused(layout):
    assert resources.data_dir("themes") == layout / "core" / "_bundled" / "themes"
    with pytest.raises(ValueError, match="not one of the bundled folders"):
        resources.data_dir("docs")


def test_the_readers_use_the_resolver():
    assert THEMES_DIR == resources.data_dir("themes") == PROJECT_ROOT / "themes"
    assert DEFAULT_CONFIG_FILE == resources.data_dir("config") / "default.toml"
