"""Every page, for every demo role, in every language: words a person reads, not codes.

The test signs in as one demo user of each role, follows every same-site link from the
landing page (one page per route shape: ``/sites/lotus/rooms/12`` stands for every room)
and reads each page's visible text (a real HTML parser: text nodes only, not attributes,
scripts or ``<code>``). A page fails on:

- an ISO timestamp (``2026-12-01T08:40``) in visible text: times show on the site's
  clock through the ``local`` filter;
- a raw code (``in_progress``, ``pending_review``, or in a Chinese page any stored status,
  kind, method or channel value): codes show through the ``label`` filter;
- in a Chinese page, an English word that is neither record data (words stored in the
  demo database's free text: names, titles, notes) nor in the allow-list below.

Each finding names the user, the language, the page and the offending text.
"""

from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
import importlib
import pkgutil
import re
import typing
from urllib.parse import urljoin, urlsplit

import pytest

LANGUAGES = {"zh_Hant": "zh-TW", "zh_Hans": "zh-CN", "en": "en"}

#: One demo user per role (the second agent, housekeeper... add no pages of their own).
ROLE_USERS = ("admin", "manager", "supervisor", "agent", "hotelsup", "frontdesk", "housekeeper", "cashier",
              "callsup", "caller")

#: Pages that are not pages of words: files, machine formats, and the API's own docs
#: (field names are the contract there).
SKIP_PATH = re.compile(r"^/(static|api|logout|events|healthz|metrics)(/|$)|/(export|download|print|pdf|file|files|"
                       r"receipts/\d+/pdf|stream|live)(/|$|\?)|\.(csv|xlsx|pdf|json|txt|ics|png|jpg|svg)(\?|$)")

#: English a Chinese page may show: units, acronyms and names that are the same in every
#: language (upper-case acronyms such as SMS, KPI, PDF, VC and OOO pass on their own).
ALLOWED_WORDS = {
    "English", "Frontdesk", "Email", "e-mail", "Excel", "Wi-Fi", "iOS", "Android", "App", "Webhook", "kg", "km", "cm", "mm", "ml",
    "min", "pcs",
}

#: Elements whose text is not prose for a reader (or not shown at all).
NOT_PROSE = {"script", "style", "code", "pre", "kbd", "samp", "template", "noscript", "svg", "title", "textarea"}

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
#: Pages read per route shape (``/sites/*/tasks/#``) and user.
PER_ROUTE = 3
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:")
TOKEN = re.compile(r"[A-Za-z0-9_@.\-/:+#'&%]+")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")
ACRONYM = re.compile(r"[A-Z]{2,5}s?")
#: A record's code in capitals (LN-ROBE, A-0101) or a format (YYYY-MM-DD, HH:MM).
CAPITAL_CODE = re.compile(r"[A-Z0-9]+([-:][A-Z0-9]+)+")
#: Columns that hold codes: their one-word values are no record data but words to label.
CODE_COLUMN = re.compile(r"status|kind|method|channel|code|username|state|role|relation|type|"
                         r"priority|outcome|direction|language|locale|timezone|event|key|action|reason|result")


class _Page(HTMLParser):
    """Visible text nodes (each with the language it is marked in) and same-site links."""

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[tuple[str, str]] = []
        self.links: list[str] = []
        self._hidden: list[str] = []
        # (tag, lang): text marked lang="en" inside a Chinese page (an English message
        # template, a name in its own language) is English on purpose.
        self._languages: list[tuple[str, str]] = [("", language)]

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href") and "download" not in attributes:
            self.links.append(attributes["href"])
        if tag in NOT_PROSE:
            self._hidden.append(tag)
        if attributes.get("lang") and tag not in VOID:
            self._languages.append((tag, attributes["lang"]))

    def handle_endtag(self, tag):
        if self._hidden and self._hidden[-1] == tag:
            self._hidden.pop()
        if len(self._languages) > 1 and self._languages[-1][0] == tag:
            self._languages.pop()

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append((" ".join(data.split()), self._languages[-1][1]))


def _shape(path: str) -> str:
    """One page stands for its route: numbers and record codes in the path blurred, the
    query's keys kept (a filter shows other rows, not other words)."""
    parts = urlsplit(path)
    shape = re.sub(r"/\d+(?=/|$)", "/#", re.sub(r"^/sites/[^/]+", "/sites/*", parts.path))
    keys = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
    return shape + ("?" + "&".join(keys) if keys else "")


def known_codes() -> set[str]:
    """Every stored code a person might see raw: each registered label list's codes, the
    tuples of statuses, kinds, methods and channels in models and services, and the
    ``Literal`` values of every schema."""
    from core import i18n

    codes: set[str] = set()
    for labels in i18n.all_label_kinds().values():
        codes.update(labels)
    for package in ("core", "plugins"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, package + "."):
            if info.name.rsplit(".", 1)[-1] not in ("models", "schemas", "services", "types", "labels", "code_lists"):
                continue
            if ".tests" in info.name or "scaffold" in info.name:
                continue
            try:
                module = importlib.import_module(info.name)
            except Exception:  # noqa: BLE001, S112 — a module that needs an app is no source of codes
                continue
            for name, value in vars(module).items():
                if isinstance(value, tuple) and name.isupper() and re.search(
                        r"(STATUS|STATES|KINDS|METHODS|CHANNELS|OUTCOMES|TYPES)", name):
                    codes.update(item for item in value if isinstance(item, str))
                elif typing.get_origin(value) is typing.Literal:
                    codes.update(item for item in typing.get_args(value) if isinstance(item, str))
    # A code is a lower-case identifier; "" and one-letter values are not.
    return {code for code in codes if re.fullmatch(r"[a-z][a-z_]+", code)}


async def data_words() -> set[str]:
    """The English words of record data: every word in the demo database's free text (a
    value with a space or a non-ASCII letter: names, titles, notes, addresses) and the
    one-word values of columns that do not hold codes (a room type "Suite", a stock unit
    "bottles"); not one-word codes and usernames, which pages must not show raw."""
    from tortoise import Tortoise, fields

    words: set[str] = set()

    def add(value, column: str | None) -> None:
        if not isinstance(value, str):
            return
        if " " in value.strip() or not value.isascii():
            words.update(WORD.findall(value))
        elif column is not None and not CODE_COLUMN.search(column):
            words.update(WORD.findall(value))

    for app in Tortoise.apps.values():
        for model in app.values():
            names = [name for name, field in model._meta.fields_map.items()
                     if isinstance(field, (fields.CharField, fields.TextField, fields.JSONField))]
            if not names:
                continue
            for row in await model.all().values_list(*names):
                for column, value in zip(names, row, strict=True):
                    stack = [value]
                    while stack:
                        item = stack.pop()
                        if isinstance(item, dict):
                            stack.extend(item.values())
                        elif isinstance(item, list):
                            stack.extend(item)
                        else:
                            add(item, column if item is value else None)
    return words


async def usernames() -> set[str]:
    """Shown on purpose only where an account is named by its sign-in name (the users'
    admin pages, one's own account); elsewhere a person is their display name."""
    from core.identity.models import User

    return set(await User.all().values_list("username", flat=True))


async def site_codes() -> set[str]:
    from core.entities.models import Site

    return set(await Site.all().values_list("code", flat=True))


ACCOUNT_PAGES = re.compile(r"^/(admin|account)(/|$)")
#: Pages that show texts as they were recorded (the audit log's notes, in the language
#: and words of whoever wrote them): checked for timestamps and codes, not for English.
RECORDED_TEXT = re.compile(r"^/admin/audit(/|$)")


def findings_of(text: str, language: str, codes: set[str], allowed: set[str],
                names: set[str] = frozenset()) -> list[str]:
    """What is wrong with one visible text node; ``names``: usernames this page may show."""
    found = []
    if ISO_TIME.search(text):
        found.append(f"ISO timestamp: {text!r}")
    if text in codes and text not in names:
        return [*found, f"raw code {text!r}"]
    # Placeholders of a message template ({amount}) and dotted identifiers (a message's
    # kind, resident.case:12) are names for machines, shown on purpose where they are.
    english = []
    prose = re.sub(r"\{[^}]*\}|\b[a-z_]+(\.[a-z_]+)+(:\w+)?", " ", text)
    for token in TOKEN.findall(prose):
        bare = token.strip(".:,;'()-/")
        if "_" in bare and bare.lower() == bare and re.search("[a-z]", bare) and "/" not in bare:
            found.append(f"raw code {bare!r} in {text!r}")
            continue
        if (not language.startswith("zh") or "@" in token or "/" in token or any(c.isdigit() for c in token)
                or CAPITAL_CODE.fullmatch(bare)):
            continue
        for word in WORD.findall(bare):
            if word not in allowed and not ACRONYM.fullmatch(word):
                english.append(word)
    if english:
        found.append(f"English {' '.join(english)!r} in {text!r}")
    return found


def crawl(server, username: str, language: str, codes: set[str], allowed: set[str], names: set[str] = frozenset(),
          limit: int = 300) -> dict[str, list[str]]:
    """Every page ``username`` reaches from ``/``, each route once: {url: findings}."""
    client = server.sign_in(username, headers={"Accept-Language": LANGUAGES[language]})
    seen_shapes: dict[str, int] = {}
    queue = deque(["/"])
    queued = {"/"}
    report: dict[str, list[str]] = {}
    visited = 0
    while queue and visited < limit:
        url = queue.popleft()
        response = client.get(url, follow_redirects=True)
        visited += 1
        assert response.status_code < 500, f"{username} [{language}] {url}: {response.status_code}"
        if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        page = _Page(language)
        page.feed(response.text)
        assert page.texts, f"{username} [{language}] {url}: no text"
        html_lang = re.search(r'<html[^>]*\slang="([^"]+)"', response.text)
        if html_lang and language != "en":
            assert html_lang.group(1).startswith("zh"), f"{username} [{language}] {url}: page is {html_lang.group(1)}"
        path = urlsplit(str(response.url)).path
        shown = names if ACCOUNT_PAGES.match(path) else frozenset()
        problems = sorted({finding for text, marked in page.texts
                           for finding in findings_of(text, "en" if RECORDED_TEXT.match(path) else marked.replace("-", "_"),
                                                      codes, allowed | shown, shown)})
        if problems:
            report[str(response.url.raw_path.decode())] = problems
        for href in page.links:
            target = urljoin(str(response.url), href)
            parts = urlsplit(target)
            if parts.netloc != urlsplit(str(response.url)).netloc or parts.scheme not in ("http", "https"):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if SKIP_PATH.search(path) or "page=" in parts.query:
                continue
            shape = _shape(path)
            # A few records of each route (a task with a history, one without...), not all.
            if path not in queued and seen_shapes.get(shape, 0) < PER_ROUTE:
                seen_shapes[shape] = seen_shapes.get(shape, 0) + 1
                queued.add(path)
                queue.append(path)
    return report


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_page_shows_words_and_local_times(demo_server, language):
    codes = known_codes()
    allowed = ALLOWED_WORDS | demo_server.call(data_words) | demo_server.call(site_codes)
    names = demo_server.call(usernames)
    report: dict[str, list[str]] = {}
    for username in ROLE_USERS:
        for url, problems in crawl(demo_server, username, language, codes, allowed, names).items():
            report.setdefault(url, []).extend(f"{username}: {problem}" for problem in problems)
    # One line per finding (a timestamp or a record number aside) with the first page and
    # user that showed it and how many pages did: the list reads as things to fix.
    lines: dict[str, list[str]] = {}
    for url in sorted(report):
        for line in report[url]:
            username, finding = line.split(": ", 1)
            lines.setdefault(re.sub(r"\d", "#", finding), []).append(f"{url} ({username})")
    text = "\n".join(f"[{language}] {', '.join(pages[:3])}{f' and {len(pages) - 3} more pages' if len(pages) > 3 else ''}"
                     f": {finding}" for finding, pages in sorted(lines.items(), key=lambda item: item[1][0]))
    assert not lines, f"{len(lines)} findings:\n{text}"
