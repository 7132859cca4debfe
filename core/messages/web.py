"""Page helpers of the outbox: a record's message history for any plugin's page, and the
bell's unread count on every page.

A plugin page shows the messages about its record in two lines::

    context = {..., **await history_context(request, ("resident", "case", case.id))}
    {% include "core/messages/_history.html" %}

The include lists channel, status, when it was sent and delivered (site-local), the
reason of a failure and the address masked, and refreshes itself on ``message.status``
events about that record (``messages.js``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from core.clock import local_time
from core.entities.privacy import mask_email, mask_phone
from core.messages import services
from core.messages.models import Message

#: The theme's status pills (``.status-*``) a message status is shown with.
STATUS_CLASSES = {"queued": "waiting", "sending": "in_progress", "sent": "open", "delivered": "resolved",
                  "failed": "overdue", "suppressed": "closed", "cancelled": "cancelled"}


def masked(address: str) -> str:
    if not address:
        return ""
    return mask_email(address) if "@" in address else mask_phone(address)


def history_row(site, message) -> dict[str, Any]:
    out = services.message_out(message)
    channel = services.registry().channels.get(message.channel)
    return {
        "id": message.id, "status": message.status, "status_label": out["status_label"],
        "status_class": STATUS_CLASSES.get(message.status, "closed"),
        "channel": message.channel, "channel_label": str(channel.label) if channel is not None else message.channel,
        "address": masked(message.address), "reason": out["reason"] if message.status in ("failed", "suppressed")
        else "", "created_at": local_time(site, message.created_at), "sent_at": local_time(site, message.sent_at),
        "delivered_at": local_time(site, message.delivered_at),
    }


async def history_context(request: Request, about: Any, *, limit: int = 50) -> dict[str, Any]:
    """What ``core/messages/_history.html`` needs about the record ``about`` (a ``Subject``
    or ``(plugin, kind, id)``) of the request's site."""
    site = request.state.site
    plugin, kind, record_id = about if isinstance(about, tuple) else (about.plugin, about.kind, about.id)
    rows = [message for message in await services.history(about, limit=limit) if message.site_id == site.id]
    return {"message_history": [history_row(site, message) for message in rows],
            "message_history_subject": f"{plugin}.{kind}:{record_id}", "message_history_site": site.code}


#: ``services.unread_count`` for every user and site, as one SQL text per database: the
#: bell asks on every page, and building the query through the ORM cost more than running
#: it (``tests/core/messages/test_bell.py`` measures the page with and without it).
_UNREAD_SQL = ("SELECT COUNT(*) FROM core_message WHERE user_id = {mark} AND channel = 'in_app' "
               "AND status IN ('sent', 'delivered') AND read_at IS NULL")


async def unread_notices(user_id: int) -> int:
    db = Message._meta.db
    sql = _UNREAD_SQL.format(mark="$1" if db.capabilities.dialect == "postgres" else "?")
    _count, rows = await db.execute_query(sql, [user_id])
    return int(rows[0][0]) if rows else 0


async def bell(request: Request) -> None:
    """The signed-in user's unread in-app notices, counted once per page (one COUNT on the
    indexed user/channel/read_at columns) for the bell in the base layout."""
    user = getattr(request.state, "user", None)
    if user is not None:
        request.state.unread_notices = await unread_notices(user.id)


def install_bell(app) -> None:
    """Count the bell on every page (``core.web.routing.page_route`` runs the app's
    ``page_preparers`` before a page's handler)."""
    preparers = tuple(getattr(app.state, "page_preparers", ()))
    if bell not in preparers:
        app.state.page_preparers = (*preparers, bell)
