"""Writing and reading the audit log.

``record`` runs inside the caller's transaction (Tortoise picks the transaction's
connection from the context), so a change and its audit entry commit together or not
at all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.audit.models import AuditEntry
from core.clock import utcnow


def snapshot(instance: Any, fields: list[str]) -> dict[str, Any]:
    """The listed fields of a model instance, JSON-ready, for ``before``/``after``."""
    values = {}
    for name in fields:
        value = getattr(instance, name)
        if isinstance(value, (dt.datetime, dt.date)):
            value = value.isoformat()
        elif hasattr(value, "__str__") and not isinstance(value, (str, int, float, bool, list, dict, type(None))):
            value = str(value)
        values[name] = value
    return values


async def record(
    action: str,
    *,
    actor: Any = None,
    site_id: int | None = None,
    object_type: str = "",
    object_id: Any = "",
    before: dict | None = None,
    after: dict | None = None,
    client_address: str = "",
    note: str = "",
) -> AuditEntry:
    return await AuditEntry.create(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", "") or "",
        site_id=site_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id != "" else "",
        before=before,
        after=after,
        client_address=client_address[:64],
        note=note[:500],
    )


READ = "core.audit.read"


def visible_entries(actor: Any):
    """The audit entries ``actor`` (a ``core.actors.Actor``) may read: those of the sites
    where it holds ``core.audit.read``. Entries of no site (sign-ins, users, roles) name
    people of every site, so only super-administrators (and the system) read them."""
    if actor.unbounded:
        return AuditEntry.all()
    return AuditEntry.filter(site_id__in=sorted(actor.sites_with(READ)))


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the keys whose values differ, for a compact audit entry."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}
