"""In-app notices: the bell on every page, live over the event stream.

A notice is a message like any other (queued in the change's transaction, retried,
logged); "sending" it publishes it to its one recipient's live stream, and the row itself
is the bell's content (read and unread). It needs no address and quiet hours do not hold
it back: it rings nobody's phone.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from core.events import ONLY_NAMED_USERS, LiveEvent
from core.i18n import lazy_gettext as _l
from core.messages.channels import DeliveryFailed, Outgoing, Sent


class InAppChannel:
    name = "in_app"
    label = _l("In-app notice")
    respects_quiet_hours = False

    def address_of(self, party: Any = None, user: Any = None) -> str:
        return ""

    def normalise_address(self, value: str) -> str:
        return ""

    @asynccontextmanager
    async def connect(self, app: Any):
        yield _Bell(app.state.events)


class _Bell:
    def __init__(self, bus) -> None:
        self.bus = bus

    async def send(self, message: Outgoing) -> Sent:
        if message.user_id is None:
            raise DeliveryFailed("an in-app notice needs a user", permanent=True)
        await self.bus.publish(LiveEvent(
            site_id=message.site_id, name="notification", permission=ONLY_NAMED_USERS, users=(message.user_id,),
            data={"id": message.message_id, "subject": message.subject, "body": message.body}))
        return Sent(delivered=True)
