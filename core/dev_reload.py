"""``frontdesk serve --reload``: what uvicorn's reloader watches while a plugin is written.

uvicorn restarts the server process when a watched file changes, and rebuilds the app
from the import string ``core.app:create_app`` (a factory), so plugins are discovered and
imported afresh: a new route, a changed model's code, a new catalogue. It watches core,
the themes, the built-in plugins and the folder of every loaded plugin, wherever it is
installed (an editable install outside this project included). Templates are watched too:
the change is then seen even where Jinja's own check of a template's age would not be
(a base template a cached one extends, a macro imported elsewhere).
"""

from __future__ import annotations

from pathlib import Path

from core.plugin_host import PluginHost
from core.settings import PROJECT_ROOT

#: Files whose change restarts the server: code, templates, compiled catalogues, settings.
INCLUDES = ("*.py", "*.html", "*.mo", "*.toml")
#: Never watched: caches and the plugin's own tests (they do not change what the server runs).
EXCLUDES = ("*.pyc", "__pycache__", ".*", "*/tests/*")


def watched_dirs(host: PluginHost) -> list[str]:
    """Core, themes, the built-in plugins and each loaded plugin's package folder, once each
    and without a folder inside another (uvicorn would see each change twice)."""
    candidates = [PROJECT_ROOT / "core", PROJECT_ROOT / "themes", PROJECT_ROOT / "plugins"]
    candidates += [plugin.package_dir for plugin in host.plugins if plugin.package_dir is not None]
    folders: list[Path] = []
    for folder in sorted({path.resolve() for path in candidates if path.is_dir()}, key=lambda p: len(p.parts)):
        if not any(folder.is_relative_to(kept) for kept in folders):
            folders.append(folder)
    return [str(folder) for folder in folders]


def reload_options(host: PluginHost) -> dict:
    """Keyword arguments for ``uvicorn.run`` that turn the reloader on."""
    return {"reload": True, "reload_dirs": watched_dirs(host), "reload_includes": list(INCLUDES),
            "reload_excludes": list(EXCLUDES)}
