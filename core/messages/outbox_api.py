"""The outbox's JSON routes: messages (list, detail, retry, cancel), the site's wording of
message templates, a party's contact preferences and opt-outs, and the caller's own in-app
notices. Registered by ``core.messages.plugin.register_api_routes`` (``core.messages.api``
holds the channels' routes).

Addresses are personal data: the list and detail show them masked unless the caller holds
``core.message.manage`` (who retries and edits messages and must see where they went).
"""

from __future__ import annotations

from typing import Any

from pydantic_core import to_jsonable_python
from starlette.requests import Request
from tortoise.transactions import in_transaction

from core.entities.models import Party, Site
from core.entities.privacy import mask_email, mask_phone
from core.i18n import gettext as _
from core.messages import services, wording
from core.messages.models import Message, MessageAttempt, MessageOptOut
from core.messages.schemas import (ContactIn, ContactOut, MarkReadIn, MarkReadOut, MessageDetail, MessagePage,
                                   MessageQuery, NoticeQuery, NoticesOut, TemplateOut, VersionIn, WordingIn,
                                   WordingOut)
from core.permissions import AUTHENTICATED
from core.problems import Problem, invalid
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.api import api_route
from core.web.pagination import paginate

MANAGE = "core.message.manage"
READ = "core.message.read"
OPT_OUT = "core.message.opt_out"
#: Who sees a party's contact preferences: every desk that sees the party (as its API).
PARTY_READ = "core.party.read"


def mask(address: str) -> str:
    if not address:
        return ""
    return mask_email(address) if "@" in address else mask_phone(address)


def channel_label(channel: str) -> str:
    if channel == "none":
        return _("No channel")
    return wording.channel_label(channel)


def message_api_out(message: Message, unmasked: bool) -> dict[str, Any]:
    """A message as the API and pages show it (the address masked unless ``unmasked``)."""
    out = services.message_out(message)
    for name in ("rendered_subject", "rendered_body"):
        out.pop(name)
    out["channel_label"] = channel_label(message.channel)
    if not unmasked:
        out["address"] = mask(message.address)
    return out


def parse_subject(text: str) -> tuple[str, str, int]:
    """``plugin.kind:id`` → (plugin, kind, id); 422 naming ``subject`` otherwise."""
    record, _sep, number = text.partition(":")
    plugin, _dot, kind = record.rpartition(".")
    if not (plugin and kind and number.isascii() and number.isdigit() and len(number) <= 18):
        raise invalid("subject", _("Write the record as plugin.kind:id, e.g. resident.case:12."))
    return plugin, kind, int(number)


def filtered(rows, query: MessageQuery):
    """``rows`` narrowed by the list's filters (status, channel, template, subject, since)."""
    given = {name: getattr(query, name) for name in ("status", "channel", "template") if getattr(query, name)}
    if query.subject:
        plugin, kind, record_id = parse_subject(query.subject)
        given.update(subject_plugin=plugin, subject_kind=kind, subject_id=record_id)
    if query.since is not None:
        given["created_at__gte"] = query.since
    return rows.filter(**given) if given else rows


async def list_messages(request: Request, query: MessageQuery) -> MessagePage:
    """The site's outbox, newest first; addresses masked without core.message.manage."""
    unmasked = can(request, MANAGE)
    return await paginate(filtered(site_query(request, Message), query), query,
                          lambda message: message_api_out(message, unmasked), descending=True)


async def attempts_of(message: Message) -> list[dict[str, Any]]:
    return list(await MessageAttempt.filter(message_id=message.id).order_by("id").values(
        "number", "started_at", "finished_at", "outcome", "detail", "worker"))


async def message_detail(request: Request, message: Message) -> dict[str, Any]:
    out = message_api_out(message, can(request, MANAGE))
    out.update(rendered_subject=message.rendered_subject, rendered_body=message.rendered_body,
               attempt_log=await attempts_of(message))
    return out


async def get_message(request: Request) -> MessageDetail:
    """One message with its delivery attempts."""
    message = await get_in_site(request, Message, request.path_params["id"], "message")
    return await message_detail(request, message)


def stale(message: Message, version: int) -> None:
    if message.version != version:
        raise Problem(409, _("Someone changed this message since you read it. Reload and try again."),
                      current=services.message_json(message))


async def _act(request: Request, body: VersionIn, action) -> dict[str, Any]:
    message = await get_in_site(request, Message, request.path_params["id"], "message")
    unmasked = can(request, MANAGE)
    try:
        stale(message, body.version)
        async with in_transaction():
            message = await action(message, actor=actor_of(request))
    except Problem as problem:
        if "current" in problem.extra:
            # The message as this caller may see it, as JSON (services put the model's
            # datetimes there, which a problem+json body cannot carry).
            current = await Message.get(id=message.id)
            problem.extra["current"] = to_jsonable_python(message_api_out(current, unmasked))
        raise
    return await message_detail(request, message)


async def retry_message(request: Request, body: VersionIn) -> MessageDetail:
    """Send a failed or cancelled message again (409: another state, or a stale version)."""
    return await _act(request, body, services.retry)


async def cancel_message(request: Request, body: VersionIn) -> MessageDetail:
    """Stop a queued message (409: another state, or a stale version)."""
    return await _act(request, body, services.cancel)


# --- Templates --------------------------------------------------------------------------------


async def list_templates(request: Request) -> list[TemplateOut]:
    """Declared message templates: placeholders, channels, and per channel × language the
    wording in use (the site's, else the translated default)."""
    return await wording.templates_out(current_site(request), request.app.state.catalogs)


def _target(request: Request) -> tuple[str, str, str]:
    params = request.path_params
    return params["key"], params["channel"], params["language"]


async def _wording_out(request: Request, key: str, channel: str, language: str) -> dict[str, Any]:
    template = wording.check_target(key, channel, language)
    own = (await wording.site_wordings(current_site(request))).get((key, channel, language))
    return wording.effective(template, channel, language, request.app.state.catalogs, own)


async def put_wording(request: Request, body: WordingIn) -> WordingOut:
    """Write the site's wording of one template, channel and language (422 names subject
    or body for an unknown placeholder; 409 for a stale version)."""
    key, channel, language = _target(request)
    await wording.save_wording(current_site(request), key, channel, language, body.subject.strip(), body.body,
                               version=body.version, actor=actor_of(request))
    return await _wording_out(request, key, channel, language)


async def delete_wording(request: Request) -> WordingOut:
    """Back to the translated default wording."""
    key, channel, language = _target(request)
    await wording.reset_wording(current_site(request), key, channel, language, actor=actor_of(request))
    return await _wording_out(request, key, channel, language)


# --- A party's contact preferences and opt-outs ------------------------------------------------


async def contact_of(party: Party) -> dict[str, Any]:
    rows = await MessageOptOut.filter(party_id=party.id).values("channel", "active", "reason")
    channels = [name for name in services.registry().channels if name != "in_app"]
    return {"party_id": party.id, "preferred_language": party.preferred_language,
            "preferred_channel": party.preferred_channel, "channels": channels,
            "opt_outs": {row["channel"]: {"opted_out": row["active"], "reason": row["reason"]} for row in rows},
            "version": party.version}


async def get_contact(request: Request) -> ContactOut:
    """A party's preferred language and channel, and the channels they opted out of."""
    party = await get_in_site(request, Party, request.path_params["id"], "party")
    return await contact_of(party)


async def change_contact(site: Site, party: Party, body: ContactIn, actor) -> Party:
    """Preferences and opt-outs in one transaction (audited by the services)."""
    known = services.registry().channels
    for channel in body.opt_outs:
        if channel not in known or channel == "in_app":
            raise invalid(f"opt_outs.{channel}", _("No channel %(name)s.", name=channel))
    async with in_transaction():
        party = await services.set_preferences(site, party, language=body.preferred_language,
                                               channel=body.preferred_channel, version=body.version, actor=actor)
        current = {row["channel"]: row for row in
                   await MessageOptOut.filter(party_id=party.id).values("channel", "active", "reason")}
        for channel, choice in body.opt_outs.items():
            row = current.get(channel)
            if row is None and not choice.opted_out:
                continue  # never opted out: nothing to record
            if row is not None and row["active"] == choice.opted_out and row["reason"] == choice.reason.strip():
                continue
            await services.set_opt_out(site, party, channel, choice.opted_out, reason=choice.reason.strip(),
                                       actor=actor)
    return party


async def put_contact(request: Request, body: ContactIn) -> ContactOut:
    """Change a party's preferred language and channel and opt-outs (409: stale version)."""
    party = await get_in_site(request, Party, request.path_params["id"], "party")
    party = await change_contact(current_site(request), party, body, actor_of(request))
    return await contact_of(party)


# --- The caller's own in-app notices ------------------------------------------------------------


def notice_out(message: Message) -> dict[str, Any]:
    return {"id": message.id, "site_id": message.site_id, "subject": message.rendered_subject,
            "body": message.rendered_body,
            "about": {"plugin": message.subject_plugin, "kind": message.subject_kind, "id": message.subject_id}
            if message.subject_plugin else None,
            "created_at": message.created_at, "read_at": message.read_at}


async def site_filter(request: Request, code: str | None) -> int | None:
    """The id of one of the caller's sites named by code (404 for another), or None."""
    if not code:
        return None
    site = await request.app.state.site_cache.get(code)
    if site is None or site.id not in request.state.permissions_by_site:
        raise Problem(404, _("No site %(code)s.", code=code))
    return site.id


async def my_notifications(request: Request, query: NoticeQuery) -> NoticesOut:
    """The caller's own in-app notices, newest first, and how many are unread."""
    user = request.state.user
    site_id = await site_filter(request, query.site)
    rows = await services.notices(user, site_id, unread_only=query.unread, limit=query.limit)
    return {"items": [notice_out(row) for row in rows], "unread": await services.unread_count(user, site_id)}


async def mark_notifications_read(request: Request, body: MarkReadIn) -> MarkReadOut:
    """Mark the caller's own notices read: ``{"ids": [...]}`` or ``{"all": true}``
    (another person's notice is never touched)."""
    if not body.all and not body.ids:
        raise invalid("ids", _("Name the notices to mark read, or send all: true."))
    user = request.state.user
    marked = await services.mark_read(user, None if body.all else body.ids)
    return {"marked": marked, "unread": await services.unread_count(user)}


STALE = {409: "Wrong state, or a stale version: the body's `current` is the message now"}


def routes():
    base = "/api/v1/sites/{site}/messages"
    tags = ["messages"]
    wording_path = f"{base}/templates/{{key}}/{{channel}}/{{language}}"
    return [
        api_route(base, list_messages, permission=READ, query=MessageQuery, response=MessagePage, tags=tags),
        api_route(f"{base}/templates", list_templates, permission=READ, response=list[TemplateOut], tags=tags),
        api_route(wording_path, put_wording, method="PUT", permission=MANAGE, body=WordingIn, response=WordingOut,
                  tags=tags, responses={404: "No such template", 409: "Stale version"}),
        api_route(wording_path, delete_wording, method="DELETE", permission=MANAGE, response=WordingOut, tags=tags,
                  responses={404: "No such template"}),
        api_route(f"{base}/{{id:int}}", get_message, permission=READ, response=MessageDetail, tags=tags),
        api_route(f"{base}/{{id:int}}/retry", retry_message, method="POST", permission=MANAGE, body=VersionIn,
                  response=MessageDetail, tags=tags, responses=STALE),
        api_route(f"{base}/{{id:int}}/cancel", cancel_message, method="POST", permission=MANAGE, body=VersionIn,
                  response=MessageDetail, tags=tags, responses=STALE),
        api_route("/api/v1/sites/{site}/parties/{id:int}/contact", get_contact, permission=PARTY_READ,
                  response=ContactOut, tags=tags),
        api_route("/api/v1/sites/{site}/parties/{id:int}/contact", put_contact, method="PUT", permission=OPT_OUT,
                  body=ContactIn, response=ContactOut, tags=tags, responses={409: "Stale version"}),
        api_route("/api/v1/me/notifications", my_notifications, permission=AUTHENTICATED, query=NoticeQuery,
                  response=NoticesOut, tags=tags, responses={404: "No such site among the caller's"}),
        api_route("/api/v1/me/notifications/read", mark_notifications_read, method="POST", permission=AUTHENTICATED,
                  body=MarkReadIn, response=MarkReadOut, tags=tags),
    ]
