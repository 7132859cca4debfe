"""Permissions: names that routes declare and roles grant.

Every route declares the permission it needs (or ``PUBLIC`` / ``AUTHENTICATED``), and a
test walks every registered route to make sure none forgot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Marker: anyone may call this route, signed in or not.
PUBLIC = "public"
#: Marker: any signed-in user may call this route; no particular permission.
AUTHENTICATED = "authenticated"


@dataclass(frozen=True)
class Permission:
    #: Namespaced by the plugin that checks it: ``hotel.room.inspect``.
    name: str
    #: Shown to admins; use ``core.i18n.lazy_gettext``.
    label: Any
    #: Built-in roles granted this permission on a new installation.
    default_roles: tuple[str, ...] = ()


#: The built-in desk roles (all but the housekeeper), for permissions every desk holds.
EVERY_DESK = ("admin", "manager", "supervisor", "agent", "back_office", "front_desk", "cashier", "call_agent")
#: Every built-in role, the housekeeper's too, for permissions everyone holds (seeing
#: units, working on tasks).
EVERYONE = (*EVERY_DESK, "housekeeper")
