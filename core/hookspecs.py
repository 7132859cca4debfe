"""The plugin contract: every hook a Frontdesk plugin can implement.

A plugin is a Python module (usually a package's ``__init__.py``) with a ``meta``
attribute and functions decorated with ``core.hookimpl``::

    from core import PluginMeta, hookimpl

    meta = PluginMeta(name="parking", version="1.0.0", core_requires=">=0.1,<1")

    @hookimpl
    def register_menu_items():
        return [MenuItem(label=_l("Parking"), url="/parking/", permission="parking.view")]

It is found through the ``frontdesk`` entry-point group of its distribution, exactly like
the built-in plugins (see ``pyproject.toml``). An implementation may take fewer arguments
than the spec lists; the host passes only the ones it names.

Hooks come in three families, named after when they run:

- ``register_*``: called once per app at start-up, in plugin load order (core first,
  then each plugin after the plugins it depends on). They return what the plugin
  contributes; results are collected per plugin.
- ``on_*``: notifications after something happened. Each implementation runs on its own:
  one that raises is logged and the others still run, so a plugin cannot break the
  request that fired the event. They may be ``async``.

Conventions the host applies without a hook, because every plugin wants the same
(``<package>`` is the package holding the plugin module):

- ``<package>.models``, if present, is the plugin's Tortoise models module (its app
  label is the plugin's name);
- ``<package>.api.routes()`` returns its JSON routes, ``<package>.pages.routes()`` its
  HTML pages;
- ``<package>.menu.MENU``, ``<package>.menu.DESKS``, ``<package>.permissions.PERMISSIONS``,
  ``<package>.task_types.TASK_TYPES`` and ``<package>.demo.load`` are what
  ``register_menu_items``, ``register_desks``, ``register_permissions``, ``register_task_types`` and
  ``register_demo_data`` would return (a module of that name without the attribute is
  not read);
- ``<package>/templates/`` joins the template search path, ``<package>/static/`` is
  served at ``/static/<plugin name>/``, ``<package>/locale/`` joins the translations
  and ``<package>/migrations/`` holds the plugin's committed migrations.

The ``register_*`` hooks stay for what the convention does not cover (another page
module, models elsewhere, a computed list); what a plugin still returns there and the convention already found (``pages.routes()``) is not registered
twice. ``frontdesk plugins`` lists a convention as the hook it stands for. Core's own
features are plugins of the same shape (``core.plugins.DEFAULT_PLUGINS``).

The reference with an example per hook is ``docs/plugins.md``; a meta-test fails when a
hook here has no entry there or no test in ``tests/core/test_hooks.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from starlette.routing import BaseRoute

    from core.menu import MenuItem
    from core.permissions import Permission

hookspec = pluggy.HookspecMarker("frontdesk")


# --- Start-up: what a plugin contributes -------------------------------------------


@hookspec
def register_models() -> list[str]:
    """Model modules of this plugin's Tortoise app (its label is the plugin's name), beyond
    ``<package>.models``, which the host finds without this hook.

    Return dotted module names, e.g. ``["plugins.hotel.stock_models"]``. The app's migrations
    live in ``<package>.migrations`` and are applied by ``frontdesk migrate``.
    """


@hookspec
def register_routes() -> list[BaseRoute]:
    """HTML page routes (``core.web.routing.page_route``), under ``/<plugin>/`` or
    ``/sites/{site}/<plugin>/``, beyond ``<package>.pages.routes()`` (found without this
    hook). Each route declares the permission it needs."""


@hookspec
def register_api_routes() -> list[BaseRoute]:
    """JSON routes (``core.web.api.api_route``) with full paths under ``/api/v1``, beyond
    ``<package>.api.routes()`` (found without this hook).

    Their request and response schemas appear in ``/api/openapi.json``.
    """


@hookspec
def register_menu_items() -> list[MenuItem]:
    """Entries for the main navigation; each names the permission that shows it."""


@hookspec
def register_desks() -> list[Any]:
    """The plugin's desks, as ``core.menu.Desk(key, label, site_kinds, homes, order)``
    (``<package>.menu.DESKS`` is found without this hook).

    A desk's pages and menu entries are those under ``/sites/{site}/<key>/``. It is on at
    sites whose kind is in ``site_kinds`` (empty: every kind), unless the site's
    administrator turns it on or off (the ``desks`` site settings, ``core.desks``); where
    it is off its entries are not shown and its pages answer 404. ``homes``
    (``core.menu.DeskHome(permission, url)``, narrowest work first) say where ``/`` and
    the sign-in send a person holding that permission at the site.
    """


@hookspec
def register_permissions() -> list[Permission]:
    """Permissions this plugin checks, with the built-in roles granted each by default.

    Names are namespaced by the plugin: ``hotel.room.inspect``.
    """


@hookspec
def register_cli_commands(cli: click.Group) -> None:
    """Add ``click`` commands or groups to the ``frontdesk`` command line."""


@hookspec
def register_demo_data() -> Any:
    """Return an ``async`` callable ``load(demo)`` that adds this plugin's demo records.

    ``demo`` is a ``core.demo.DemoContext`` with the demo sites and users by name. Called
    by ``frontdesk demo`` (and ``make run`` on an empty database) in load order.
    """


@hookspec
def register_task_types() -> list[Any]:
    """Task types this plugin contributes (``core.tasks.types.TaskType``): name, label,
    default SLA, workflow, roles and skill for balanced assignment, required follow-up."""


@hookspec
def register_integrity_checks() -> list[Any]:
    """Async callables (no arguments) that each return a list of problems found in the
    plugin's stored data (e.g. a ledger that does not reconcile); run by
    ``frontdesk integrity`` and after crash tests. An empty list means whole."""


@hookspec
def register_money_checks() -> list[Any]:
    """Async callables ``(site) -> list[str]``, each naming what of this plugin's stored
    data holds money at ``site`` (translated, e.g. "cashier shifts and ledger entries");
    an empty list means none. Amounts are minor units of the site's currency, so core
    refuses to change a site's currency (409 naming these) while any check names
    something. A check that raises counts as money held (fail closed)."""


@hookspec
def register_site_settings() -> list[Any]:
    """The per-site settings this plugin reads, as ``core.site_settings.SettingGroup(key,
    label, model)``: ``model`` is a pydantic model (``core.site_settings.SettingsModel``)
    with a default for every field, ``title``/``description`` as label and help text
    (msgids marked with ``N_``), and constraints (``ge``/``le``; ``Money`` for amounts).

    Values live in ``Site.settings[key]``; an administrator reads and changes them through
    ``/api/v1/sites/{site}/settings``, the page ``/sites/{site}/settings`` and
    ``frontdesk site settings`` (validated, versioned, audited). The plugin reads them with
    ``core.site_settings.effective(site, GROUP)`` or ``value(site, GROUP, "key")``.
    """


@hookspec
def register_code_lists() -> list[Any]:
    """The managed code lists this plugin classifies its records by, as
    ``core.entities.code_lists.CodeList(name, label, defaults)``: ``name`` namespaced by the
    plugin (``resident.complaint_category``), ``defaults`` a tuple of ``Code(code, label)``
    with English labels marked with ``N_`` (translated where shown).

    Each site holds its own items: the defaults, stored on first use, and the codes its
    administrators add, rename or deactivate (never delete) through
    ``/api/v1/sites/{site}/lists/{name}`` and the page ``/sites/{site}/lists/{name}``
    (validated, versioned, audited). The plugin accepts a code on its records with
    ``code_lists.check(site, LIST, code, field)`` (422 naming the field unless active) and
    shows them with ``code_lists.labels(site, LIST)``.
    """


@hookspec
def register_kpi_sources() -> list[Any]:
    """The KPIs this plugin reports, as ``core.kpis.KpiSource(key, label, permission,
    items, targets=None, category_label=None)``: for each of the three KPIs the desk has
    (``on_time_reply_rate`` 答覆率, ``standard_handling_rate`` 規範率,
    ``satisfaction_rate`` 滿意率) a ``core.kpis.Items`` naming, as SQL fragments, where
    its items are (tables, the site's rows, the column placing an item in a period) and
    each item's agent, category, due time, completion, cancellation, further standard,
    or judged/satisfied conditions.

    Core writes the counting once (grouped statements, one per set of items: the formulas, items
    not yet due left out, n/a without data, per-agent and per-category breakdowns) and
    shows every source on ``/sites/{site}/kpis`` and ``GET /api/v1/sites/{site}/kpis``
    (CSV, XLSX) to users holding ``core.kpi.read`` and the source's ``permission``.
    ``targets(site) -> {kpi: percent}`` reads the desk's own targets; without it the
    site's "KPI targets" settings apply (98 / 99 / 100). See ``docs/kpis.md``.
    """


@hookspec
def register_receipt_series() -> list[Any]:
    """The rules of the receipt series this plugin issues, as
    ``core.receipts.services.ReceiptSeries(series, private_without, void_guard)``: a series
    (``fees``) or a family (``register:``); a permission without which a caller reads only the
    receipts of the series they issued themselves (others are 404 in the list, the receipt,
    its PDF, reprint and void, on the API and the pages); and ``async (receipt) -> Problem |
    None`` refusing a void (e.g. "reverse the sale": the reversal voids the receipt itself)."""


@hookspec
def register_channels() -> list[Any]:
    """Ways a message can leave Frontdesk, as objects of the shape
    ``core.messages.channels.Channel``: a ``name`` stored on each message (``email``,
    ``sms``, ``in_app`` are core's own), a ``label``, whether quiet hours hold it back,
    ``address_of(party, user)``, ``normalise_address(value)`` (``ValueError`` with a
    translated message for a bad one) and ``connect(app)``, an async context manager giving
    a sender for one batch (``await sender.send(outgoing) -> Sent``; raise
    ``DeliveryFailed(reason, permanent=...)``). The delivery worker retries, backs off and
    records every attempt; the channel only sends. See ``docs/notifications.md``.
    """


@hookspec
def register_message_templates() -> list[Any]:
    """The messages this plugin sends, as ``core.messages.templates.MessageTemplate(key,
    label, placeholders, subject, body, channels)``: ``key`` namespaced by the plugin
    (``resident.case_reply``), the ``placeholders`` its context fills (``{case_number}``),
    and a default ``subject``/``body`` in English marked with ``N_``, translated into the
    recipient's language when sent. A site may write its own wording per channel and
    language (``/sites/{site}/messages/templates``); a placeholder the template does not
    declare is refused when saved. Queue with ``core.messages.services.queue``.
    """


@hookspec
def register_importers() -> list[Any]:
    """What of this plugin's records can be loaded from a spreadsheet and exported back, as
    ``core.imports.Importer(key, label, permission, columns, write, export, validate=None)``:
    ``key`` namespaced by the plugin (``hotel.rooms``), ``columns`` a tuple of
    ``core.imports.Column(key, label, aliases, required, parse, default)`` (the English
    label and its Chinese forms are the headers accepted; ``parse`` turns a cell's text into
    a value or raises ``CellError`` with a translated message, see ``core.imports.cells``).

    ``validate(rows, context)`` checks across rows and against the database (a code twice,
    a code taken) and returns ``RowError(row, column, message)``; ``write(rows, context)``
    bulk-inserts the rows and audits them, in the import's transaction; ``export(context)``
    returns the site's records as dicts by column key (the round trip of an import).

    Core reads CSV (UTF-8, Big5, GB18030) and XLSX, maps the headers, limits the rows, runs
    the dry run and the all-or-nothing import, and serves every importer through
    ``POST /api/v1/sites/{site}/imports/{key}``, ``GET /api/v1/sites/{site}/exports/{key}.csv``
    (``.xlsx``), the page ``/sites/{site}/imports`` and ``frontdesk import``/``export``.
    See ``docs/operations.md`` ("Moving data in and out").
    """


# --- Per request: rules a plugin adds to core's decisions ----------------------------


@hookspec
def register_personal_data() -> list[Any]:
    """Where this plugin keeps a person's data, for personal-data requests (export and
    erase, ``core.personal_data``), as ``core.personal_data.Source(key, label, tables, kept,
    erase, identifiers)``. Each ``core.personal_data.Table(key, model, match, names,
    contacts, private)`` names a model and ``match(subject)``, the ``Q`` selecting the rows
    about a party or a user (``subject.kind``, ``subject.id``; None: nothing of that kind);
    on erase its ``names`` get the pseudonym and its ``contacts`` are emptied. ``kept``
    (``async (subject) -> list[Kept(what, why, open)]``) says what erase keeps and why
    (money and legal records, open ones flagged); ``erase`` (``async (subject, scrubber)``)
    does what a table cannot say; ``identifiers`` (``async (subject) -> list[str]``) adds
    values to remove wherever they are written (a caller's plates). Nothing is deleted:
    after the sources, core scrubs the person's name, phones and e-mail from every text
    and JSON column of every table. All of it runs in the erase's transaction.
    """


@hookspec
def task_transition_guard(task: Any, to_status: str, actor: Any, kernel: Any) -> Any:
    """Refuse a task transition with a reason (a string), or return None to allow it.

    For rules on other plugins' tasks (or every task). A plugin's rules on its *own* task
    types need no hook: the kernel calls ``transition_guard(task, to_status)`` of the
    plugin's ``services`` module first, for the types it declared, under the same
    fail-closed rule. May be ``async``. Called for every transition; look at ``task.type``. ``kernel`` is the app's ``TaskKernel`` (its ``bus`` publishes live
    events). The first reason given refuses the change with 409. Guards fail closed: a
    guard that raises refuses the change (503 naming ``<plugin>.task_transition_guard``)
    and is logged, so a broken rule never lets everything through.
    """


@hookspec
def task_subject_panel(task: Any, subject: Any, request: Any) -> Any:
    """What the task page shows of the record a task is about, added by a plugin that
    does not own it (return None for subjects you have nothing to say about). The owner
    needs no hook: the task page calls ``task_panel(request, task, subject)`` of the
    ``pages`` module of the plugin ``subject.plugin`` names, first. May be ``async``.

    ``subject`` is a ``core.tasks.types.Subject`` (plugin, kind, id); ``request`` is the
    page's. Return a ``core.tasks.types.SubjectPanel``: a title, a link to the record's
    own page and a template (with its context) rendered inside the task page, e.g. a
    room's state on a cleaning task, the reply and revisit forms on a case's task. A
    panel that fails is logged and left out; the task page still shows.
    """


@hookspec
def eligible_assignees(site: Any, task_type: Any, at: Any, candidates: list[int]) -> Any:
    """Narrow whom balanced assignment may give a task to now (e.g. only people on duty).

    ``candidates`` are the user ids balanced assignment would choose among: the site's
    active members holding one of the type's roles (``task_type`` is the
    ``core.tasks.types.TaskType``, ``site`` the ``Site``); ``at`` is the moment, in UTC
    (usually now). Return an iterable of the ids that may receive the task, or None for
    no opinion. The kernel intersects the answers of every plugin (ids not among the
    candidates are ignored), then prefers the type's skill and balances the load among
    what is left. May be ``async``; called once per balanced
    assignment, so keep it to a query or two.

    When candidates exist but none is eligible, an explicit balanced assignment is
    refused (409 with the reason) and a task created with ``assign="balanced"`` is created
    unassigned, its history saying why (an ``unassigned`` event): a call or a checkout is
    never lost because nobody is on duty. The hotel's choice of an attendant asks too.

    Fails open: an implementation that raises is logged and its answer ignored (as if it
    had no opinion). A broken roster must not stop calls and cleaning tasks being logged
    and handed out; narrowing is a preference about who, unlike a guard, which decides
    whether at all. Without any implementation the kernel does not call the hook.
    """


@hookspec
def page_panels(page: str, request: Any) -> Any:
    """Panels a plugin adds to a named core page: ``"my_work"`` (a staff member's home,
    ``/sites/{site}/my-work``) and ``"handovers"`` (``/sites/{site}/handovers``). Return a
    ``core.web.panels.Panel(title, template, context, url)``, a list of them, or None.
    May be ``async``.

    ``request`` is the page's (``request.state.user``, ``core.web.access.current_site``).
    The page renders each panel's title (a link when ``url`` is set) and includes its
    template with ``context`` added. A panel that fails is logged and left out; the page
    still shows.
    """


# --- Notifications -----------------------------------------------------------------


@hookspec
def on_task_event(task: Any, event: Any, kernel: Any) -> Any:
    """A task's history gained ``event`` (created, assigned, transitioned, reopened,
    commented, overdue, ...), after the change committed. ``kernel`` is the app's
    ``TaskKernel``, to act on tasks in turn. May be ``async``."""


@hookspec
def on_app_started(app: Any) -> Any:
    """The app finished starting (database ready). May be ``async``.

    For work a plugin keeps running beside the server, e.g. a periodic job.
    """


@hookspec
def on_signed_in(user: Any, client_address: str) -> Any:
    """``user`` (a ``core.identity.models.User``) signed in with their password, on the
    sign-in page or through the API, after the sign-in committed. ``client_address`` is
    the request's address. May be ``async``; one that raises is logged, never undoes the
    sign-in (e.g. a roster plugin clocks the person in)."""
