"""The channel contract: how a message leaves Frontdesk (``register_channels``).

A channel is an object with a name, a label and three duties: find a recipient's address,
check an address someone typed, and open a connection through which the delivery worker
sends a batch (one SMTP session or HTTP client per batch, not per message: that is what
lets one worker deliver hundreds of e-mails a second). Built in: ``email`` (SMTP),
``sms`` (an HTTP gateway) and ``in_app`` (the bell); a plugin adds e.g. LINE or WeChat
by returning another object of this shape.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Outgoing:
    """One message as a channel sees it: already rendered, its address fixed."""

    message_id: int
    site_id: int
    site_code: str
    address: str
    subject: str
    body: str
    language: str
    #: The recipient user (in-app notices), else None.
    user_id: int | None = None
    #: What the message is about, for the channel's own headers (subject_plugin.kind:id).
    reference: str = ""


@dataclass(frozen=True)
class Sent:
    """What a channel reports of a message it handed on."""

    #: The provider's id of the message, which its delivery reports name.
    provider_id: str = ""
    #: The channel knows it arrived (in-app: written to the bell), not only accepted.
    delivered: bool = False


class DeliveryFailed(Exception):
    """Sending one message failed. ``permanent``: trying again cannot help (an address the
    server refuses), so the message fails at once instead of being retried."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Sender(Protocol):
    async def send(self, message: Outgoing) -> Sent:
        """Send one message; raise ``DeliveryFailed`` (or anything: a passing failure)."""


@runtime_checkable
class Channel(Protocol):
    #: Stored on every message: email, sms, in_app.
    name: str
    #: Shown to people (a lazy msgid).
    label: Any
    #: Whether the site's quiet hours hold it back (an in-app notice does not wake anyone).
    respects_quiet_hours: bool

    def address_of(self, party: Any = None, user: Any = None) -> str:
        """The address to use for a party (``core.entities.models.Party``) or a user, or
        "" when they have none on this channel."""

    def normalise_address(self, value: str) -> str:
        """``value`` as stored and sent, or ``ValueError`` with a translated message saying
        what is wrong with it (the API answers 422 naming the field)."""

    def connect(self, app: Any) -> AbstractAsyncContextManager[Sender]:
        """A connection for one batch: ``async with channel.connect(app) as sender``.
        Raise ``DeliveryFailed`` when the channel cannot be reached or is not configured
        (every message of the batch is retried later)."""
