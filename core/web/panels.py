"""Panels plugins add to named core pages (the ``page_panels`` hook).

A plugin returns a ``Panel`` (or a list of them) for a page core names: ``"my_work"``
(a staff member's home) and ``"handovers"``. Core renders each panel's template here, on
its own, with the page's context, the panel's ``context`` (its keys as variables) and
``panel`` itself: a panel whose hook or template fails is logged and left out, and the
page still shows, as the task page treats ``SubjectPanel`` (``core.tasks.types``).

``SubjectPanel`` stays its own class: it is about one record (its title links to the
record, its template reads ``subject``) and plugins already build it positionally.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from starlette.requests import Request

from core.plugin_host import await_me_maybe
from core.web.context import template_context

log = logging.getLogger("frontdesk.panels")

#: The core pages that show plugins' panels.
PAGES = ("my_work", "handovers")


@dataclass(frozen=True)
class Panel:
    """A section a plugin adds to a core page."""

    #: The heading (a translated string).
    title: Any
    #: A template of the plugin (``rostering/panels/on_duty.html``).
    template: str
    #: Variables for the template, beside the page's own (``site``, ``user``, ``csrf_token``).
    context: dict[str, Any] = field(default_factory=dict)
    #: Where the heading links to (the plugin's own page); none when empty.
    url: str = ""


@dataclass(frozen=True)
class ShownPanel:
    """A panel rendered for the page: its heading, link and HTML."""

    title: Any
    url: str
    html: Markup


def _panels_of(answer: Any) -> list[Panel]:
    items = answer if isinstance(answer, (list, tuple)) else [answer]
    return [item for item in items if isinstance(item, Panel)]


async def page_panels(request: Request, page: str) -> list[Panel]:
    """The panels every plugin adds to ``page``, in plugin load order. A plugin whose hook
    raises is logged and left out (``PluginHost.ask``)."""
    host = request.app.state.host
    panels: list[Panel] = []
    for plugin, answer in await host.ask("page_panels", page=page, request=request):
        try:  # ``ask`` awaited a coroutine already; a callable answer is resolved here
            answer = await await_me_maybe(answer) if callable(answer) else answer
        except Exception:
            log.exception("plugin %s: page_panels failed; left out", plugin.name)
            continue
        found = _panels_of(answer)
        if answer is not None and not found:
            log.error("plugin %s: page_panels answered %r, not a Panel; left out", plugin.name, answer)
        panels.extend(found)
    return panels


async def shown_panels(request: Request, page: str, context: dict[str, Any]) -> list[ShownPanel]:
    """``page_panels`` rendered with the page's ``context``: one that fails to render is
    logged and left out."""
    panels = await page_panels(request, page)
    if not panels:
        return []
    environment = request.app.state.templates.env
    base = {**template_context(request), **context, "request": request}
    shown = []
    for panel in panels:
        try:
            html = environment.get_template(panel.template).render({**base, **panel.context, "panel": panel})
        except Exception:
            log.exception("panel %r (%s) on %s failed to render; left out", panel.title, panel.template, page)
            continue
        # The environment autoescapes (``core.web.templating``): the HTML is safe as rendered.
        shown.append(ShownPanel(title=panel.title, url=panel.url, html=Markup(html)))  # noqa: S704
    return shown
