"""The contract of ``register_personal_data``: who a request is about (``Subject``), where
their data lives (``Source`` and its ``Table`` declarations), what is kept (``Kept``), and
the ``Scrubber`` that replaces their identifiers in free text.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from tortoise.expressions import Q

from core.i18n import gettext as _

#: What replaces a phone number, an e-mail address or a plate found in free text.
REMOVED = "[…]"
#: Shorter names are replaced only where a whole value equals them: "Li" inside "Lift" is
#: not the person (CJK names are two characters or more, Latin ones three).
MIN_CJK_NAME = 2
MIN_LATIN_NAME = 3


@dataclass
class Subject:
    """The person a request is about: a party (``core.entities.models.Party``) or a user."""

    #: "party" or "user".
    kind: str
    id: int
    #: The party's site; None for a user (the sweep then covers every site).
    site_id: int | None
    name: str
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    #: A user's username: replaced only where a value equals it (often a common word).
    username: str = ""
    #: Identifiers sources find along the way (a caller's plates, stored without separators),
    #: removed wherever they are written, with or without separators.
    others: list[str] = field(default_factory=list)
    #: The record itself (``Party`` or ``User``), for sources that need more of it.
    record: Any = None

    @property
    def tag(self) -> str:
        """Four hex digits, the same every time for this person: the pseudonym's number."""
        return hashlib.sha256(f"{self.kind}:{self.id}".encode()).hexdigest()[:4]

    @property
    def pseudonym(self) -> str:
        return _("Erased person #%(tag)s", tag=self.tag)

    @property
    def erased_username(self) -> str:
        return f"erased-{self.tag}-{self.id}"


@dataclass(frozen=True)
class Kept:
    """Something erase keeps (linked to the pseudonym), and why."""

    #: What: "2 unpaid bills of unit A-0101" (translated).
    what: str
    #: Why: "Money records are kept for the accounts (7 years)" (translated).
    why: str
    #: An open money record (unpaid bill, open deposit): the request says so first.
    open: bool = False


@dataclass(frozen=True)
class Table:
    """Rows of one model that are about the subject.

    ``match(subject)`` returns the filter (a ``Q``) selecting them, or None when the table
    holds nothing about this kind of subject. On erase, ``names`` get the pseudonym,
    ``contacts`` are emptied ("" for text, an empty list or object for JSON, None where the
    column allows it); every other text of these rows is left to the sweep."""

    key: str
    model: Any
    match: Callable[[Subject], Q | None]
    names: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()
    #: Fields left out of the export (secrets, hashes).
    private: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """One feature's or plugin's share of a person's data."""

    #: Namespaced by the plugin: "resident", "core.messages".
    key: str
    label: Any
    tables: tuple[Table, ...] = ()
    #: ``async (subject) -> list[Kept]``.
    kept: Callable[[Subject], Awaitable[list[Kept]]] | None = None
    #: ``async (subject, scrubber) -> None``: erase steps the tables cannot declare. Runs in
    #: the erase's transaction, after the tables' fields and before the sweep.
    erase: Callable[[Subject, "Scrubber"], Awaitable[None]] | None = None
    #: ``async (subject) -> list[str]``: more identifiers of the person (plates on their
    #: calls) that the sweep removes wherever they are written.
    identifiers: Callable[[Subject], Awaitable[list[str]]] | None = None


def _is_cjk(text: str) -> bool:
    return any("\u2e80" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" for char in text)


def _phone_pattern(phone: str) -> str:
    """The digits with any of space, dash, dot or brackets between them: "0912-345 678"."""
    digits = re.sub(r"\D", "", phone)
    return r"\+?" + r"[\s\-.()]*".join(digits) if digits else ""


def _code_pattern(code: str) -> str:
    """A code stored without separators (a plate "ABC9876") as people write it: any of
    space, dash, dot or middle dot between its characters ("ABC-9876", "粤B·12345")."""
    return r"[\s\-.·]*".join(re.escape(char) for char in code)


def code_variants(code: str) -> list[str]:
    """The code, and with a dash or a space where letters meet digits ("ABC-9876")."""
    variants = {code}
    for index in range(1, len(code)):
        if code[index - 1].isdigit() != code[index].isdigit():
            variants |= {f"{code[:index]}-{code[index:]}", f"{code[:index]} {code[index:]}"}
    return sorted(variants)


def phone_variants(phone: str) -> list[str]:
    """How a number is commonly written, for finding rows before the exact regular
    expression decides: digits, and 4-3-3 with dashes or spaces."""
    digits = re.sub(r"\D", "", phone)
    variants = {phone, digits}
    if len(digits) == 10:
        variants |= {f"{digits[:4]}-{digits[4:7]}-{digits[7:]}", f"{digits[:4]} {digits[4:7]} {digits[7:]}"}
    return sorted(value for value in variants if value)


class Scrubber:
    """Replaces the subject's identifiers in text and JSON values: the name by the
    pseudonym, phones, e-mails and other identifiers by ``REMOVED``."""

    def __init__(self, subject: Subject) -> None:
        self.subject = subject
        self.pseudonym = subject.pseudonym
        name = subject.name.strip()
        self.name_pattern: re.Pattern | None = None
        if name and len(name) >= (MIN_CJK_NAME if _is_cjk(name) else MIN_LATIN_NAME):
            body = re.escape(name)
            self.name_pattern = re.compile(body if _is_cjk(name) else rf"(?<!\w){body}(?!\w)", re.IGNORECASE)
        self.exact_name = name
        patterns = [_phone_pattern(phone) for phone in subject.phones]
        patterns += [re.escape(value) for value in subject.emails if value.strip()]
        patterns += [_code_pattern(value) for value in subject.others if value.strip()]
        patterns = [pattern for pattern in patterns if pattern]
        self.contact_pattern = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE) if patterns else None

    def needles(self) -> list[str]:
        """Substrings that find candidate rows in SQL (lower case); the patterns decide."""
        values = [self.exact_name] if self.name_pattern is not None else []
        for phone in self.subject.phones:
            values += phone_variants(phone)
        values += [value for value in self.subject.emails if value.strip()]
        for value in self.subject.others:
            values += code_variants(value) if value.strip() else []
        found = set()
        for value in values:
            found.add(value.lower())
            # JSON written with ASCII escapes (SQLite text) holds "\u9673" for 陳.
            escaped = json.dumps(value)[1:-1]
            if escaped != value:
                found.add(escaped.lower())
        return sorted(found)

    def text(self, value: str) -> str:
        if not value:
            return value
        if self.name_pattern is None:
            if self.exact_name and value.strip() == self.exact_name:
                return self.pseudonym
        else:
            value = self.name_pattern.sub(self.pseudonym, value)
        if self.contact_pattern is not None:
            value = self.contact_pattern.sub(REMOVED, value)
        return value

    def value(self, value: Any) -> Any:
        """A JSON value with every string scrubbed (keys kept)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        return value
