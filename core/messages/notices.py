"""Supervisors' in-app notices that core itself sends, and the helpers the desks' notices share.

- A task marked overdue (the kernel's ``overdue`` event, ``on_task_event``) rings the bell
  of everyone at the task's site who may assign tasks (``core.task.assign``), once per task
  and due time however often the overdue pass runs.
- ``recipient_language`` and ``local_moment`` let a plugin write a time into a message's
  context as its recipient reads it: on the site's clock, in their language.

core.messages sits below core.tasks in the import layers: the task arrives as the object
the hook passes, and only its plain attributes are read (site_id, id, title, due_at).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time
from tortoise.transactions import in_transaction

from core.entities.models import Party, Site
from core import i18n
from core.i18n import N_
from core.i18n import lazy_gettext as _l
from core.identity.models import User
from core.messages import services
from core.messages.templates import MessageTemplate

TASK_OVERDUE = "core.task_overdue"
#: Who hears of an overdue task: whoever may hand it to someone else.
SUPERVISING = "core.task.assign"


def templates() -> list[MessageTemplate]:
    """core's notices (``register_message_templates`` of ``core.messages.plugin``)."""
    return [
        MessageTemplate(TASK_OVERDUE, _l("Task overdue (to supervisors)"), ("title", "due", "url"),
                        subject=N_("Overdue: {title}"),
                        body=N_("The task \u201c{title}\u201d was due {due} and is not done yet."),
                        channels=("in_app",), optional=("url",),
                        description=_l("An in-app notice to whoever may assign tasks, when a task becomes overdue.")),
    ]


def recipient_language(site: Site, *, party: Party | None = None, user: User | None = None) -> str:
    """The language a message to ``party`` or ``user`` is written in (as ``queue`` picks it)."""
    return services._language(site, party, user, None)


def in_language(language: str, message: str) -> str:
    """``message`` (an ``N_`` msgid) in ``language``, whatever the current request's
    language: for a word a service puts into a message's context (a greeting's "customer")."""
    catalogs = i18n._catalogs.get()
    return catalogs[language].gettext(message) if catalogs and language in catalogs else message


def local_moment(site: Site, moment: dt.datetime | None, language: str) -> str:
    """``moment`` on the site's clock, as a reader of ``language`` writes a day and time
    (``12月2日週三 下午2:30``, ``Wed, Dec 2 2:30 PM``); nothing is ``""``."""
    if moment is None:
        return ""
    zone = ZoneInfo(site.timezone)
    text = (f"{format_skeleton('MMMEd', moment, tzinfo=zone, locale=language)} "
            f"{format_time(moment, 'short', tzinfo=zone, locale=language)}")
    # CLDR puts narrow no-break spaces in English times ("10:30\u202fAM"): plain spaces
    # travel through every SMS gateway.
    return text.replace("\u202f", " ").replace("\u00a0", " ")


async def task_overdue(task: Any) -> list:
    """Notify the site's supervisors that ``task`` is overdue (in the language of each)."""
    site = await Site.get_or_none(id=task.site_id)
    if site is None:
        return []
    due = task.due_at
    key = f"{TASK_OVERDUE}:{task.id}:{due.isoformat() if due else ''}"
    about = ("core", "task", task.id)
    url = f"/sites/{site.code}/tasks/{task.id}"
    sent = []
    async with in_transaction():  # every supervisor's notice, or none
        for user in await services.holders_of(site, SUPERVISING):
            context = {"title": task.title, "due": local_moment(site, due, recipient_language(site, user=user)),
                       "url": url}
            sent.append(await services.queue(site, TASK_OVERDUE, context, user=user, channel="in_app", about=about,
                                             dedupe_key=f"{key}:user:{user.id}"))
    return sent


async def on_task_event(task: Any, event: Any) -> None:
    """``on_task_event`` of ``core.messages.plugin``: the overdue notice."""
    if getattr(event, "kind", "") == "overdue":
        await task_overdue(task)
