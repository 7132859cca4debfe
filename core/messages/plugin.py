"""Outgoing messages, the outbox and in-app notices: one of core's default plugins
(``core.plugins``).

Found by convention: ``core.messages.models``, ``core.messages.api.routes()`` and
``core.messages.pages.routes()``. Services queue messages through
``core.messages.services.queue`` in their own transaction; the delivery worker
(``core.messages.worker``) sends them. See ``docs/notifications.md``.
"""

from core import hookimpl
from core.i18n import lazy_gettext as _l
from core.menu import MenuItem
from core.permissions import EVERY_DESK, Permission

from core.messages.in_app import InAppChannel

SUPERVISORS = ("admin", "manager", "supervisor")


@hookimpl
def register_permissions():
    return [
        Permission("core.message.read", _l("See the outbox: messages queued, sent and failed"),
                   SUPERVISORS + ("back_office",)),
        Permission("core.message.manage", _l("Retry or cancel messages; edit message templates"), SUPERVISORS),
        Permission("core.message.opt_out", _l("Record a person's opt-out of a channel"),
                   EVERY_DESK),
    ]


@hookimpl
def register_api_routes():
    from core.messages import outbox_api

    return outbox_api.routes()


@hookimpl
def on_app_started(app):
    from core.messages import web

    web.install_bell(app)


@hookimpl
def register_menu_items():
    return [MenuItem(label=_l("Outbox"), url="/sites/{site}/messages", permission="core.message.read", order=64)]


@hookimpl
def register_message_templates():
    from core.messages import notices
    from core.messages.templates import MessageTemplate

    # Words a person writes themselves (a reply typed at the desk): the template only carries
    # them, so there is nothing to translate.
    return [MessageTemplate("core.text", _l("A message written at the desk"), ("subject", "text"),
                            subject="{subject}", body="{text}", optional=("subject",)),
            *notices.templates()]


@hookimpl
async def on_task_event(task, event):
    # An overdue task rings the supervisors' bell (core.messages.notices).
    from core.messages import notices

    await notices.on_task_event(task, event)


@hookimpl
def register_channels():
    from core.messages.email import EmailChannel
    from core.messages.sms import SmsChannel

    return [InAppChannel(), EmailChannel(), SmsChannel()]


@hookimpl
def register_site_settings():
    from core.messages.settings import GROUP

    return [GROUP]
