"""The plugin host: finds plugins through entry points, checks them, calls their hooks.

Every app gets its own ``PluginHost`` (a fresh ``pluggy.PluginManager``), so two apps in
one process, as the tests build them, never share registrations.

This module is kernel: it knows no feature of core. Core's own features (entities,
identity, tasks, audit, the platform pages) are plugins too; ``core.plugins`` imports
them and hands them to ``assemble_host`` as the ``core`` plugin's hook modules, as
Datasette's ``DEFAULT_PLUGINS``.

Models, API routes and pages are found by convention in the package that holds a hook
module (``<package>.models``, ``<package>.api.routes()``, ``<package>.pages.routes()``);
the ``register_models``/``register_api_routes``/``register_routes`` hooks add what the
convention does not cover, and a result the convention already gave is not added twice.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import traceback
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from core.errors import HookFailed, StartupError

log = logging.getLogger("frontdesk.plugins")
#: Frames in these folders are the host's or a library's, not the plugin author's code.
_NOT_THE_PLUGINS = (str(Path(__file__).resolve().parent), str(Path(pluggy.__file__).resolve().parent.parent),
                    str(Path(importlib.__file__).resolve().parent.parent))


def failing_line(error: BaseException, root: Path | None = None) -> str:
    """`` at <file>:<line>`` of the code that failed: a syntax error's own place, else
    the innermost frame in ``root`` (the plugin's folder) or, without one, the innermost
    frame outside core, pluggy and the standard library; empty when there is none (a
    module that does not exist). ``frontdesk --debug`` shows the whole traceback."""
    if isinstance(error, SyntaxError) and error.filename:
        return f" at {_shown(error.filename)}:{error.lineno}"
    chosen = None
    for frame in traceback.extract_tb(error.__traceback__):
        filename = str(Path(frame.filename).resolve()) if not frame.filename.startswith("<") else ""
        if not filename:
            continue
        if (root is not None and filename.startswith(str(root))) or (
                root is None and not filename.startswith(_NOT_THE_PLUGINS)):
            chosen = frame
    if chosen is None and root is not None:
        return failing_line(error)
    return f" at {_shown(chosen.filename)}:{chosen.lineno}" if chosen else ""


def _shown(filename: str) -> str:
    """A path relative to the working folder when inside it (shorter, clickable in editors)."""
    path = Path(filename).resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)

ENTRY_POINT_GROUP = "frontdesk"
CORE_NAME = "core"

#: Decorate a plugin's hook implementations with this marker (plugins import it from ``core``).
hookimpl = pluggy.HookimplMarker(ENTRY_POINT_GROUP)

#: What the host finds by convention in a plugin's package, and the hook each stands for:
#: ``<package>.models`` (a Tortoise models module), ``<package>.api.routes()`` and
#: ``<package>.pages.routes()``.
CONVENTIONS = {"register_models": "models", "register_api_routes": "api", "register_routes": "pages"}

#: Declarations the host reads by name in a plugin's package, each standing for the hook
#: that would only return it: ``<package>.menu.MENU`` and ``DESKS``, ``<package>.permissions.PERMISSIONS``,
#: ``<package>.task_types.TASK_TYPES`` and the demo loader ``<package>.demo.load``. So a
#: plugin's ``__init__.py`` holds its ``meta`` and only the hooks that decide something.
#: A module of that name without the attribute is not a declaration (core's own
#: ``core.menu`` holds the ``MenuItem`` class, not a menu).
DECLARATIONS = {"register_menu_items": ("menu", "MENU"), "register_desks": ("menu", "DESKS"),
                "register_permissions": ("permissions", "PERMISSIONS"),
                "register_task_types": ("task_types", "TASK_TYPES"), "register_demo_data": ("demo", "load")}


@dataclass(frozen=True)
class PluginMeta:
    """What a plugin says about itself (its module's ``meta``)."""

    name: str
    version: str
    #: Core versions this plugin works with, as a PEP 440 specifier ("">=0.1,<1").
    core_requires: str = ""
    #: Names of plugins that must be loaded (and migrated) before this one.
    depends: tuple[str, ...] = ()
    #: A short description shown by ``frontdesk plugins``.
    description: str = ""


@dataclass
class LoadedPlugin:
    meta: PluginMeta
    module: ModuleType
    builtin: bool = False
    hooks: list[str] = field(default_factory=list)
    #: Modules holding the hook implementations, when not ``module`` alone (core: its
    #: ``DEFAULT_PLUGINS``, one per feature).
    hook_modules: tuple[ModuleType, ...] = ()

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def registrations(self) -> list[tuple[str, ModuleType]]:
        """``(pluggy name, module)`` per hook module: the plugin's name for a plugin of one
        module, the module's name for each of core's features."""
        if not self.hook_modules:
            return [(self.name, self.module)]
        return [(module.__name__, module) for module in self.hook_modules]

    @property
    def package_dir(self) -> Path | None:
        """The folder holding the plugin's module (None for a module built in memory)."""
        module_file = getattr(self.module, "__file__", None)
        return Path(module_file).resolve().parent if module_file else None

    @property
    def package(self) -> str:
        """The package holding the plugin (``core`` for ``core.builtin_plugin``)."""
        return self.module.__package__ or self.module.__name__

    def resource_dir(self, name: str) -> Path | None:
        """``templates``, ``static``, ``locale`` or ``migrations`` beside the module."""
        if self.package_dir is None:
            return None
        path = self.package_dir / name
        return path if path.is_dir() else None


async def await_me_maybe(value: Any) -> Any:
    """Hooks may be sync or async, or return a callable: resolve all three (as Datasette)."""
    if callable(value):
        value = value()
    if inspect.isawaitable(value):
        value = await value
    return value


class PluginHost:
    """The loaded plugins in load order, and helpers to call their hooks."""

    def __init__(self, plugins: list[LoadedPlugin], manager: pluggy.PluginManager):
        self.plugins = plugins
        self.manager = manager
        self.by_name = {plugin.name: plugin for plugin in plugins}
        self._discovered: dict[str, list[tuple[LoadedPlugin, list[Any]]]] = {}
        self._owned: dict[tuple[str, str, str], Any] = {}

    @property
    def names(self) -> list[str]:
        return [plugin.name for plugin in self.plugins]

    def _ordered_impls(self, hook_name: str):
        impls = {impl.plugin_name: impl for impl in getattr(self.manager.hook, hook_name).get_hookimpls()}
        for plugin in self.plugins:
            for registration, _module in plugin.registrations:
                if registration in impls:
                    yield plugin, impls[registration]

    def contributions(self, hook_name: str) -> list[tuple[LoadedPlugin, list[Any]]]:
        """What each plugin contributes to a hook the host also applies by convention
        (``CONVENTIONS``): found by convention first, then what the hook adds, without
        what the convention already gave (a plugin that still returns ``pages.routes()``
        from ``register_routes`` is not registered twice). One entry per plugin, in load
        order; plugins contributing nothing are left out."""
        if hook_name not in self._discovered:
            merged: dict[str, list[Any]] = {}
            for plugin in self.plugins:
                for _registration, module in plugin.registrations:
                    if hook_name in CONVENTIONS:
                        found = _by_convention(plugin, module, CONVENTIONS[hook_name])
                    else:
                        found = _declared(plugin, module, *DECLARATIONS[hook_name])
                    if found:
                        merged.setdefault(plugin.name, []).extend(found)
            for plugin, items in self.call_each(hook_name):
                merged.setdefault(plugin.name, []).extend([items] if hook_name == "register_demo_data" else items)
            self._discovered[hook_name] = [
                (self.by_name[name], _without_repeats(items)) for name, items in merged.items() if items
            ]
        return self._discovered[hook_name]

    def owned(self, plugin_name: str, module_name: str, attribute: str) -> Any:
        """``<package>.<module_name>.<attribute>`` of the plugin ``plugin_name``, or None.

        For what a plugin does for the things it owns, found under one name in every
        plugin: ``services.transition_guard`` for its task types, ``pages.task_panel`` for
        the records its tasks are about. Other plugins' say goes through the hooks."""
        key = (plugin_name, module_name, attribute)
        if key not in self._owned:
            plugin = self.by_name.get(plugin_name)
            found = None
            for _registration, module in plugin.registrations if plugin else ():
                name = _convention_module(module.__package__, module_name)
                if name is not None:
                    try:
                        found = getattr(importlib.import_module(name), attribute, None)
                    except Exception as error:  # any import-time failure is the plugin's, name it
                        raise StartupError(f"plugin {plugin_name}: failed to import {name}"
                                           f"{failing_line(error, plugin.package_dir)}: {error!r}") from error
                    if found is not None:
                        break
            self._owned[key] = found
        return self._owned[key]

    def call_each(self, hook_name: str, **kwargs: Any) -> list[tuple[LoadedPlugin, Any]]:
        """Call a hook on every plugin in load order; ``(plugin, result)`` for non-None results.

        pluggy itself calls implementations last-registered-first and stops at the first
        exception; start-up hooks need load order and to know which plugin answered.
        """
        results = []
        for plugin, impl in self._ordered_impls(hook_name):
            arguments = {name: kwargs[name] for name in impl.argnames}
            try:
                result = impl.function(**arguments)
            except StartupError:
                raise
            except Exception as error:
                raise StartupError(f"plugin {plugin.name}: hook {hook_name} failed"
                                   f"{failing_line(error, plugin.package_dir)}: {error!r}") from error
            if result is not None:
                results.append((plugin, result))
        return results

    def collect(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Flatten list results of a ``register_*`` hook, in load order (with what the
        plugins declare or hold by convention, for the hooks that have one)."""
        if hook_name in CONVENTIONS or hook_name in DECLARATIONS:
            return [item for _plugin, contributed in self.contributions(hook_name) for item in contributed]
        items: list[Any] = []
        for _plugin, result in self.call_each(hook_name, **kwargs):
            items.extend(result)
        return items

    async def ask(self, hook_name: str, *, fail_closed: bool = False, **kwargs: Any) -> list[tuple[LoadedPlugin, Any]]:
        """Call a per-request hook on every plugin (awaiting async ones); a failing plugin
        is logged and skipped, so it cannot break the request or the other plugins.

        ``fail_closed``: for hooks that are rules (guards), a failure is logged and then
        raised as ``HookFailed`` naming the plugin, so the caller refuses."""
        answers = []
        for plugin, impl in self._ordered_impls(hook_name):
            arguments = {name: kwargs[name] for name in impl.argnames}
            try:
                result = impl.function(**arguments)
                if inspect.isawaitable(result):
                    result = await result
            except Exception as error:
                if fail_closed:
                    log.exception("plugin %s: hook %s failed; refused", plugin.name, hook_name)
                    raise HookFailed(plugin.name, hook_name, answers) from error
                log.exception("plugin %s: hook %s failed; ignored", plugin.name, hook_name)
                continue
            if result is not None:
                answers.append((plugin, result))
        return answers

    async def notify(self, hook_name: str, **kwargs: Any) -> None:
        """Run an ``on_*`` hook: each implementation isolated, failures logged, never raised."""
        for plugin, impl in self._ordered_impls(hook_name):
            arguments = {name: kwargs[name] for name in impl.argnames}
            try:
                result = impl.function(**arguments)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("plugin %s: hook %s failed; other plugins still notified", plugin.name, hook_name)


def _convention_module(root: str | None, name: str) -> str | None:
    """``<root>.<name>`` when that module exists (without importing it)."""
    if not root:
        return None  # a module built in memory (tests) has no package to look in
    try:
        spec = importlib.util.find_spec(f"{root}.{name}")
    except (ImportError, ValueError):
        return None
    return spec.name if spec is not None else None


def _by_convention(plugin: LoadedPlugin, module: ModuleType, name: str) -> list[Any]:
    """Models module names, or the routes of ``<package>.<name>.routes()``."""
    found = _convention_module(module.__package__, name)
    if found is None:
        return []
    if name == "models":
        return [found]
    try:
        routes_module = importlib.import_module(found)
    except Exception as error:  # any import-time failure is the plugin's, name it
        raise StartupError(f"plugin {plugin.name}: failed to import {found}"
                           f"{failing_line(error, plugin.package_dir)}: {error!r}") from error
    routes = getattr(routes_module, "routes", None)
    if not callable(routes):
        raise StartupError(f"plugin {plugin.name}: {found} has no routes() (the host calls it by convention)")
    try:
        return list(routes())
    except StartupError:
        raise
    except Exception as error:
        raise StartupError(f"plugin {plugin.name}: {found}.routes() failed"
                           f"{failing_line(error, plugin.package_dir)}: {error!r}") from error


def _declared(plugin: LoadedPlugin, module: ModuleType, name: str, attribute: str) -> list[Any]:
    """What ``<package>.<name>.<attribute>`` declares (a list, or the demo loader)."""
    found = _convention_module(module.__package__, name)
    if found is None:
        return []
    try:
        declaring = importlib.import_module(found)
    except Exception as error:  # any import-time failure is the plugin's, name it
        raise StartupError(f"plugin {plugin.name}: failed to import {found}"
                           f"{failing_line(error, plugin.package_dir)}: {error!r}") from error
    value = getattr(declaring, attribute, None)
    if value is None:
        return []
    if callable(value):
        return [value]
    try:
        return list(value)
    except TypeError:
        raise StartupError(f"plugin {plugin.name}: {found}.{attribute} is not a list") from None


def _without_repeats(items: list[Any]) -> list[Any]:
    """First of each model module or route (same kind, path, methods and name), and of
    each declared object (the same object from the declaration and from a hook)."""
    seen: set[Any] = set()
    kept = []
    for item in items:
        if not isinstance(item, str) and not hasattr(item, "path"):
            key: Any = id(item)
        else:
            key = item if isinstance(item, str) else (
                type(item).__name__, getattr(item, "path", None),
                tuple(sorted(getattr(item, "methods", None) or ())), getattr(item, "name", None))
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def _new_manager() -> pluggy.PluginManager:
    from core import hookspecs

    manager = pluggy.PluginManager(ENTRY_POINT_GROUP)
    manager.add_hookspecs(hookspecs)
    return manager


def _refuse_unknown_hooks(manager: pluggy.PluginManager, owners: dict[str, str]) -> None:
    """A ``@hookimpl`` whose name is no hook (a typo) would never be called: refuse it with
    its file and line and the hook it was probably meant to be."""
    import difflib

    known = sorted(name for name, caller in vars(manager.hook).items()
                   if isinstance(caller, pluggy.HookCaller) and caller.spec is not None)
    for name, caller in sorted(vars(manager.hook).items()):
        if not isinstance(caller, pluggy.HookCaller) or caller.spec is not None:
            continue
        for impl in caller.get_hookimpls():
            if impl.optionalhook:
                continue
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else f"; hooks: {', '.join(known)}"
            where = ""
            try:
                where = f" at {_shown(inspect.getsourcefile(impl.function) or '?')}:" \
                        f"{inspect.getsourcelines(impl.function)[1]}"
            except (OSError, TypeError):
                pass
            raise StartupError(f"plugin {owners.get(impl.plugin_name, impl.plugin_name)}: {name}{where} "
                               f"is not a Frontdesk hook{hint}")


def discover_entry_points() -> dict[str, Any]:
    """Installed plugins by entry-point name (not imported yet)."""
    return {point.name: point for point in entry_points(group=ENTRY_POINT_GROUP)}


def _import_plugin(name: str, point: Any) -> ModuleType:
    try:
        module = point.load()
    except Exception as error:  # any import-time failure is the plugin's, name it
        raise StartupError(f"plugin {name}: failed to import {point.value}{failing_line(error)}: {error!r}") from error
    return module


def _meta_of(name: str, module: ModuleType) -> PluginMeta:
    meta = getattr(module, "meta", None)
    if not isinstance(meta, PluginMeta):
        raise StartupError(f"plugin {name}: module {module.__name__} has no `meta = PluginMeta(...)`")
    if meta.name != name:
        raise StartupError(f"plugin {name}: entry point name and meta.name ({meta.name!r}) differ")
    if not meta.name.isidentifier():
        raise StartupError(f"plugin {name}: name must be a Python identifier")
    return meta


def check_core_compatible(meta: PluginMeta, core_version: str) -> None:
    if not meta.core_requires:
        return
    try:
        specifier = SpecifierSet(meta.core_requires)
    except InvalidSpecifier:
        raise StartupError(
            f"plugin {meta.name}: core_requires {meta.core_requires!r} is not a version specifier"
        ) from None
    if Version(core_version) not in specifier:
        raise StartupError(
            f"plugin {meta.name} {meta.version} requires Frontdesk core {meta.core_requires}, "
            f"but this is core {core_version}"
        )


def order_by_dependencies(plugins: list[LoadedPlugin]) -> list[LoadedPlugin]:
    """Dependencies before dependants; otherwise keep the given (name) order."""
    by_name = {plugin.name: plugin for plugin in plugins}
    ordered: list[LoadedPlugin] = []
    visiting: set[str] = set()

    def visit(plugin: LoadedPlugin) -> None:
        if plugin in ordered:
            return
        if plugin.name in visiting:
            raise StartupError(f"plugin {plugin.name}: dependency cycle through {sorted(visiting)}")
        visiting.add(plugin.name)
        for dependency in plugin.meta.depends:
            if dependency not in by_name:
                raise StartupError(
                    f"plugin {plugin.name} depends on plugin {dependency!r}, which is not installed or is disabled"
                )
            visit(by_name[dependency])
        visiting.discard(plugin.name)
        ordered.append(plugin)

    for plugin in plugins:
        visit(plugin)
    return ordered


def assemble_host(
    core: LoadedPlugin,
    disabled: Iterable[str] = (),
    extra_modules: Iterable[ModuleType] = (),
    only: Iterable[str] | None = None,
) -> PluginHost:
    """Find, import, check and register plugins for one app, after ``core``.

    ``core`` is core's own plugin (``core.plugins.load_plugins`` builds it from
    ``DEFAULT_PLUGINS``); ``extra_modules`` registers plugin modules that are not
    installed (the test kit uses it to add a plugin for one test); ``only`` restricts the
    installed ones by name.
    """
    from core import __version__ as core_version

    installed = discover_entry_points()
    disabled = set(disabled)
    for name in sorted(disabled - set(installed)):
        raise StartupError(f"config: disabled_plugins: no installed plugin is named {name!r} "
                           f"(installed: {', '.join(sorted(installed)) or 'none'})")
    wanted = sorted(set(installed) if only is None else set(only))
    for name in wanted:
        if name not in installed:
            raise StartupError(f"plugin {name}: not installed")

    candidates: list[LoadedPlugin] = []
    for name in wanted:
        if name in disabled:
            continue
        point = installed[name]
        module = _import_plugin(name, point)
        builtin = module.__name__.startswith("plugins.")
        candidates.append(LoadedPlugin(meta=_meta_of(name, module), module=module, builtin=builtin))
    for module in extra_modules:
        meta = _meta_of(getattr(getattr(module, "meta", None), "name", module.__name__), module)
        candidates.append(LoadedPlugin(meta=meta, module=module))

    for plugin in candidates:
        check_core_compatible(plugin.meta, core_version)
    ordered = order_by_dependencies(candidates)

    manager = _new_manager()
    loaded = [core, *ordered]
    owners: dict[str, str] = {}
    for plugin in loaded:
        for registration, module in plugin.registrations:
            owners[registration] = plugin.name
            try:
                manager.register(module, name=registration)
            except Exception as error:  # pluggy raises ValueError/PluginValidationError
                raise StartupError(f"plugin {plugin.name}: cannot be registered: {error}") from error
    _refuse_unknown_hooks(manager, owners)
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        # pluggy names the module; say the plugin's name, as every other start-up error does.
        name = owners.get(manager.get_name(error.plugin), "?") if error.plugin is not None else "?"
        raise StartupError(f"plugin {name}: {error}") from error
    for plugin in loaded:
        hooks = {caller.name for _name, module in plugin.registrations
                 for caller in manager.get_hookcallers(module) or []}
        # What the convention finds counts as the hook it stands for (``frontdesk plugins``).
        hooks |= {hook for hook, name in CONVENTIONS.items()
                  if any(_convention_module(module.__package__, name) for _r, module in plugin.registrations)}
        hooks |= {hook for hook, (name, attribute) in DECLARATIONS.items()
                  if any(_declared(plugin, module, name, attribute) for _r, module in plugin.registrations)}
        plugin.hooks = sorted(hooks)
    return PluginHost(loaded, manager)
