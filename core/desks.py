"""Desks at a site: which plugins' desks a site uses, and where each person starts.

Plugins declare their desks (``core.menu.Desk``: ``<package>.menu.DESKS`` or the
``register_desks`` hook) with the kinds of site they serve. A desk is on at a site of one
of those kinds and off elsewhere, unless the site's administrator says otherwise: the
settings group ``desks`` (one key per desk: ``auto``, ``on`` or ``off``), changed through
``core.site_settings.change`` like every site setting (validated, versioned, audited; the
page ``/sites/{site}/settings``, the API and ``frontdesk site settings``).

At a site where a desk is off, its menu entries are not shown and its pages
(``/sites/{site}/<desk>/...``) answer 404 saying the desk is not in use there. Its API
stays as it is: integrations and imports keep working while people do not see the desk.
"""

from __future__ import annotations

import weakref
from typing import Any, Literal

from pydantic import Field, create_model

from core.i18n import N_
from core.i18n import gettext as _
from core.menu import Desk
from core.problems import Problem
from core.site_settings import SettingGroup, SettingsModel, effective

HOOK = "register_desks"
GROUP_KEY = "desks"
#: What an administrator chooses per desk: as the site's kind says, always on, always off.
CHOICES = ("auto", "on", "off")
CHOICE_LABELS = {"auto": N_("As the site's kind says"), "on": N_("On"), "off": N_("Off")}

_by_host: "weakref.WeakKeyDictionary[Any, tuple[list[Desk], SettingGroup | None]]" = weakref.WeakKeyDictionary()


def _msgid(label: Any) -> str:
    """A lazy label's msgid (a pydantic title must be a plain string, translated where shown)."""
    args = getattr(label, "_args", None)
    return str(args[0]) if args else str(label)


def _load(host) -> tuple[list[Desk], SettingGroup | None]:
    if host not in _by_host:
        found = sorted(host.collect(HOOK), key=lambda desk: desk.order)
        keys = [desk.key for desk in found]
        # A key is a URL segment and a settings key: a plain identifier, one desk each.
        bad = sorted({key for key in keys if not key.isidentifier() or keys.count(key) > 1})
        if bad:
            from core.errors import StartupError

            raise StartupError(f"desks: each desk needs its own key, a Python identifier: {bad}")
        group = None
        if found:
            fields = {desk.key: (Literal[CHOICES], Field("auto", title=_msgid(desk.label),  # type: ignore[valid-type]
                                                         json_schema_extra={"choices": CHOICE_LABELS}))
                      for desk in found}
            model = create_model("DeskSettings", __base__=SettingsModel, **fields)  # type: ignore[call-overload]
            model.__doc__ = "Which desks the site uses: auto (as its kind says), on or off."
            group = SettingGroup(GROUP_KEY, N_("Desks"), model)
        _by_host[host] = (found, group)
    return _by_host[host]


def declared(host) -> list[Desk]:
    """Every desk the loaded plugins declare, by ``order``."""
    return _load(host)[0]


def by_key(host) -> dict[str, Desk]:
    return {desk.key: desk for desk in declared(host)}


def settings_group(host) -> SettingGroup | None:
    """The ``desks`` settings group (None when no plugin declares a desk)."""
    return _load(host)[1]


def choice(site: Any, desk: Desk, host) -> str:
    """``auto``, ``on`` or ``off``: what the site's administrator chose for ``desk``."""
    group = settings_group(host)
    return getattr(effective(site, group), desk.key) if group is not None else "auto"


def is_enabled(site: Any, desk: Desk, host) -> bool:
    """Whether ``site`` uses ``desk``: the administrator's choice, else the site's kind."""
    chosen = choice(site, desk, host)
    if chosen != "auto":
        return chosen == "on"
    return desk.serves(getattr(site, "kind", ""))


def enabled(site: Any, host) -> list[Desk]:
    """The desks ``site`` uses, by ``order``."""
    return [desk for desk in declared(host) if is_enabled(site, desk, host)]


def desk_of_path(path: str, host) -> Desk | None:
    """The desk owning a page path or route pattern (``/sites/<code or {site}>/<key>/...``)."""
    parts = path.split("/")
    if len(parts) > 3 and parts[1] == "sites":
        return by_key(host).get(parts[3])
    return None


def refuse_if_off(site: Any, route_path: str, host) -> None:
    """404 for a page of a desk ``site`` does not use: said plainly, like a page not there."""
    desk = desk_of_path(route_path, host)
    if desk is not None and site is not None and not is_enabled(site, desk, host):
        raise Problem(404, _("This page belongs to %(desk)s, which %(site)s does not use.", desk=str(desk.label),
                             site=getattr(site, "name", "") or getattr(site, "code", "")))


def explain(site: Any, host, fields: list[dict[str, Any]]) -> None:
    """Beside each desk on the settings page: the kinds of site it serves and whether this
    site uses it now (what ``auto`` means here)."""
    from core.entities.labels import SITE_KIND_LABELS

    for field in fields:
        desk = by_key(host).get(field["name"].split(".", 1)[-1])
        if desk is None:
            continue
        kinds = ", ".join(str(SITE_KIND_LABELS.get(kind, kind)) for kind in desk.site_kinds)
        serves = (_("On by default at: %(kinds)s.", kinds=kinds) if kinds
                  else _("On by default at every kind of site."))
        now = _("In use here now.") if is_enabled(site, desk, host) else _("Not in use here now.")
        field["help"] = f"{serves} {now}"


def home_url(site: Any, permissions: Any, host) -> str | None:
    """Where a person holding ``permissions`` at ``site`` starts: the first home, of the
    desks the site uses in their order, whose permission they hold; None when none."""
    for desk in enabled(site, host):
        for home in desk.homes:
            if home.permission in permissions:
                return home.url.replace("{site}", site.code)
    return None
