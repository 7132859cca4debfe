"""Languages: negotiation, complete catalogs, and no visible string outside gettext."""

import re

import jinja2
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from core.i18n import language_from_tag, negotiate_language, parse_accept_language
from core.plugins import load_plugins
from core.settings import PROJECT_ROOT

LANGUAGES_TRANSLATED = ("zh_Hant", "zh_Hans")


@pytest.mark.parametrize(
    "tag, language",
    [("zh-TW", "zh_Hant"), ("zh-HK", "zh_Hant"), ("zh-Hant", "zh_Hant"), ("zh-CN", "zh_Hans"),
     ("zh-SG", "zh_Hans"), ("zh", "zh_Hans"), ("en-GB", "en"), ("fr-FR", None), ("not a tag!", None)],
)
def test_language_tags_map_to_shipped_languages(tag, language):
    assert language_from_tag(tag) == language


def test_accept_language_honours_quality_values():
    assert parse_accept_language("fr;q=0.9, en;q=0.5, zh-TW") == ["zh-TW", "fr", "en"]


def test_user_choice_beats_browser_beats_site_default():
    assert negotiate_language("zh_Hans", "en", "zh_Hant") == "zh_Hans"
    assert negotiate_language(None, "fr, en;q=0.8", "zh_Hant") == "en"
    assert negotiate_language(None, "fr", "zh_Hant") == "zh_Hant"
    assert negotiate_language("klingon", None, "zh_Hans") == "zh_Hans"


def test_pages_follow_accept_language(server):
    page = server.client(headers={"Accept-Language": "zh-TW,zh;q=0.9"}).get("/")
    assert page.headers["content-language"] == "zh-Hant"
    assert '<html lang="zh-Hant">' in page.text and "跳至主要內容" in page.text
    assert "跳至主要内容" in server.client(headers={"Accept-Language": "zh-CN"}).get("/").text


def test_api_errors_are_translated_too(server):
    response = server.client(headers={"Accept-Language": "zh-CN"}).get("/api/v1/missing")
    assert response.json()["title"] == "找不到"


def _packages():
    for plugin in load_plugins().plugins:
        sources = [plugin.package_dir]
        if plugin.name == "core":
            sources.append(PROJECT_ROOT / "themes")
        yield plugin.name, plugin.package_dir / "locale", sources


METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def _source_messages(sources):
    found = set()
    for source in sources:
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(source), METHOD_MAP, OPTIONS, KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _key(value):
    """Plural entries come as lists or tuples of forms: compare them as tuples."""
    return value if isinstance(value, str) else tuple(value)


def _translated(string) -> bool:
    return bool(string) if isinstance(string, str) else all(string)


@pytest.mark.parametrize("name, locale_dir, sources", list(_packages()), ids=lambda v: v if isinstance(v, str) else "")
def test_catalogs_are_current_and_complete(name, locale_dir, sources):
    in_sources = _source_messages(sources)
    for language in LANGUAGES_TRANSLATED + ("en",):
        po_path = locale_dir / language / "LC_MESSAGES" / "messages.po"
        assert po_path.exists() or not in_sources, f"{name}: no {language} catalog (run `make messages`)"
        if not po_path.exists():
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        assert in_sources <= ids, f"{name}/{language}: not extracted: {sorted(in_sources - ids)[:5]} (run `make messages`)"
        if language in LANGUAGES_TRANSLATED:
            untranslated = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
            assert not untranslated, f"{name}/{language}: untranslated: {untranslated[:5]}"
        mo_path = po_path.with_suffix(".mo")
        assert mo_path.exists(), f"{name}/{language}: not compiled (run `make compile-messages`)"
        with mo_path.open("rb") as handle:
            # pybabel writes an untranslated plural as its own source text: the same as absent.
            compiled = {_key(m.id): _key(m.string) for m in read_mo(handle) if m.id and _key(m.string) != _key(m.id)}
        expected = {_key(m.id): _key(m.string) for m in catalog if m.id and _translated(m.string) and not m.fuzzy}
        assert compiled == expected, f"{name}/{language}: .mo is stale (run `make compile-messages`)"


def _template_files():
    roots = [PROJECT_ROOT / "themes", PROJECT_ROOT / "core" / "templates", PROJECT_ROOT / "plugins"]
    for root in roots:
        yield from root.rglob("templates/**/*.html") if root.name != "templates" else root.rglob("*.html")


VISIBLE_ATTRIBUTE = re.compile(r'\b(title|alt|placeholder|aria-label)="([^"{]*[A-Za-z\u4e00-\u9fff][^"{]*)"')


def _visible_text(environment, source):
    """The template with every Jinja construct (and trans block) replaced by a NUL, so
    HTML tags split around ``{{ ... }}`` can be recognised and dropped whole."""
    pieces, depth, in_trans = [], 0, False
    for _line, token, value in environment.lex(source):
        if token in ("variable_begin", "block_begin"):
            depth += 1
            pieces.append("\0")
        elif token in ("variable_end", "block_end"):
            depth -= 1
        elif token == "name" and depth and value == "trans":
            in_trans = True
        elif token == "name" and depth and value == "endtrans":
            in_trans = False
        elif token == "data" and not depth and not in_trans:
            pieces.append(value)
    return re.sub(r"<!--.*?-->", "", "".join(pieces), flags=re.S)


def test_every_visible_template_string_goes_through_gettext():
    environment = jinja2.Environment(extensions=["jinja2.ext.i18n"])  # noqa: S701 — parses templates, renders nothing
    offenders = []
    for path in _template_files():
        text = _visible_text(environment, path.read_text())
        offenders += [f"{path}: {match.group(0)}" for match in VISIBLE_ATTRIBUTE.finditer(text)]
        text = re.sub(r"<[^>]*>", " ", text)
        text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
        for fragment in text.split("\0"):
            if re.search(r"[A-Za-z\u4e00-\u9fff]", fragment):
                offenders.append(f"{path}: {fragment.strip()[:60]!r}")
    assert not offenders, "\n".join(offenders)
