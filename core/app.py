"""The app factory: ``create_app(settings)`` builds one Frontdesk web application.

Everything an app needs (plugins, templates, translations, database) hangs off
``app.state``; nothing is global, so tests can run several apps side by side.
"""

from __future__ import annotations

import asyncio
import sys
import logging
from pathlib import Path
from contextlib import asynccontextmanager
from types import ModuleType
from typing import AsyncIterator, Iterable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount

from core import desks, event_log, i18n
from core.database import open_database, pending_migrations, postgres_dsn
from core.event_log import PRUNE_SECONDS
from core.events import EventBus
from core.entities.site_cache import CHANNEL as SITES_CHANNEL, SiteCache, forget_from_notice as forget_site_from_notice
from core.identity.principals import CHANNEL as IDENTITY_CHANNEL, PrincipalCache, forget_from_notice
from core.tasks.jobs import run_overdue_loop
from core.tasks.services import TaskKernel
from core.timers import repeat
from core.messages.services import install as install_messages
from core.messages.worker import DeliveryLoop
from core.errors import StartupError
from core.plugin_host import PluginHost
from core.startup_checks import validate
from core.plugins import load_plugins
from core.settings import Settings, load_settings
from core.identity.passwords import configure_hashing_from
from core.identity.services import sync_roles_and_permissions
from core.settings import resolve_secret_key
from core.web.authentication import AuthenticationMiddleware, parse_trusted_proxies
from core.web.metrics import Metrics, MetricsMiddleware
from core.web.middleware import (
    DatabaseContextMiddleware,
    LanguageMiddleware,
    ProxySchemeMiddleware,
    RequireHttpsMiddleware,
    SecurityHeadersMiddleware,
)
from core.problems import Problem
from core.web.problems import handle_http_exception, handle_problem, handle_unexpected
from core.web.templating import ThemeStaticFiles, build_templates

log = logging.getLogger("frontdesk")


def static_mounts(settings: Settings, host: PluginHost) -> list[Mount]:
    from starlette.staticfiles import StaticFiles

    mounts = [Mount("/static/theme", app=ThemeStaticFiles(settings.theme), name="static-theme")]
    for plugin in host.plugins:
        if plugin.name != "core" and (static := plugin.resource_dir("static")):
            mounts.append(Mount(f"/static/{plugin.name}", app=StaticFiles(directory=str(static)), name=f"static-{plugin.name}"))
    return mounts


def owned_routes(host: PluginHost) -> list:
    """Every plugin's routes (by convention and by hook); two plugins claiming one method
    and path stop start-up."""
    owners: dict[tuple[str, str], str] = {}
    routes = []
    for hook in ("register_api_routes", "register_routes"):
        for plugin, contributed in host.contributions(hook):
            for route in contributed:
                for method in sorted(getattr(route, "methods", None) or {"*"}):
                    key = (method, route.path)
                    if key in owners and owners[key] != plugin.name:
                        raise StartupError(f"plugins {owners[key]} and {plugin.name} both register {method} {route.path}")
                    owners[key] = plugin.name
                routes.append(route)
    return routes


def check_ownership(host: PluginHost) -> None:
    """Names a plugin owns (permissions, task types, template files) may not be claimed by
    another plugin: start-up stops naming both. A plugin replacing a *core* template is
    refused by ``core.startup_checks.outside_namespace``."""
    for hook, name_of, what in (("register_permissions", lambda p: p.name, "permission"),
                                ("register_task_types", lambda t: t.name, "task type")):
        owners: dict[str, str] = {}
        for plugin, items in host.contributions(hook):
            for item in items:
                name = name_of(item)
                if name in owners and owners[name] != plugin.name:
                    raise StartupError(f"plugins {owners[name]} and {plugin.name} both register the {what} {name}")
                owners[name] = plugin.name
    template_owners: dict[str, str] = {}
    for plugin in host.plugins:
        if plugin.name == "core" or not (templates := plugin.resource_dir("templates")):
            continue
        for path in templates.rglob("*.html"):
            name = path.relative_to(templates).as_posix()
            if name.startswith("core/") or name == "error.html":
                continue  # overriding core's templates is allowed
            if name in template_owners:
                raise StartupError(f"plugins {template_owners[name]} and {plugin.name} both provide the template {name}")
            template_owners[name] = plugin.name


def locale_dirs(host: PluginHost):
    return [directory for plugin in host.plugins if (directory := plugin.resource_dir("locale"))]


#: SQLite queries run in aiosqlite's thread; when the event loop is busy (several requests
#: at once) that thread waited up to Python's default 5 ms switch interval for the GIL after
#: each query, so throughput *fell* with concurrency (451 requests/s at 8 connections against
#: 554 at one). 0.5 ms hands the GIL over sooner.
SQLITE_SWITCH_INTERVAL = 0.0005


def settings_are_sqlite(settings) -> bool:
    return settings.is_sqlite


async def prune_event_log(app: Starlette) -> None:
    settings = app.state.settings
    await event_log.prune(settings.live_event_log_size, settings.live_event_log_minutes)


def end_streams_on_shutdown_signal(bus: EventBus):
    """Under uvicorn, SIGTERM (or Ctrl+C) also ends the event streams at once.

    uvicorn stops accepting, then waits for every open response before it runs the app's
    shutdown: an event stream never ends by itself, so it would wait until
    ``timeout_graceful_shutdown`` and cancel the streams mid-way. Wrapping its signal
    handler lets each stream send its retry hint and end, so the server exits as soon as
    the in-flight requests are done. Returns what puts the handlers back."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous = {}
    for number in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(number)
        if not callable(handler) or not type(getattr(handler, "__self__", None)).__module__.startswith("uvicorn"):
            continue  # not served by uvicorn (tests, another server): leave it alone

        def wrapped(signum, frame, handler=handler):
            handler(signum, frame)
            loop.call_soon_threadsafe(bus.end_streams)

        previous[number] = handler
        signal.signal(number, wrapped)

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)

    return restore


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    state = app.state
    async with open_database(state.settings, state.host) as context:
        pending = await pending_migrations(state.host)
        if pending and not state.allow_pending_migrations:
            raise StartupError(
                f"database: {len(pending)} migration(s) not applied ({', '.join(pending[:5])}); "
                "run `frontdesk migrate` (make run does it for you)"
            )
        state.db_context = context
        state.pending_migrations = pending
        if settings_are_sqlite(state.settings):
            sys.setswitchinterval(SQLITE_SWITCH_INTERVAL)
        if not pending:
            await sync_roles_and_permissions(state.host)
        settings = state.settings
        # Identity changes committed by other processes reach this one's principal cache
        # on the bus's listening connection.
        state.events.listen(IDENTITY_CHANNEL, forget_from_notice)
        state.principals.bus_alive = state.events.crosses_processes
        # So do changes to sites (their settings, time zone, language).
        state.events.listen(SITES_CHANNEL, forget_site_from_notice)
        state.site_cache.bus_alive = state.events.crosses_processes
        # Notices missed while the bus was reconnecting: both caches start afresh.
        state.events.on_reconnect(state.principals.clear)
        state.events.on_reconnect(state.site_cache.clear)
        state.events.record = not pending
        await state.events.start(None if settings.is_sqlite else postgres_dsn(settings))
        if not pending:
            repeat(app, PRUNE_SECONDS, prune_event_log, name="event log prune")
        restore_signal = end_streams_on_shutdown_signal(state.events)
        background = []
        if settings.overdue_check_seconds and not pending:
            background.append(asyncio.create_task(
                run_overdue_loop(state.tasks, not settings.is_sqlite, settings.overdue_check_seconds)))
        if settings.outbox_poll_seconds and not pending:
            delivery = DeliveryLoop(app)
            state.messages.wake = delivery.wake
            background.append(asyncio.create_task(delivery.run()))
        await state.host.notify("on_app_started", app=app)
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            restore_signal()
            await state.events.stop()
            state.db_context = None


def create_app(
    settings: Settings | None = None,
    *,
    extra_plugins: Iterable[ModuleType] = (),
    only_plugins: Iterable[str] | None = None,
    allow_pending_migrations: bool = False,
) -> Starlette:
    settings = settings or load_settings()
    configure_hashing_from(settings)
    host = load_plugins(settings.disabled_plugins, extra_plugins, only_plugins)
    routes = [*owned_routes(host), *static_mounts(settings, host)]
    check_ownership(host)
    validate(host)  # every other start-up rule, all problems at once (`frontdesk check` runs the same)
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(ProxySchemeMiddleware),
            Middleware(DatabaseContextMiddleware),
            Middleware(MetricsMiddleware),
            Middleware(SecurityHeadersMiddleware),
            Middleware(AuthenticationMiddleware),
            Middleware(LanguageMiddleware),
            Middleware(RequireHttpsMiddleware),
        ],
        exception_handlers={
            Problem: handle_problem,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.secret_key = resolve_secret_key(settings, Path("var"))
    app.state.trusted_proxy_networks = parse_trusted_proxies(settings.trusted_proxies)
    app.state.host = host
    app.state.templates = build_templates(settings.theme, host)
    app.state.catalogs = i18n.load_catalogs(locale_dirs(host))
    app.state.menu_items = sorted(host.collect("register_menu_items"), key=lambda item: item.order)
    desks.declared(host)  # the plugins' desks, checked now: a bad declaration stops start-up, naming it
    app.state.metrics = Metrics()
    app.state.events = EventBus()
    app.state.site_cache = SiteCache()  # sites by code, see core.entities.site_cache
    app.state.principals = PrincipalCache()  # sign-ins and permissions, see core.identity.principals
    app.state.tasks = TaskKernel(host, app.state.events)
    app.state.messages = install_messages(host)  # channels and templates, see core.messages
    app.state.allow_pending_migrations = allow_pending_migrations
    app.state.db_context = None
    app.state.pending_migrations = []
    return app
