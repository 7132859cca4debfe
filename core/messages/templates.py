"""Message templates: declared by plugins, worded per site, rendered per language.

A plugin declares what it sends (``register_message_templates``) with English defaults
marked ``N_``: they are translated into the recipient's language by the catalogs when the
message is sent, so a resident who prefers 简体中文 gets the zh-Hans wording. A site may
write its own wording per channel and language (``MessageTemplateText``).

Placeholders are ``{name}``, filled by ``str.format_map`` from the message's context. The
parser is the standard library's (``string.Formatter``), and only bare names are allowed:
no attribute or index lookups (``{party.__class__}``) and no format specs, so a site's
wording cannot reach into Python objects, and a name the template does not declare is
refused when the wording is saved, not discovered when the message goes out.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any, Iterable

from core.i18n import gettext as _

HOOK = "register_message_templates"
#: The channels a template is offered on when it names none.
ALL_CHANNELS = ("email", "sms", "in_app")
#: An SMS longer than this is split by the network into several (billed) parts; the
#: template editor warns, it does not refuse (the gateway sends long texts).
SMS_SEGMENT = 70


@dataclass(frozen=True)
class MessageTemplate:
    """A message a plugin sends: ``key`` namespaced by the plugin (``resident.case_reply``),
    ``placeholders`` the names its context fills, ``subject``/``body`` English msgids."""

    key: str
    label: Any
    placeholders: tuple[str, ...]
    body: str
    subject: str = ""
    channels: tuple[str, ...] = ALL_CHANNELS
    description: Any = ""
    #: Placeholders a caller may leave out (rendered empty).
    optional: tuple[str, ...] = field(default_factory=tuple)


class TemplateError(ValueError):
    """A wording that cannot be rendered; ``field`` is subject or body."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def placeholders_in(text: str, field_name: str = "body") -> set[str]:
    """The names ``text`` uses, or ``TemplateError`` for a malformed one."""
    names: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise TemplateError(field_name, _("Unbalanced braces: write {{ and }} for a literal brace.")) from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise TemplateError(field_name, _("{%(name)s} is not a placeholder: use a bare name such as {case_number}.",
                                              name=name + (f"!{conversion}" if conversion else "")
                                              + (f":{spec}" if spec else "")))
        names.add(name)
    return names


def check_wording(template: MessageTemplate, subject: str, body: str) -> None:
    """Refuse a site's wording that uses a placeholder the template does not declare."""
    if not body.strip():
        raise TemplateError("body", _("Write the message."))
    for field_name, text in (("subject", subject), ("body", body)):
        unknown = placeholders_in(text, field_name) - set(template.placeholders)
        if unknown:
            raise TemplateError(field_name, _(
                "Unknown placeholder %(names)s; this message knows %(known)s.",
                names=", ".join("{" + name + "}" for name in sorted(unknown)),
                known=", ".join("{" + name + "}" for name in template.placeholders) or "—"))


def render(text: str, context: dict[str, Any]) -> str:
    """``text`` with its placeholders filled (a missing one renders empty, never raises:
    the wording was checked when saved and a message must still go out)."""
    return text.format_map(_Blank(context))


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def check_context(template: MessageTemplate, context: dict[str, Any]) -> dict[str, str]:
    """The context as stored: every declared placeholder given (optional ones may be
    left out), values as text. A caller's mistake is a programming error, not a 422."""
    missing = set(template.placeholders) - set(template.optional) - set(context)
    if missing:
        raise ValueError(f"template {template.key}: context lacks {', '.join(sorted(missing))}")
    return {name: "" if context.get(name) is None else str(context[name]) for name in template.placeholders}


def declared(host) -> dict[str, MessageTemplate]:
    return {template.key: template for template in host.collect(HOOK)}


def default_wording(template: MessageTemplate, translations: Any) -> tuple[str, str]:
    """The declared subject and body in a language (``translations`` is its catalog)."""
    subject = translations.gettext(template.subject) if template.subject else ""
    return subject, translations.gettext(template.body)


def wording_keys(templates: Iterable[MessageTemplate]) -> list[tuple[str, str]]:
    return [(template.key, channel) for template in templates for channel in template.channels]
