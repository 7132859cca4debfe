"""Languages: gettext catalogs from core and every plugin, chosen per request.

Each package keeps ``locale/<language>/LC_MESSAGES/messages.po`` (and the compiled
``.mo``); ``make messages`` extracts, updates and compiles them. The catalogs of core
and of every loaded plugin are merged into one ``Translations`` per language.

The current language lives in a context variable set once per request, so services,
templates and error messages all translate without passing it around.
"""

from __future__ import annotations

import contextvars
from pathlib import Path
from typing import Iterable

from babel import Locale, UnknownLocaleError
from babel.support import LazyProxy, NullTranslations, Translations

LANGUAGES = ("zh_Hant", "zh_Hans", "en")
LANGUAGE_NAMES = {"zh_Hant": "繁體中文", "zh_Hans": "简体中文", "en": "English"}
DOMAIN = "messages"

_catalogs: contextvars.ContextVar[dict[str, NullTranslations] | None] = contextvars.ContextVar(
    "frontdesk_catalogs", default=None
)
_language: contextvars.ContextVar[str] = contextvars.ContextVar("frontdesk_language", default="en")


def load_catalogs(locale_dirs: Iterable[Path]) -> dict[str, NullTranslations]:
    """One merged catalog per shipped language, from every package's ``locale`` folder."""
    catalogs: dict[str, NullTranslations] = {}
    locale_dirs = list(locale_dirs)
    for language in LANGUAGES:
        merged: NullTranslations = Translations(domain=DOMAIN)
        plural_taken = False
        for directory in locale_dirs:
            loaded = Translations.load(str(directory), [language], DOMAIN)
            if isinstance(loaded, Translations):
                merged.merge(loaded)
                if not plural_taken:
                    # Babel's merge copies the messages but not the plural rule: the empty
                    # catalogue started with the English one (n != 1), so Chinese ("7 open
                    # tasks", one form only) looked for a second form, found none and fell
                    # back to the English msgid. The language's rule comes from its first
                    # catalogue (every package's .po of one language states the same rule).
                    merged.plural = loaded.plural
                    merged._info = {**loaded._info, **merged._info}
                    plural_taken = True
        catalogs[language] = merged
    return catalogs


def activate(catalogs: dict[str, NullTranslations], language: str) -> None:
    """Make ``language`` current for the rest of this request (or task)."""
    _catalogs.set(catalogs)
    _language.set(language if language in LANGUAGES else "en")


def current_language() -> str:
    return _language.get()


def gettext(message: str, /, **variables: object) -> str:
    """Translate ``message`` into the current language; ``%(name)s`` filled from keywords."""
    catalogs = _catalogs.get()
    translated = catalogs[_language.get()].gettext(message) if catalogs else message
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, count: int, /, **variables: object) -> str:
    catalogs = _catalogs.get()
    if catalogs:
        translated = catalogs[_language.get()].ngettext(singular, plural, count)
    else:
        translated = singular if count == 1 else plural
    return translated % {"num": count, **variables}


def lazy_gettext(message: str, /, **variables: object) -> LazyProxy:
    """For strings defined at import time (menu labels, permission names): translated
    when shown, in the language of that moment."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


def N_(message: str) -> str:
    """Mark a string for extraction only; it is translated where it is shown."""
    return message


_ = gettext
_l = lazy_gettext


# --- Stored codes in words --------------------------------------------------------------
#
# A status, event kind, method or channel is stored as a code ("in_progress", "phone") and
# shown as words. Each feature registers its codes once, here, under a dotted kind
# ("task.status", "hotel.room_event"), and every page shows them through one template
# filter, ``{{ task.status|label("task.status") }}`` (core.web.templating), instead of
# a dictionary handed to each template.

_code_labels: dict[str, dict[str, object]] = {}


def register_labels(kind: str, labels: dict[str, object]) -> dict[str, object]:
    """Declare the words for ``kind``'s codes (lazy_gettext proxies or N_ strings).
    Registering a kind again adds to it (a plugin may extend a core list)."""
    _code_labels.setdefault(kind, {}).update(labels)
    return labels


def registered_labels(kind: str) -> dict[str, object]:
    return _code_labels.get(kind, {})


def all_label_kinds() -> dict[str, dict[str, object]]:
    return dict(_code_labels)


def code_label(value: object, kind: str) -> str:
    """``value``'s words in the current language; an unknown code shows as it is (a
    record is never hidden because its code is new), an empty value as ``""``."""
    if value is None or value == "":
        return ""
    text = _code_labels.get(kind, {}).get(str(value))
    if text is None:
        return str(value)
    return str(text) if isinstance(text, LazyProxy) else gettext(str(text))


def language_from_tag(tag: str) -> str | None:
    """Map a BCP 47 tag (``zh-TW``, ``zh-Hans-CN``, ``en-GB``) to a shipped language."""
    try:
        locale = Locale.parse(tag.strip().replace("_", "-"), sep="-")
    except (ValueError, UnknownLocaleError):
        return None
    if locale.language == "en":
        return "en"
    if locale.language == "zh":
        if locale.script in ("Hant", "Hans"):
            return f"zh_{locale.script}"
        # A bare "zh" says nothing of the script; Babel's likely script for zh is Hans.
        return "zh_Hans"
    return None


def parse_accept_language(header: str) -> list[str]:
    """Languages from an ``Accept-Language`` header, best first (q-values honoured)."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        piece, _, params = part.strip().partition(";")
        if not piece or piece == "*":
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        weighted.append((-quality, position, piece))
    return [piece for _q, _p, piece in sorted(weighted)]


def negotiate_language(user_choice: str | None, accept_language: str | None, site_default: str) -> str:
    """The user's choice, else the browser's best shipped language, else the site's default."""
    if user_choice in LANGUAGES:
        return user_choice
    for tag in parse_accept_language(accept_language or ""):
        if language := language_from_tag(tag):
            return language
    return site_default if site_default in LANGUAGES else "en"
