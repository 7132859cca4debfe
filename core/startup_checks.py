"""The start-up validation pass: one list of problems, used by ``serve`` (``create_app``)
and ``frontdesk check``.

Each check returns every problem it finds, one line each naming the plugin and the fix,
so ``check`` can print them all at once and ``create_app`` refuses to build with the same
lines. The mistakes caught here all start fine and fail later, for someone else: a route's
permission with a typo answers 403 to everyone, a menu item naming an unknown permission
is hidden, a default grant to a role that does not exist is ignored, a hook without
``@hookimpl`` is never called, a ``tryfirst`` the host's loops do not honour.
"""

from __future__ import annotations

import difflib
import inspect
from pathlib import Path
from typing import Any, Callable

from core.errors import StartupError
from core.identity.services import BUILTIN_ROLES
from core.permissions import AUTHENTICATED, PUBLIC
from core.plugin_host import CORE_NAME, ENTRY_POINT_GROUP, LoadedPlugin, PluginHost

#: Core's templates, which a plugin may not replace (docs/plugins.md, "Templates"): the look
#: of core's pages is the theme's to change, a plugin adds to them through panels. A
#: replaced template would silently change every page that includes it, for every plugin.
CORE_TEMPLATE_ROOT = Path(__file__).resolve().parent / "templates"
#: pluggy options the host's loops (``PluginHost.call_each``, ``ask``, ``notify``) do not
#: honour: they call every plugin in load order, so these would be silently ignored.
UNSUPPORTED_HOOK_OPTIONS = ("tryfirst", "trylast", "hookwrapper", "wrapper")


class StartupProblems(StartupError):
    """Every problem of the validation pass; ``str()`` is one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _where(function: Any) -> str:
    """``file:line`` of a function, relative to the working folder when inside it."""
    try:
        path = Path(inspect.getsourcefile(function) or "?").resolve()
        line = inspect.getsourcelines(function)[1]
    except (OSError, TypeError):
        return getattr(function, "__qualname__", "?")
    try:
        path = path.relative_to(Path.cwd())
    except ValueError:
        pass
    return f"{path}:{line}"


def _plugins(host: PluginHost) -> list[LoadedPlugin]:
    """The plugins the rules of namespaces apply to (core names its own things)."""
    return [plugin for plugin in host.plugins if plugin.name != CORE_NAME]


def _walk_routes(routes: list[Any]):
    for route in routes:
        yield route
        yield from _walk_routes(list(getattr(route, "routes", None) or []))


def _declared_permissions(host: PluginHost) -> set[str]:
    return {permission.name for permission in host.collect("register_permissions")}


def _suggest(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.7)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_permissions(host: PluginHost) -> list[str]:
    """Routes and menu items naming a permission no plugin declares."""
    known = _declared_permissions(host)
    allowed = known | {PUBLIC, AUTHENTICATED}
    problems = []
    for hook in ("register_api_routes", "register_routes"):
        for plugin, routes in host.contributions(hook):
            for route in _walk_routes(routes):
                permission = getattr(route, "permission", None)
                if isinstance(permission, str) and permission not in allowed:
                    problems.append(f"plugin {plugin.name}: route {route.path} needs the unknown permission "
                                    f"{permission!r}{_suggest(permission, known)}; no one could open it")
    for plugin, items in host.contributions("register_menu_items"):
        for item in items:
            if item.permission not in allowed:
                problems.append(f"plugin {plugin.name}: menu item {item.url} needs the unknown permission "
                                f"{item.permission!r}{_suggest(item.permission, known)}; it would never show")
    return problems


def unknown_default_roles(host: PluginHost) -> list[str]:
    """Default grants to a role name that is not built in (it would be silently ignored)."""
    problems = []
    for plugin, permissions in host.contributions("register_permissions"):
        for permission in permissions:
            for role in permission.default_roles:
                if role not in BUILTIN_ROLES:
                    problems.append(f"plugin {plugin.name}: permission {permission.name} is granted by default to "
                                    f"the unknown role {role!r}{_suggest(role, set(BUILTIN_ROLES))}; "
                                    f"built-in roles: {', '.join(BUILTIN_ROLES)}")
    return problems


def outside_namespace(host: PluginHost) -> list[str]:
    """Permissions, task types and templates of a plugin must start with its name."""
    problems = []
    plugins = {plugin.name for plugin in _plugins(host)}
    for hook, what in (("register_permissions", "permission"), ("register_task_types", "task type")):
        for plugin, items in host.contributions(hook):
            if plugin.name not in plugins:
                continue
            for item in items:
                if not item.name.startswith(f"{plugin.name}."):
                    problems.append(f"plugin {plugin.name}: the {what} {item.name} is outside the plugin's namespace; "
                                    f"name it {plugin.name}.<...>")
    for plugin, name in _templates(host):
        if (CORE_TEMPLATE_ROOT / name).is_file():
            problems.append(f"plugin {plugin.name}: templates/{name} would replace core's template {name}; "
                            f"plugins may not override core templates (the theme changes core's look, "
                            f"page_panels add to core's pages): move it to templates/{plugin.name}/")
        elif not name.startswith(f"{plugin.name}/"):
            problems.append(f"plugin {plugin.name}: templates/{name} is outside the plugin's namespace; "
                            f"move it to templates/{plugin.name}/{name}")
    return problems


def _templates(host: PluginHost):
    """``(plugin, name)`` of every template file a plugin ships."""
    for plugin in _plugins(host):
        if (templates := plugin.resource_dir("templates")) is not None:
            for path in sorted(templates.rglob("*.html")):
                yield plugin, path.relative_to(templates).as_posix()



def _hook_names(host: PluginHost) -> list[str]:
    return sorted(name for name in dir(host.manager.hook) if not name.startswith("_"))


def hooks_without_hookimpl(host: PluginHost) -> list[str]:
    """Functions in a plugin's hook module named like a hook (or nearly) that lack
    ``@hookimpl``: pluggy never calls them, and nothing else would say so."""
    hooks = _hook_names(host)
    marker = f"{ENTRY_POINT_GROUP}_impl"
    problems = []
    for plugin in _plugins(host):
        for _registration, module in plugin.registrations:
            for name, function in sorted(vars(module).items()):
                if name.startswith("_") or not inspect.isfunction(function) or hasattr(function, marker):
                    continue
                if getattr(function, "__module__", None) != module.__name__:
                    continue  # imported helpers are not the plugin's hooks
                if name in hooks:
                    problems.append(f"plugin {plugin.name}: {name} at {_where(function)} is a hook without "
                                    f"@hookimpl, so it is never called; add @hookimpl")
                elif close := difflib.get_close_matches(name, hooks, n=1, cutoff=0.85):
                    problems.append(f"plugin {plugin.name}: {name} at {_where(function)} looks like a hook; "
                                    f"did you mean {close[0]}? (and add @hookimpl)")
    return problems


def unsupported_hook_options(host: PluginHost) -> list[str]:
    """``tryfirst``/``trylast``/wrappers: core calls hooks in load order (dependencies
    first), so refuse them rather than ignore them."""
    problems = []
    for plugin in _plugins(host):
        registrations = {registration for registration, _module in plugin.registrations}
        for caller in host.manager.hook.__dict__.values():
            if not hasattr(caller, "get_hookimpls"):
                continue
            for impl in caller.get_hookimpls():
                if impl.plugin_name not in registrations:
                    continue
                used = [option for option in UNSUPPORTED_HOOK_OPTIONS if getattr(impl, option, False)]
                if used:
                    problems.append(f"plugin {plugin.name}: {caller.name} at {_where(impl.function)} uses "
                                    f"{', '.join(used)}, which Frontdesk does not support (hooks run in load order: "
                                    f"use meta.depends to run after another plugin); remove it")
    return problems


CHECKS: tuple[Callable[[PluginHost], list[str]], ...] = (
    unknown_permissions, unknown_default_roles, outside_namespace, hooks_without_hookimpl,
)


def startup_problems(host: PluginHost) -> list[str]:
    """Every problem of every check (a check that itself fails is one problem, not the end)."""
    if problems := unsupported_hook_options(host):
        return problems  # such hooks cannot be called as the other checks would call them
    for check in CHECKS:
        try:
            problems.extend(check(host))
        except StartupError as error:
            problems.append(str(error))
    return problems


def validate(host: PluginHost) -> None:
    """Refuse to start with every problem found, one line each."""
    if problems := startup_problems(host):
        raise StartupProblems(problems)
