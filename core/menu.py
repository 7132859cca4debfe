"""Navigation: entries contributed by plugins (``register_menu_items``) and the desks they
belong to (``register_desks``).

A desk is a plugin's area of work at a site (the hotel's rooms, the cashier's register):
it says which kinds of site it serves, and where each kind of person starts their day in
it. The navigation shows one group per desk a site has, and ``/`` sends each person to
their desk's home (see ``core.desks``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Entries of core from this order on are administration (users, roles, the audit log,
#: site settings): the navigation shows them in a group of their own, last.
ADMIN_ORDER = 900


@dataclass(frozen=True)
class MenuItem:
    #: Shown text; use ``core.i18n.lazy_gettext`` so it follows the reader's language.
    label: Any
    #: Absolute URL, or a pattern with ``{site}`` filled with the current site's code.
    url: str
    #: Permission needed to see the entry; ``core.permissions.PUBLIC`` for everyone.
    permission: str
    #: Lower numbers first.
    order: int = 100

    def url_for_site(self, site_code: str | None) -> str | None:
        if "{site}" not in self.url:
            return self.url
        return self.url.replace("{site}", site_code) if site_code else None


@dataclass(frozen=True)
class DeskHome:
    """Where a person holding ``permission`` starts at the desk (``{site}`` filled in)."""

    permission: str
    url: str


@dataclass(frozen=True)
class Desk:
    """A plugin's desk: its pages are ``/sites/{site}/<key>/...``, and so are its menu entries.

    ``key`` is the plugin's URL namespace (normally its name). ``site_kinds`` are the kinds
    of site (``core.entities.models.SITE_KINDS``) where the desk is on unless an
    administrator says otherwise; empty means every kind. ``homes`` are tried in order:
    the first whose permission a person holds at the site is where ``/`` sends them, so
    put the narrower work first (a supervisor's board before an attendant's sheet).
    """

    key: str
    label: Any
    site_kinds: tuple[str, ...] = ()
    homes: tuple[DeskHome, ...] = ()
    #: Lower numbers first, in the navigation and when choosing a person's home.
    order: int = 100

    @property
    def path_prefix(self) -> str:
        return f"/sites/{{site}}/{self.key}/"

    def serves(self, site_kind: str) -> bool:
        return not self.site_kinds or site_kind in self.site_kinds
