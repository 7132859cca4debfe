"""Bulk imports and exports: one framework, an importer per kind of record.

A plugin declares what can be loaded from a spreadsheet with the ``register_importers``
hook: an ``Importer`` names its columns (each with the headers it is known by, in English
and Chinese, and a parser turning a cell's text into a value or a translated error), a
``validate`` step for what one row cannot tell (a code twice in the file or already in
the database, a role that does not exist), a ``write`` doing the bulk insert and its
audit, and an ``export`` giving the same columns back (round trip: an export imported
into an empty site gives the same records).

Core does the rest once for every importer (``core.imports.services``): reading CSV
(UTF-8, Big5, GB18030) and XLSX, mapping headers, the row limit, the dry run reporting
every row's errors with row number and column, the all-or-nothing import in one
transaction, and the three surfaces: ``POST /api/v1/sites/{site}/imports/{key}``, the page
``/sites/{site}/imports`` and ``frontdesk import``/``frontdesk export``.

This module holds only the declarations (what a plugin imports); see ``docs/plugins.md``
("register_importers") for an example.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

HOOK = "register_importers"


class CellError(ValueError):
    """A cell's value is wrong: its message (translated) is shown against the row and column."""


def _same(value: Any) -> Any:
    return value


def _as_cell(value: Any) -> Any:
    """A value as an exported cell: lists joined by ``; ``, None empty, the rest as is."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(str(item) for item in value)
    return value


@dataclass(frozen=True)
class Column:
    """One column of an import file.

    ``label`` is an English msgid marked with ``N_``: the header written by an export (in
    the language of the moment) and accepted on import in every language. ``aliases`` are
    further headers accepted, at least the zh-Hant and zh-Hans forms (so a file is read
    even without catalogues) and common synonyms. Headers match case-, width- and
    space-insensitively (``Ｃｏｄｅ``, `` code ``, ``CODE``), and ``key`` itself always matches.

    ``parse(text)`` receives the cell's text, stripped, never empty (an empty cell is
    ``default``, or "required" when ``required``), and returns the value or raises
    ``CellError`` with a translated message. ``format(value)`` turns an exported value into
    the cell (default: lists joined by ``; ``)."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    parse: Callable[[str], Any] = _same
    default: Any = ""
    format: Callable[[Any], Any] = _as_cell
    #: Shown on the page and in the docs beside the headers: what the cell holds (msgid).
    help: str = ""


@dataclass
class Row:
    """A data row: ``number`` is its row in the file (the header is row 1, so the first
    data row is 2, as a spreadsheet numbers it), ``values`` by column key (a column absent
    from the file holds its ``default``).

    ``failed`` holds the keys of the cells that did not parse (their error is reported
    already, their value is the column's ``default``): ``validate`` sees every row, so that
    a row's other errors (an unknown unit beside a bad amount) are reported in the same
    run, and skips its checks of these keys. ``write`` only ever sees rows without any."""

    number: int
    values: dict[str, Any]
    failed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RowError:
    """What is wrong with a row: ``column`` is a column key (the report shows the header as
    written in the file) or "" for the row as a whole."""

    row: int
    column: str
    message: str


@dataclass
class ImportContext:
    """What ``validate``, ``write`` and ``export`` receive besides the site and rows.

    ``state`` is a scratch dict an importer may fill in ``validate`` (e.g. the ids of
    existing units by code, fetched in one query) and read in ``write``: both run in the
    same transaction on import, so what ``validate`` saw still holds."""

    site: Any
    #: ``core.actors.Actor``: whose import it is (the audit names them).
    actor: Any
    #: The plugin host (``core.plugin_host.PluginHost``), for importers that look at
    #: other plugins' declarations (code lists, roles).
    host: Any = None
    #: The Starlette app when there is one (its ``state.tasks`` kernel, its bus), None from
    #: the CLI: an importer that announces live events skips them then.
    app: Any = None
    dry_run: bool = True
    state: dict[str, Any] = field(default_factory=dict)
    #: Effects for once the import has committed (``context.after_commit.append(callable)``,
    #: each an async function without arguments), such as a live event telling other
    #: processes to drop a cache: published before the commit, another worker could refill
    #: its cache without the new records. Dropped on a dry run and when the import is undone.
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


@dataclass(frozen=True)
class Importer:
    """What can be imported and exported: ``key`` namespaced by the plugin (``core.units``,
    ``hotel.rooms``), ``label`` lazy-translated, ``permission`` needed at the site to import
    (``export_permission``, default the same, to export).

    - ``validate(rows, context) -> list[RowError]`` (async): checks across rows and against
      the database, with no query per row (fetch what is needed in one query). Receives
      every row, also those with cells that did not parse: skip the checks of the keys in
      ``row.failed`` (their values are the defaults). Optional.
    - ``write(rows, context) -> int`` (async): inserts the rows (``bulk_create`` in
      batches, ``core.imports.BATCH``) and audits them (``core.imports.audit``); returns how many
      records it created. Runs in the import's transaction after ``validate`` found nothing;
      raising ``Problem`` or ``ImportRefused`` undoes the whole import.
    - ``export(context) -> list[dict]`` (async): the site's records as dicts by column key,
      in the order a person would read them.
    """

    key: str
    label: Any
    permission: str
    columns: tuple[Column, ...]
    write: Callable[[list[Row], ImportContext], Awaitable[int]]
    export: Callable[[ImportContext], Awaitable[list[dict[str, Any]]]]
    validate: Callable[[list[Row], ImportContext], Awaitable[list[RowError]]] | None = None
    export_permission: str = ""
    #: One sentence shown on the import page (lazy-translated), e.g. what an existing code does.
    description: Any = ""

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)


class ImportRefused(Exception):
    """``write`` found rows it cannot store after all (a race with another writer): the
    import is undone and these errors reported as a dry run would."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} row errors")
        self.errors = errors


#: Rows per ``bulk_create`` statement (and per audit batch): small enough for SQLite's
#: bound-parameter limit with a dozen columns, large enough that 20,000 rows take 40 statements.
BATCH = 500


def normalise_header(text: Any) -> str:
    """A header as compared: NFKC (full-width letters and spaces become ASCII), case
    folded, without spaces, underscores, dashes or a trailing colon."""
    text = unicodedata.normalize("NFKC", str(text or "")).casefold().strip().rstrip(":：")
    return "".join(char for char in text if not char.isspace() and char not in "_-")


def declared(host) -> dict[str, Importer]:
    """Every importer the loaded plugins declare, by key, in load order."""
    return {importer.key: importer for importer in host.collect(HOOK)}
