"""``frontdesk plugin messages [NAME]``: a plugin's translations, extracted, updated and
compiled in one step (what ``make messages`` does for Frontdesk's own packages).

Babel's Python API does the work, with the same choices as the Makefile so a plugin's
files look like core's: the plugin's ``babel.cfg`` says which files hold strings (the
scaffold ships one: Python files and templates), ``_l``/``lazy_gettext`` are keywords
besides gettext's usual ones, no source locations (they churn on every edit), sorted
output, no fuzzy matching (a guessed translation of a near-identical string would be shown
as if it were right) and obsolete entries dropped. ``locale/messages.pot`` is written, each
language's ``messages.po`` is created or updated and every ``messages.mo`` compiled.
"""

from __future__ import annotations

import importlib.util
import io
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import StartupError
from core.i18n import LANGUAGES

#: gettext's keywords (``_``, ``gettext``, ``ngettext``, ``N_``, ...) plus the lazy ones.
EXTRA_KEYWORDS = {"_l": None, "lazy_gettext": None}
#: Used when a plugin has no ``babel.cfg`` of its own: the mapping core uses.
DEFAULT_MAPPING = "[python: **.py]\n\n[jinja2: **/templates/**.html]\nextensions = jinja2.ext.i18n\n"


@dataclass
class LanguageReport:
    language: str
    created: bool
    messages: int
    #: msgids still without a translation (English is the source: never counted there).
    untranslated: list[str] = field(default_factory=list)


def package_of(name: str | None, cwd: Path) -> tuple[str, Path]:
    """The plugin ``name`` (installed, found through its entry point) or, without a name,
    the plugin in ``cwd``: a distribution folder whose ``pyproject.toml`` declares a
    ``frontdesk`` entry point, or the package folder itself."""
    if name:
        if name == "core":
            raise StartupError("plugin messages: core's catalogues are made with `make messages`", exit_status=2)
        from core.plugin_host import discover_entry_points

        point = discover_entry_points().get(name)
        if point is None:
            raise StartupError(f"plugin messages: no installed plugin is named {name!r} "
                               "(see `frontdesk plugins`)", exit_status=2)
        module = point.module
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            raise StartupError(f"plugin messages: plugin {name} ({module}) is not a package folder", exit_status=2)
        return name, Path(next(iter(spec.submodule_search_locations))).resolve()
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        declared = tomllib.loads(pyproject.read_text()).get("project", {}).get("entry-points", {}).get("frontdesk", {})
        if len(declared) == 1:
            ((plugin, module),) = declared.items()
            package = cwd.joinpath(*module.split(":")[0].split("."))
            if package.is_dir():
                return plugin, package.resolve()
    if (cwd / "__init__.py").is_file() and (cwd / "locale").is_dir():
        return cwd.name, cwd.resolve()
    raise StartupError(f"plugin messages: {cwd} holds no plugin (a pyproject.toml with one `frontdesk` entry "
                       "point, or a package folder with locale/); name one: frontdesk plugin messages NAME",
                       exit_status=2)


def _mapping(package: Path):
    from babel.messages.frontend import parse_mapping_cfg

    for candidate in (package / "babel.cfg", package.parent / "babel.cfg"):
        if candidate.is_file():
            with candidate.open() as handle:
                return parse_mapping_cfg(handle, filename=str(candidate))
    return parse_mapping_cfg(io.StringIO(DEFAULT_MAPPING))


def extract(package: Path, project: str):
    """A template catalogue of every string in the package (its tests are outside it)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    method_map, options_map = _mapping(package)
    template = Catalog(project=project, charset="utf-8")
    found = extract_from_dir(str(package), method_map, options_map, keywords={**DEFAULT_KEYWORDS, **EXTRA_KEYWORDS},
                             directory_filter=lambda path: Path(path).name not in {"__pycache__", "migrations"})
    for _filename, _lineno, message, comments, context in found:
        template.add(message, None, [], auto_comments=comments, context=context)
    return template


def update_catalogues(package: Path, project: str, languages=LANGUAGES) -> list[LanguageReport]:
    """Extract, then create or update and compile each language's catalogue."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po, write_po

    template = extract(package, project)
    locale = package / "locale"
    locale.mkdir(exist_ok=True)
    with (locale / "messages.pot").open("wb") as handle:
        write_po(handle, template, omit_header=False, no_location=True, sort_output=True)
    reports = []
    for language in languages:
        po_path = locale / language / "LC_MESSAGES" / "messages.po"
        created = not po_path.is_file()
        if created:
            catalog = Catalog(locale=language, project=project, charset="utf-8")
            catalog.update(template, no_fuzzy_matching=True)
        else:
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=language)
            catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        po_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("wb") as handle:
            write_po(handle, catalog, no_location=True, sort_output=True, ignore_obsolete=True)
        with po_path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)
        messages = [message for message in catalog if message.id]
        untranslated = [] if language == "en" else [
            message.id if isinstance(message.id, str) else message.id[0]
            for message in messages if not message.string or (isinstance(message.string, tuple)
                                                              and not all(message.string))
        ]
        reports.append(LanguageReport(language, created, len(messages), untranslated))
    return reports
