"""What the resident desk's pages and API show of the messages it sends, and whom they go to.

A message's record is core's outbox (``core.messages``); this module reads it for a case,
a revisit or a bill (``about``), and finds the party a household is reached by."""

from __future__ import annotations

from typing import Any, Iterable

from core.clock import rfc3339
from core.entities.models import Party
from core.i18n import gettext as _
from core.messages import services as messages
from core.messages.models import Message
from plugins.resident.models import Member

#: Whom a household's messages go to, first found first: the owner, a tenant, family.
RELATION_ORDER = {"owner": 0, "tenant": 1, "family": 2}
#: The channels the resident desk sends by.
CHANNELS = ("sms", "email")


def channel_label(name: str) -> str:
    channel = messages.registry().channels.get(name)
    return str(channel.label) if channel is not None else (_("None") if name == "none" else name)


def brief(message: Message) -> dict[str, Any]:
    """A message as a record's page and API show it ("SMS · delivered 10:02")."""
    return {"id": message.id, "channel": message.channel, "channel_label": channel_label(message.channel),
            "status": message.status, "status_label": _(messages.STATUS_LABELS[message.status]),
            "reason": _(message.reason) if message.reason else "", "created_at": rfc3339(message.created_at),
            "sent_at": rfc3339(message.sent_at), "delivered_at": rfc3339(message.delivered_at)}


async def history(about: tuple[str, str, int], limit: int = 50) -> list[dict[str, Any]]:
    return [brief(message) for message in await messages.history(about, limit=limit)]


async def parties_of_units(unit_ids: Iterable[int]) -> dict[int, Party]:
    """The party each unit's household is reached by: its owner with a party record, else
    a tenant's, else a family member's."""
    rows = await Member.filter(household__unit_id__in=list(set(unit_ids)), party_id__not_isnull=True) \
        .values("household__unit_id", "party_id", "relation", "id")
    chosen: dict[int, tuple[int, int, int]] = {}
    for row in rows:
        rank = (RELATION_ORDER.get(row["relation"], 9), row["id"], row["party_id"])
        unit_id = row["household__unit_id"]
        if unit_id not in chosen or rank < chosen[unit_id]:
            chosen[unit_id] = rank
    parties = {party.id: party for party in await Party.filter(id__in=[rank[2] for rank in chosen.values()])}
    return {unit_id: parties[rank[2]] for unit_id, rank in chosen.items() if rank[2] in parties}


def reachable(party: Party | None, channel: str = "") -> bool:
    """Whether a message can be addressed to ``party`` (by ``channel``, or by any of the
    desk's channels): an address on record, whatever the opt-outs say (an opted-out
    channel is recorded as not sent, not turned into a letter)."""
    if party is None:
        return False
    registry = messages.registry()
    names = [channel] if channel else list(CHANNELS)
    return any(name in registry.channels and registry.channels[name].address_of(party=party) for name in names)


def counts(statuses: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for status in statuses:
        found[status] = found.get(status, 0) + 1
    return found
