"""`frontdesk plugin messages [NAME]`: a plugin's strings extracted with its babel.cfg, its
zh_Hant, zh_Hans and en catalogues updated and compiled; the scaffold ships babel.cfg and
translates the plugin's own name (its label in menus) when given."""

import contextvars
import os
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from babel.messages.pofile import read_po, write_po

from core import i18n


def run(*arguments, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "core", *arguments], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=120)


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory):
    parent = tmp_path_factory.mktemp("scaffold")
    made = run("plugin", "new", "laundry_desk", "--zh-hant", "洗衣台", "--zh-hans", "洗衣台", cwd=parent)
    assert made.returncode == 0, made.stderr
    return parent / "laundry_desk"


def render_in(package: Path, language: str, source: str) -> str:
    """``source`` rendered as core renders a page: its merged catalogues, ``_`` in Jinja
    (in a context of its own: the language chosen here stays here)."""
    def render():
        i18n.activate(i18n.load_catalogs([package / "locale"]), language)
        environment = jinja2.Environment(extensions=["jinja2.ext.i18n"], undefined=jinja2.StrictUndefined,
                                         autoescape=True)
        environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
        return environment.from_string(source).render()

    return contextvars.copy_context().run(render)


def test_the_scaffold_ships_babel_cfg_and_translates_its_name(scaffolded):
    assert "[jinja2: **/templates/**.html]" in (scaffolded / "babel.cfg").read_text()
    package = scaffolded / "laundry_desk"
    for language in ("zh_Hant", "zh_Hans", "en"):
        assert (package / "locale" / language / "LC_MESSAGES" / "messages.mo").is_file()
    assert render_in(package, "zh_Hant", '{{ _("Laundry desk") }}') == "洗衣台"
    assert render_in(package, "en", '{{ _("Laundry desk") }}') == "Laundry desk"


def test_a_new_string_is_extracted_listed_untranslated_then_compiled_once_translated(scaffolded, tmp_path):
    package = scaffolded / "laundry_desk"
    template = package / "templates" / "laundry_desk" / "index.html"
    template.write_text(template.read_text() + '\n<p>{{ _("Returned to its owner") }}</p>\n')
    first = run("plugin", "messages", cwd=scaffolded)
    assert first.returncode == 0, first.stderr
    assert "zh_Hant: 9 messages, 1 untranslated: Returned to its owner" in first.stdout
    assert "en: 9 messages\n" in first.stdout  # English is the source language: nothing to translate
    assert 'msgid "Returned to its owner"' in (package / "locale" / "messages.pot").read_text()
    assert render_in(package, "zh_Hant", '{{ _("Returned to its owner") }}') == "Returned to its owner"

    po_path = package / "locale" / "zh_Hant" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    catalog["Returned to its owner"].string = "已歸還失主"
    with po_path.open("wb") as handle:
        write_po(handle, catalog)
    second = run("plugin", "messages", cwd=package)  # the package folder itself works too
    assert second.returncode == 0, second.stderr
    assert "zh_Hant: 9 messages\n" in second.stdout
    assert render_in(package, "zh_Hant", '{{ _("Returned to its owner") }}') == "已歸還失主"
    assert render_in(package, "zh_Hant", '{{ _("Laundry desk") }}') == "洗衣台"  # kept through the update


def test_by_name_finds_the_installed_plugin(scaffolded, tmp_path):
    """An installed plugin by its entry-point name, from any folder."""
    info = scaffolded / "frontdesk_laundry_desk-0.1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: frontdesk-laundry-desk\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[frontdesk]\nlaundry_desk = laundry_desk\n")
    result = run("plugin", "messages", "laundry_desk", cwd=tmp_path, env={"PYTHONPATH": str(scaffolded)})
    assert result.returncode == 0, result.stderr
    assert str(scaffolded / "laundry_desk" / "locale" / "zh_Hans") in result.stdout


def test_without_translations_the_name_is_listed_untranslated(tmp_path):
    from core.plugin_messages import update_catalogues
    from core.scaffold import render_tree

    render_tree("parcel_room", tmp_path / "parcel_room")
    reports = {report.language: report for report in update_catalogues(tmp_path / "parcel_room" / "parcel_room",
                                                                       "parcel_room")}
    assert reports["zh_Hant"].untranslated == ["Parcel room"] == reports["zh_Hans"].untranslated
    assert reports["en"].untranslated == []


@pytest.mark.parametrize("arguments, message", [
    (("plugin", "messages"), "holds no plugin"),
    (("plugin", "messages", "no_such_plugin"), "no installed plugin is named 'no_such_plugin'"),
    (("plugin", "messages", "core"), "make messages"),
])
def test_refusals_are_one_line(arguments, message, tmp_path):
    result = run(*arguments, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
