"""Navigation entries contributed by plugins (``register_menu_items``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
