"""Shift handovers (交接班): written at the end of a shift, acknowledged at the start."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import rfc3339
from core.events import EventBus, LiveEvent
from core.i18n import gettext as _
from core.identity.models import User
from core.tasks.models import Handover, HandoverRead
from core.problems import invalid

DEPARTMENT_CHARS = Handover._meta.fields_map["department"].max_length
MAX_BODY = 20_000


def handover_out(handover: Handover, read_by_me: bool | None = None) -> dict[str, Any]:
    data = {"id": handover.id, "department": handover.department, "body": handover.body, "items": handover.items,
            "author_id": handover.author_id, "created_at": rfc3339(handover.created_at)}
    if read_by_me is not None:
        data["read"] = read_by_me
    return data


async def write_handover(bus: EventBus, site_id: int, author: Actor, department: str, body: str,
                         items: list[dict] | None = None) -> Handover:
    department, body = department.strip(), body.strip()
    if not department:
        raise invalid("department", _("Name the department this handover is for."))
    if len(department) > DEPARTMENT_CHARS:
        raise invalid("department", _("At most %(count)s characters.", count=DEPARTMENT_CHARS))
    if not body:
        raise invalid("body", _("Write what the next shift needs to know."))
    if len(body) > MAX_BODY:
        raise invalid("body", _("At most %(count)s characters.", count=MAX_BODY))
    async with in_transaction():
        handover = await Handover.create(site_id=site_id, department=department, body=body, items=items or [],
                                         author=author.user)
        # The author has read their own handover.
        await HandoverRead.create(handover=handover, user=author.user)
        await audit.record("handover.write", actor=author.user, site_id=site_id, object_type="handover",
                           object_id=handover.id, after={"department": department},
                           client_address=author.client_address)
    await bus.publish(LiveEvent(site_id=site_id, name="handover.written", data=handover_out(handover),
                                permission="core.handover.read"))
    return handover


async def acknowledge(handover: Handover, user: User) -> bool:
    """Record that ``user`` read ``handover``; False when they had already."""
    try:
        await HandoverRead.create(handover=handover, user=user)
        return True
    except IntegrityError:
        return False


def unread_for(user: User, site_id: int):
    """Handovers of the user's department at the site that the user has not acknowledged."""
    read = HandoverRead.filter(user_id=user.id).values("handover_id")
    queryset = Handover.filter(site_id=site_id).exclude(id__in=Subquery(read))
    if user.department:
        queryset = queryset.filter(department=user.department)
    return queryset
