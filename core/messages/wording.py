"""A site's own wording of a declared message template, per channel and language.

What the templates admin (API and pages) reads and writes: the effective wording of each
template × channel × language (the site's, else the translated default), a checked save
(``check_wording``: a placeholder the template does not declare is a 422 naming subject or
body), and a reset to the default. Both writes are versioned and audited; the delivery
worker reads the saved rows (``core.messages.worker._render``).
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from core.actors import SYSTEM, Actor
from core.audit import services as audit
from core.clock import utcnow
from core.entities.models import Site
from core.i18n import LANGUAGES
from core.i18n import gettext as _
from core.messages import services
from core.messages import templates as message_templates
from core.messages.models import MessageTemplateText
from core.problems import Problem, invalid

WORDING_FIELDS = ["subject", "body"]


def declared_template(key: str) -> message_templates.MessageTemplate:
    template = services.registry().templates.get(key)
    if template is None:
        raise Problem(404, _("No message template %(key)s.", key=key))
    return template


def channels_of(template: message_templates.MessageTemplate) -> list[str]:
    """The template's channels that this app can send on."""
    known = services.registry().channels
    return [name for name in template.channels if name in known]


def check_target(key: str, channel: str, language: str) -> message_templates.MessageTemplate:
    """The template, once its channel and language are known: unknown key 404, a channel
    or language it is not written for 422 naming the field."""
    template = declared_template(key)
    if channel not in channels_of(template):
        raise invalid("channel", _("This message is not sent by %(channel)s.", channel=channel))
    if language not in LANGUAGES:
        raise invalid("language", _("Choose one of %(known)s.", known=", ".join(LANGUAGES)))
    return template


def channel_label(channel: str) -> str:
    found = services.registry().channels.get(channel)
    return str(found.label) if found is not None else channel


async def site_wordings(site: Site) -> dict[tuple[str, str, str], MessageTemplateText]:
    rows = await MessageTemplateText.filter(site_id=site.id)
    return {(row.template, row.channel, row.language): row for row in rows}


def effective(template: message_templates.MessageTemplate, channel: str, language: str, catalogs: dict,
              own: MessageTemplateText | None) -> dict[str, Any]:
    """One wording as the admin shows it: the site's, else the translated default."""
    default_subject, default_body = message_templates.default_wording(template, catalogs[language])
    if own is not None:
        return {"channel": channel, "language": language, "subject": own.subject, "body": own.body,
                "custom": True, "version": own.version, "default_subject": default_subject,
                "default_body": default_body}
    return {"channel": channel, "language": language, "subject": default_subject, "body": default_body,
            "custom": False, "version": None, "default_subject": default_subject, "default_body": default_body}


async def templates_out(site: Site, catalogs: dict) -> list[dict[str, Any]]:
    """Every declared template with its placeholders, channels and each channel ×
    language's effective wording."""
    own = await site_wordings(site)
    result = []
    for template in sorted(services.registry().templates.values(), key=lambda item: item.key):
        channels = channels_of(template)
        result.append({
            "key": template.key, "label": str(template.label), "description": str(template.description or ""),
            "placeholders": list(template.placeholders), "optional": list(template.optional),
            "channels": channels,
            "wordings": [effective(template, channel, language, catalogs, own.get((template.key, channel, language)))
                         for channel in channels for language in LANGUAGES],
        })
    return result


def _checked(template: message_templates.MessageTemplate, subject: str, body: str) -> None:
    try:
        message_templates.check_wording(template, subject, body)
    except message_templates.TemplateError as error:
        raise invalid(error.field, error.message) from None


async def save_wording(site: Site, key: str, channel: str, language: str, subject: str, body: str, *,
                       version: int | None = None, actor: Actor = SYSTEM) -> MessageTemplateText:
    """Write the site's wording (a new one, or over ``version`` of the saved one: 409 when
    someone saved it meanwhile). Refuses an unknown placeholder (422 naming the field)."""
    template = check_target(key, channel, language)
    _checked(template, subject, body)
    async with in_transaction():
        row = await MessageTemplateText.get_or_none(site_id=site.id, template=key, channel=channel,
                                                    language=language)
        if row is None:
            if version is not None:
                raise Problem(409, _("Someone changed this wording since you read it. Reload and try again."))
            row = await MessageTemplateText.create(site_id=site.id, template=key, channel=channel, language=language,
                                                   subject=subject, body=body,
                                                   updated_by_id=getattr(actor.user, "id", None))
            before = None
        else:
            if version is None or version != row.version:
                raise Problem(409, _("Someone changed this wording since you read it. Reload and try again."),
                              current={"subject": row.subject, "body": row.body, "version": row.version})
            before = audit.snapshot(row, WORDING_FIELDS)
            updated = await MessageTemplateText.filter(id=row.id, version=row.version).update(
                subject=subject, body=body, updated_by_id=getattr(actor.user, "id", None), updated_at=utcnow(),
                version=row.version + 1)
            if not updated:
                raise Problem(409, _("Someone changed this wording since you read it. Reload and try again."))
            await row.refresh_from_db()
        await audit.record("message_template.save", actor=actor.user, site_id=site.id,
                           object_type="core.message_template", object_id=row.id, note=f"{key} {channel} {language}",
                           before=before, after=audit.snapshot(row, WORDING_FIELDS),
                           client_address=actor.client_address)
    return row


async def reset_wording(site: Site, key: str, channel: str, language: str, *, actor: Actor = SYSTEM) -> bool:
    """Back to the translated default: the site's row is deleted (audited). False when the
    site had none."""
    check_target(key, channel, language)
    async with in_transaction():
        row = await MessageTemplateText.get_or_none(site_id=site.id, template=key, channel=channel,
                                                    language=language)
        if row is None:
            return False
        await MessageTemplateText.filter(id=row.id).delete()
        await audit.record("message_template.reset", actor=actor.user, site_id=site.id,
                           object_type="core.message_template", object_id=row.id, note=f"{key} {channel} {language}",
                           before=audit.snapshot(row, WORDING_FIELDS), client_address=actor.client_address)
    return True
