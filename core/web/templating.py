"""Templates and static files: selected theme, then plugins, then core.

Lookup order for ``"hotel/board.html"``: the selected theme, the default theme, each
plugin's ``templates/`` in load order, core's ``templates/``. Every source is also
reachable by a prefix (``"default:base.html"``, ``"core:core/home.html"``,
``"hotel:hotel/board.html"``, ``"theme:base.html"``), so an override can extend the
template it replaces and call ``super()`` (the pattern Datasette uses).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from core import i18n
from core.clock import rfc3339
from core.errors import StartupError
from core.plugin_host import PluginHost
from core.resources import data_dir

# themes/ of the checkout, or the copy an installed wheel carries (core.resources).
THEMES_DIR = data_dir("themes")
DEFAULT_THEME = "default"
CORE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def render(request: Request, template: str, context: dict | None = None, status_code: int = 200) -> Response:
    """A page: ``template`` rendered with ``context`` by the app's template environment."""
    return request.app.state.templates.TemplateResponse(request, template, context or {}, status_code=status_code)


def theme_chain(theme: str) -> list[Path]:
    """The selected theme's folder, then the default theme's (its fallback)."""
    selected = THEMES_DIR / theme
    if not selected.is_dir():
        available = ", ".join(sorted(p.name for p in THEMES_DIR.iterdir() if p.is_dir())) if THEMES_DIR.is_dir() else "none"
        raise StartupError(f"config: theme: no theme named {theme!r} in {THEMES_DIR} (available: {available})")
    chain = [selected]
    if theme != DEFAULT_THEME:
        chain.append(THEMES_DIR / DEFAULT_THEME)
    return chain


def build_loader(theme: str, host: PluginHost) -> jinja2.BaseLoader:
    themes = theme_chain(theme)
    theme_loaders = [jinja2.FileSystemLoader(str(path / "templates")) for path in themes]
    plugin_loaders = {
        plugin.name: jinja2.FileSystemLoader(str(templates))
        for plugin in host.plugins
        if plugin.name != "core" and (templates := plugin.resource_dir("templates"))
    }
    core_loader = jinja2.FileSystemLoader(str(CORE_TEMPLATES))
    prefixed = jinja2.PrefixLoader(
        {
            "theme": theme_loaders[0],
            DEFAULT_THEME: theme_loaders[-1],
            "core": core_loader,
            **plugin_loaders,
        },
        delimiter=":",
    )
    return jinja2.ChoiceLoader([*theme_loaders, *plugin_loaders.values(), core_loader, prefixed])


def build_templates(theme: str, host: PluginHost) -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=build_loader(theme, host),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # gettext resolves the language of the current request through a context variable.
    environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    environment.globals["LANGUAGES"] = i18n.LANGUAGE_NAMES
    install_filters(environment)
    from core.web.context import template_context

    return Jinja2Templates(env=environment, context_processors=[template_context])


def install_filters(environment: jinja2.Environment) -> None:
    """The filters every page uses for times and codes (and nothing else should)."""
    environment.filters["local"] = local_time_tag
    environment.filters["local_date"] = local_date_tag
    environment.filters["label"] = i18n.code_label


# --- Times on pages -------------------------------------------------------------------
#
# One way every page shows an instant: on the site's clock, with the UTC instant in
# ``datetime`` (for scripts and screen readers) and the zone on hover, so 16:40 in Taipei
# never reads 08:40 and a manager looking at two sites knows which clock a time is on.


def _moment(value) -> dt.datetime | None:
    if not value:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)  # stored times are UTC
    return value if isinstance(value, dt.datetime) else None


def _zone_title(local: dt.datetime) -> str:
    offset = local.utcoffset() or dt.timedelta()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{local.tzinfo} (UTC{sign}{hours}{f':{rest:02d}' if rest else ''})"


def _time_tag(value, site, pattern: str) -> Markup | str:
    moment = _moment(value)
    if moment is None:
        return "" if not value else str(value)
    zone = ZoneInfo(getattr(site, "timezone", None) or "UTC") if site is not None else dt.timezone.utc
    local = moment.astimezone(zone)
    # No site (a page across sites: the audit log): UTC, and the text says so.
    shown = local.strftime(pattern) + ("" if site is not None else " UTC")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(rfc3339(moment), _zone_title(local), shown)


PARTS = {"datetime": "%Y-%m-%d %H:%M", "date": "%Y-%m-%d", "time": "%H:%M"}


def local_time_tag(value, site=None, part: str = "datetime") -> Markup | str:
    """``{{ task.updated_at|local(site) }}``: ``<time datetime="2026-12-01T08:40:00Z"
    title="Asia/Taipei (UTC+8)">2026-12-01 16:40</time>``. Takes a datetime or the API's
    RFC 3339 text; nothing gives ``""``. ``part``: ``"date"`` or ``"time"`` (16:40) alone."""
    return _time_tag(value, site, PARTS[part])


def local_date_tag(value, site=None) -> Markup | str:
    """``{{ stay.checked_in_at|local_date(site) }}``: the site's calendar day of an instant."""
    return _time_tag(value, site, PARTS["date"])


class ThemeStaticFiles(StaticFiles):
    """Static files of the selected theme, falling back to the default theme's."""

    def __init__(self, theme: str):
        directories = [path / "static" for path in theme_chain(theme) if (path / "static").is_dir()]
        super().__init__(directory=directories[0] if directories else None, check_dir=False)
        self.all_directories = directories
