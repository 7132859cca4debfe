"""Queueing messages, and what people do with them: retry, cancel, opt out, read.

``queue`` is the one way a service sends anything: it writes a ``Message`` row in the
caller's transaction (so a rolled-back change sends nothing) and returns at once; the
delivery worker (``core.messages.worker``) sends what committed. Everything a person can
get wrong (an address, a channel they have no address on) is a 422 naming the field;
what a run cannot reach (no address on record, an opt-out) is recorded on the message,
never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Iterable

from core.actors import SYSTEM, Actor
from core.audit import services as audit
from core.clock import rfc3339, utcnow
from core.entities.models import Party, Site
from core.entities.privacy import mask_email, mask_phone
from core.i18n import LANGUAGES, N_, register_labels
from core.i18n import gettext as _
from core.identity.models import Membership, RolePermission, User
from core.messages import settings as message_settings
from core.messages import templates as message_templates
from core.messages.models import Message, MessageOptOut
from core.problems import Problem, invalid

log = logging.getLogger("frontdesk.messages")

#: Channels tried, in order, for a party who states no preference.
FALLBACK_CHANNELS = ("sms", "email")
STATUS_LABELS = {
    "queued": N_("Queued"), "sending": N_("Sending"), "sent": N_("Sent"), "delivered": N_("Delivered"),
    "failed": N_("Failed"), "suppressed": N_("Not sent (opted out)"), "cancelled": N_("Cancelled"),
}
register_labels("message.status", STATUS_LABELS)
#: One delivery attempt's outcome in words (MessageAttempt.outcome) on the message page.
register_labels("message.attempt", {"sent": N_("Sent"), "retry": N_("Failed, will retry"), "failed": N_("Failed")})
MESSAGE_FIELDS = ["status", "reason", "attempts", "next_attempt_at"]
OPTED_OUT = N_("The recipient opted out of this channel.")


class Registry:
    """The channels and templates of one app's plugins, collected once."""

    def __init__(self, host) -> None:
        self.host = host
        self.channels = {channel.name: channel for channel in host.collect("register_channels")}
        self.templates = message_templates.declared(host)
        #: Set by the delivery worker of this process: queueing wakes it.
        self.wake = None

    def channel(self, name: str, field_name: str = "channel"):
        channel = self.channels.get(name)
        if channel is None:
            raise invalid(field_name, _("No channel %(name)s; known: %(known)s.", name=name,
                                        known=", ".join(sorted(self.channels))))
        return channel

    def template(self, key: str) -> message_templates.MessageTemplate:
        template = self.templates.get(key)
        if template is None:
            raise LookupError(f"no message template {key!r} is declared (register_message_templates)")
        return template


_registry: Registry | None = None


def install(host) -> Registry:
    """Make ``host``'s channels and templates the ones ``queue`` uses (``create_app`` calls
    it). One app per process is the rule outside tests, and tests build one at a time; a
    module-level registry lets a plugin's service queue a message without threading the
    plugin host through every call, as the audit log and the clock are reached."""
    global _registry
    _registry = Registry(host)
    return _registry


def registry() -> Registry:
    if _registry is None:
        raise RuntimeError("core.messages is not installed: create the app first")
    return _registry


def masked(address: str) -> str:
    """An address as logs show it."""
    return mask_email(address) if "@" in address else mask_phone(address)


def _about(about: Any) -> tuple[str, str, int | None]:
    if about is None:
        return "", "", None
    if isinstance(about, tuple):
        plugin, kind, record_id = about
    else:
        plugin, kind, record_id = about.plugin, about.kind, about.id
    return plugin, kind, int(record_id)


async def _opted_out(party: Party | None) -> set[str]:
    if party is None:
        return set()
    return set(await MessageOptOut.filter(party_id=party.id, active=True).values_list("channel", flat=True))


def _choose_channel(reg: Registry, template, party: Party | None, user: User | None,
                    opted_out: set[str]) -> str | None:
    """A party's preferred channel if it reaches them, else SMS, then e-mail; a user
    without a party: in-app."""
    if party is None:
        return "in_app" if "in_app" in template.channels and "in_app" in reg.channels else None
    order = [party.preferred_channel] if party.preferred_channel else []
    order += [name for name in FALLBACK_CHANNELS if name not in order]
    usable = [name for name in order if name in reg.channels and name in template.channels
              and reg.channels[name].address_of(party=party, user=user)]
    reachable = [name for name in usable if name not in opted_out]
    return (reachable or usable or [None])[0]


def _language(site: Site, party: Party | None, user: User | None, language: str | None) -> str:
    for choice in (language, getattr(party, "preferred_language", ""), getattr(user, "locale", ""),
                   site.default_language):
        if choice in LANGUAGES:
            return choice
    return "en"


async def queue(
    site: Site,
    template: str,
    context: dict[str, Any],
    *,
    party: Party | None = None,
    user: User | None = None,
    channel: str | None = None,
    address: str | None = None,
    about: Any = None,
    dedupe_key: str | None = None,
    language: str | None = None,
    actor: Actor = SYSTEM,
    unreachable: str = "raise",
    address_field: str = "address",
    at: dt.datetime | None = None,
) -> Message:
    """Queue ``template`` with ``context`` for a party (a resident, a caller) or a user (a
    colleague, in-app), in the caller's transaction. Returns the message (its ``status``
    says whether it waits to be sent, was suppressed by an opt-out, or could not be
    addressed).

    - ``channel``: email, sms, in_app; None: the party's preferred channel that reaches them.
    - ``address``: typed by a person (422 naming ``address_field`` when invalid); None: the
      party's or user's own.
    - ``about``: the record it concerns (a ``Subject`` or ``(plugin, kind, id)``): its page
      shows the message and how it went.
    - ``dedupe_key``: one message per key and site, however often this is called (a
      reminder run repeated): the first message is returned again.
    - ``unreachable``: "raise" (422: a person asked to send it) or "record" (a run: the
      message is stored as failed, with the reason, for the run's log).
    """
    reg = registry()
    declared = reg.template(template)
    stored_context = message_templates.check_context(declared, context)
    if dedupe_key is not None:
        existing = await Message.get_or_none(site_id=site.id, dedupe_key=dedupe_key)
        if existing is not None:
            return existing
    opted_out = await _opted_out(party)
    if channel is None:
        channel = _choose_channel(reg, declared, party, user, opted_out)
        if channel is None:
            return await _unreachable(site, declared, party, user, unreachable, about, dedupe_key, actor,
                                      language, stored_context,
                                      _("%(name)s has no phone number or e-mail address on record.",
                                        name=getattr(party, "name", "") or getattr(user, "username", "")))
    chosen = reg.channel(channel)
    if channel not in declared.channels:
        raise invalid("channel", _("This message is not sent by %(channel)s.", channel=str(chosen.label)))
    if address is not None and address.strip():
        try:
            address = chosen.normalise_address(address)
        except ValueError as error:
            raise invalid(address_field, str(error)) from None
    else:
        address = chosen.address_of(party=party, user=user)
        if not address and channel != "in_app":
            return await _unreachable(site, declared, party, user, unreachable, about, dedupe_key, actor, language,
                                      stored_context, _("No %(channel)s address on record.",
                                                        channel=str(chosen.label)), channel=channel)
    now = at or utcnow()
    status, reason = "queued", ""
    if channel in opted_out:
        status, reason = "suppressed", OPTED_OUT
    due = message_settings.after_quiet_hours(site, now) if chosen.respects_quiet_hours else now
    message = await _insert(Message(
        site_id=site.id, channel=channel, template=template, language=_language(site, party, user, language),
        context=stored_context, party_id=getattr(party, "id", None), user_id=getattr(user, "id", None),
        address=address or "", subject_plugin=_about(about)[0], subject_kind=_about(about)[1],
        subject_id=_about(about)[2], status=status, reason=reason, next_attempt_at=due,
        dedupe_key=dedupe_key, created_by_id=getattr(actor.user, "id", None)))
    if status == "suppressed":
        log.info("message %s to %s suppressed: opted out of %s", message.id, masked(address or ""), channel)
    elif reg.wake is not None:
        reg.wake()
    return message


async def _insert(message: Message) -> Message:
    """Insert ``message``; with a dedupe key a racing twin's row wins and is returned (an
    INSERT that ignores the conflict: a failed INSERT would abort the caller's PostgreSQL
    transaction)."""
    if message.dedupe_key is None:
        await message.save()
        return message
    await Message.bulk_create([message], ignore_conflicts=True)
    return await Message.get(site_id=message.site_id, dedupe_key=message.dedupe_key)


async def _unreachable(site, declared, party, user, unreachable, about, dedupe_key, actor, language, context,
                       reason: str, channel: str = "") -> Message:
    if unreachable == "raise":
        raise invalid("channel", reason)
    plugin, kind, record_id = _about(about)
    return await _insert(Message(
        site_id=site.id, channel=channel or "none", template=declared.key,
        language=_language(site, party, user, language), context=context, party_id=getattr(party, "id", None),
        user_id=getattr(user, "id", None), subject_plugin=plugin, subject_kind=kind, subject_id=record_id,
        status="failed", reason=reason[:500], dedupe_key=dedupe_key, created_by_id=getattr(actor.user, "id", None)))


async def notify(site: Site, users: Iterable[User], template: str, context: dict[str, Any], *,
                 about: Any = None, dedupe_key: str | None = None) -> list[Message]:
    """An in-app notice to each of ``users`` (their bell rings), once per user and key."""
    messages = []
    for user in users:
        key = f"{dedupe_key}:user:{user.id}" if dedupe_key else None
        messages.append(await queue(site, template, context, user=user, channel="in_app", about=about,
                                    dedupe_key=key))
    return messages


async def holders_of(site: Site, permission: str) -> list[User]:
    """The site's active members whose roles grant ``permission`` (whom a notice for
    supervisors reaches: whoever may act on it, not a role name)."""
    roles = await RolePermission.filter(permission=permission).values_list("role_id", flat=True)
    ids = await Membership.filter(site_id=site.id, role_id__in=list(roles), user__is_active=True) \
        .values_list("user_id", flat=True)
    return list(await User.filter(id__in=list(set(ids))).order_by("id"))


async def notify_holders(site: Site, permission: str, template: str, context: dict[str, Any], *,
                         about: Any = None, dedupe_key: str | None = None, exclude: Iterable[int] = ()) -> list[Message]:
    """An in-app notice to everyone at ``site`` who may act on it (holds ``permission``)."""
    skip = set(exclude)
    users = [user for user in await holders_of(site, permission) if user.id not in skip]
    return await notify(site, users, template, context, about=about, dedupe_key=dedupe_key)


# --- What people do with messages ---------------------------------------------------------


def message_out(message: Message) -> dict[str, Any]:
    return {
        "id": message.id, "channel": message.channel, "template": message.template, "language": message.language,
        "address": message.address, "status": message.status, "status_label": _(STATUS_LABELS[message.status]),
        "reason": _(message.reason) if message.reason else "", "attempts": message.attempts,
        "subject": {"plugin": message.subject_plugin, "kind": message.subject_kind, "id": message.subject_id}
        if message.subject_plugin else None,
        "party_id": message.party_id, "user_id": message.user_id,
        "rendered_subject": message.rendered_subject, "rendered_body": message.rendered_body,
        "created_at": message.created_at, "next_attempt_at": message.next_attempt_at, "sent_at": message.sent_at,
        "delivered_at": message.delivered_at, "read_at": message.read_at, "version": message.version,
    }


def message_json(message: Message) -> dict[str, Any]:
    """``message_out`` with its times as the API writes them (RFC 3339 UTC): what a problem's
    ``current`` member carries."""
    return {name: rfc3339(value) if isinstance(value, dt.datetime) else value
            for name, value in message_out(message).items()}


async def _conditional(message: Message, allowed: tuple[str, ...], changes: dict[str, Any], action: str,
                       actor: Actor, refusal: str) -> Message:
    """One versioned update from one of ``allowed`` states: of two people retrying and
    cancelling the same message at once, one wins and the other is told (409)."""
    if message.status not in allowed:
        raise Problem(409, refusal, current=message_json(message))
    before = audit.snapshot(message, MESSAGE_FIELDS)
    updated = await Message.filter(id=message.id, version=message.version, status__in=list(allowed)) \
        .update(**changes, version=message.version + 1)
    await message.refresh_from_db()
    if not updated:
        raise Problem(409, _("Someone changed this message since you read it. Reload and try again."),
                      current=message_json(message))
    await audit.record(action, actor=actor.user, site_id=message.site_id, object_type="core.message",
                       object_id=message.id, before=before, after=audit.snapshot(message, MESSAGE_FIELDS),
                       client_address=actor.client_address)
    return message


async def retry(message: Message, *, actor: Actor = SYSTEM) -> Message:
    """Send a failed or cancelled message again, now (its earlier attempts stay in its log)."""
    message = await _conditional(message, ("failed", "cancelled"),
                                 {"status": "queued", "attempts": 0, "next_attempt_at": utcnow(), "reason": ""},
                                 "message.retry", actor, _("Only a failed or cancelled message can be sent again."))
    if registry().wake is not None:
        registry().wake()
    return message


async def cancel(message: Message, *, actor: Actor = SYSTEM) -> Message:
    """Stop a message that has not gone out yet."""
    return await _conditional(message, ("queued",), {"status": "cancelled"}, "message.cancel", actor,
                              _("Only a message still waiting to be sent can be cancelled."))


async def set_opt_out(site: Site, party: Party, channel: str, opted_out: bool, *, reason: str = "",
                      actor: Actor = SYSTEM) -> MessageOptOut:
    """Record that a party refuses (or accepts again) a channel; the row is kept either way."""
    registry().channel(channel)
    row = await MessageOptOut.get_or_none(party_id=party.id, channel=channel)
    before = {"active": row.active, "reason": row.reason} if row else None
    if row is None:
        row = await MessageOptOut.create(site_id=site.id, party_id=party.id, channel=channel, active=opted_out,
                                         reason=reason[:200], recorded_by_id=getattr(actor.user, "id", None))
    else:
        await MessageOptOut.filter(id=row.id).update(active=opted_out, reason=reason[:200],
                                                     recorded_by_id=getattr(actor.user, "id", None),
                                                     updated_at=utcnow(), version=row.version + 1)
        await row.refresh_from_db()
    await audit.record("party.opt_out" if opted_out else "party.opt_in", actor=actor.user, site_id=site.id,
                       object_type="core.party", object_id=party.id, before=before,
                       after={"channel": channel, "active": opted_out, "reason": row.reason},
                       client_address=actor.client_address)
    return row


async def set_preferences(site: Site, party: Party, *, language: str | None, channel: str | None,
                          version: int | None = None, actor: Actor = SYSTEM) -> Party:
    """A party's preferred language and channel ("" clears either)."""
    changes: dict[str, Any] = {}
    if language is not None:
        if language and language not in LANGUAGES:
            raise invalid("preferred_language", _("Choose one of %(known)s.", known=", ".join(LANGUAGES)))
        changes["preferred_language"] = language
    if channel is not None:
        if channel:
            registry().channel(channel, "preferred_channel")
        changes["preferred_channel"] = channel
    if not changes:
        return party
    before = audit.snapshot(party, list(changes))
    query = Party.filter(id=party.id)
    if version is not None:
        query = query.filter(version=version)
    if not await query.update(**changes, version=party.version + 1, updated_at=utcnow()):
        raise Problem(409, _("Someone changed this record since you read it. Reload and try again."))
    await party.refresh_from_db()
    await audit.record("party.preferences", actor=actor.user, site_id=site.id, object_type="core.party",
                       object_id=party.id, before=before, after=audit.snapshot(party, list(changes)),
                       client_address=actor.client_address)
    return party


async def history(about: Any, *, limit: int = 50) -> list[Message]:
    """The messages a record's page shows, newest first."""
    plugin, kind, record_id = _about(about)
    return list(await Message.filter(subject_plugin=plugin, subject_kind=kind, subject_id=record_id)
                .order_by("-id").limit(limit))


# --- In-app notices -----------------------------------------------------------------------


def _notices(user: User, site_id: int | None = None):
    query = Message.filter(user_id=user.id, channel="in_app", status__in=["sent", "delivered"])
    return query.filter(site_id=site_id) if site_id is not None else query


async def unread_count(user: User, site_id: int | None = None) -> int:
    return await _notices(user, site_id).filter(read_at__isnull=True).count()


async def notices(user: User, site_id: int | None = None, *, unread_only: bool = False, limit: int = 50) -> list[Message]:
    query = _notices(user, site_id)
    if unread_only:
        query = query.filter(read_at__isnull=True)
    return list(await query.order_by("-id").limit(limit))


async def mark_read(user: User, ids: Iterable[int] | None = None, site_id: int | None = None) -> int:
    """Mark the user's own notices read (all of them when ``ids`` is None)."""
    query = _notices(user, site_id).filter(read_at__isnull=True)
    if ids is not None:
        query = query.filter(id__in=list(ids))
    return await query.update(read_at=utcnow())
