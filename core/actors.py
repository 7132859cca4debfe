"""Who acts: what every service receives instead of an HTTP request.

Pages, the API, the CLI and background jobs all reach the same services; each builds an
``Actor`` (``core.web.access.actor_of(request)`` for HTTP) and the service needs nothing
else to check permissions and to write the audit. Services never see Starlette.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Actor:
    """A user acting at a site (or at none, for platform-wide acts) from an address."""

    #: ``core.identity.models.User``, or None for the system (jobs, the demo loader).
    user: Any
    #: ``core.entities.models.Site`` the act is addressed to, or None.
    site: Any = None
    #: The user's permissions at ``site`` (empty for the system, which is not checked).
    permissions: frozenset[str] = field(default_factory=frozenset)
    client_address: str = ""
    #: The user's permissions at each of their sites (site id → names). What a service
    #: acting on no one site (users, memberships, the audit log) scopes by: a permission
    #: held at harbour reaches harbour's records only, never the union across sites.
    permissions_by_site: Mapping[int, frozenset[str]] = field(default_factory=dict)

    @property
    def user_id(self) -> int | None:
        return getattr(self.user, "id", None)

    @property
    def is_system(self) -> bool:
        return self.user is None

    @property
    def is_superadmin(self) -> bool:
        """An explicit super-administrator (``User.is_superadmin``): every site, present and future."""
        return bool(getattr(self.user, "is_superadmin", False))

    @property
    def unbounded(self) -> bool:
        """Whether site bounds do not apply: the system, or a super-administrator."""
        return self.is_system or self.is_superadmin

    def sites_with(self, permission: str) -> set[int]:
        """Ids of the sites where the actor holds ``permission`` (by membership; check
        ``unbounded`` first for the system and super-administrators)."""
        return {site_id for site_id, granted in self.permissions_by_site.items() if permission in granted}

    def can_at(self, site_id: int, permission: str) -> bool:
        """Whether the actor holds ``permission`` at the site ``site_id``."""
        return self.unbounded or permission in self.permissions_by_site.get(site_id, ())

    def can(self, permission: str) -> bool:
        """Whether this actor holds ``permission`` at its site (the system holds all)."""
        return self.is_system or permission in self.permissions


SYSTEM = Actor(user=None)
