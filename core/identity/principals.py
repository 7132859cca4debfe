"""Who is calling, in O(1) per request: the sign-in and the caller's permissions, cached.

Without it every request read its session or token (joined to its user) and every
membership joined to every grant of the caller: two queries, and for a manager of 300
sites 16,000 rows, before the endpoint did anything. Each process now keeps

- the sign-in by the hash of its secret (a session or token with its user), and
- each user's permissions at each of their sites (``Grants``), built from their
  memberships (site, role) and every role's grants (one small table, kept whole),

and asks the database again only when told that something changed, or when an entry is
older than its maximum age.

Invalidation. Every change that can narrow what a sign-in may do (logout, revocation, a
password change, disabling, a membership, a role's grants, the super-administrator flag,
a profile) runs inside ``identity_change(...)``:

- in this process the entries are forgotten right after the commit;
- on PostgreSQL a NOTIFY on ``CHANNEL`` is sent *inside* the transaction, so other
  processes hear it at the commit and never for a rollback; the event bus's listening
  connection hands it to ``forget_from_notice`` (wired in ``core.app``);
- the maximum age is the safety net for what no notice can reach: with a live
  cross-process bus an entry lives ``MAX_AGE_WITH_BUS`` seconds; without one (SQLite,
  which can still run several workers, or a dropped bus connection) ``MAX_AGE_ALONE``,
  so no process trusts a revoked sign-in for more than a second.

Each request gets its own copies of the cached model instances: a handler that changes
``request.state.user`` changes its copy, never what the next request sees.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

from tortoise.transactions import in_transaction


log = logging.getLogger("frontdesk.identity")

CHANNEL = "frontdesk_identity"
MAX_AGE_WITH_BUS = 60.0
MAX_AGE_ALONE = 1.0
#: Sign-ins and users kept per process; past it the cache starts afresh (a burst of
#: one-off tokens must not grow memory).
MAX_ENTRIES = 20_000


class Grants(Mapping):
    """A user's permissions at each of their sites: ``{site_id: frozenset(names)}``,
    read-only, shared by every request of the user until it is forgotten. ``any_site``
    (what routes at no one site ask) is computed once, not per request."""

    __slots__ = ("_by_site", "any_site")

    def __init__(self, by_site: dict[int, frozenset[str]]):
        self._by_site = by_site
        self.any_site: frozenset[str] = frozenset().union(*by_site.values()) if by_site else frozenset()

    def __getitem__(self, site_id: int) -> frozenset[str]:
        return self._by_site[site_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self._by_site)

    def __len__(self) -> int:
        return len(self._by_site)

    def __repr__(self) -> str:
        return f"Grants({self._by_site!r})"


NO_GRANTS = Grants({})


# --- What changed: generations, bumped after commit and by notices ------------------------


@dataclass
class _Generations:
    """Per process (every app in it shares it): a change bumps the generation of the
    users it concerns, or of everyone; a cached entry stamped with older ones is stale."""

    everyone: int = 0
    users: dict[int, int] = field(default_factory=dict)
    #: Every bump, whoever it concerned: a load that saw it move cannot tell whether the
    #: change touched what it read, so it is not kept.
    total: int = 0

    def of(self, user_id: int) -> tuple[int, int]:
        return self.everyone, self.users.get(user_id, 0)

    def bump(self, user_ids: tuple[int, ...], everyone: bool) -> None:
        self.total += 1
        if everyone:
            self.everyone += 1
        for user_id in user_ids:
            self.users[user_id] = self.users.get(user_id, 0) + 1


_generations = _Generations()


def forget(*user_ids: int, everyone: bool = False) -> None:
    """Drop what this process's caches hold about ``user_ids`` (or everyone)."""
    _generations.bump(tuple(user_id for user_id in user_ids if user_id is not None), everyone)


def forget_from_notice(payload: str) -> None:
    """A NOTIFY from another process (see ``identity_change``)."""
    try:
        message = json.loads(payload)
        forget(*[int(user_id) for user_id in message.get("users", [])], everyone=bool(message.get("everyone")))
    except (ValueError, TypeError, AttributeError):
        log.warning("ignored a malformed identity notice: %r", payload[:200])
        forget(everyone=True)  # cannot tell whom it concerned: assume everyone


@asynccontextmanager
async def identity_change(*user_ids: int, everyone: bool = False) -> AsyncIterator[Any]:
    """A transaction that changes who may do what: yields its connection; after the
    commit this process forgets the users (or everyone), and on PostgreSQL every other
    process hears it through a NOTIFY sent with the commit (nothing for a rollback).

    Inside an outer transaction the commit is the outer one's: the local forgetting then
    happens at the end of this block, a little early, and the maximum age covers the gap.
    """
    async with in_transaction() as connection:
        yield connection
        if connection.capabilities.dialect == "postgres":
            payload = json.dumps({"users": [u for u in user_ids if u is not None], "everyone": everyone})
            await connection.execute_query("SELECT pg_notify($1, $2)", [CHANNEL, payload])
    forget(*user_ids, everyone=everyone)


# --- The cache -----------------------------------------------------------------------------


@dataclass
class _SignIn:
    principal: Any  # UserSession or ApiToken, with .user loaded
    stamp: tuple[int, int]
    loaded_at: float


@dataclass
class _UserGrants:
    grants: Grants
    stamp: tuple[int, int]
    loaded_at: float


class PrincipalCache:
    """One per app (``app.state.principals``): tests run several apps, on several
    databases, in one process, and their ids must not meet."""

    def __init__(self) -> None:
        self._sign_ins: dict[tuple[str, str], _SignIn] = {}
        self._grants: dict[int, _UserGrants] = {}
        self._roles: tuple[dict[int, frozenset[str]], int, float] | None = None
        #: Set by the app: whether a cross-process bus is listening right now.
        self.bus_alive = lambda: False

    def max_age(self) -> float:
        return MAX_AGE_WITH_BUS if self.bus_alive() else MAX_AGE_ALONE

    def _fresh(self, stamp: tuple[int, int], loaded_at: float, user_id: int) -> bool:
        return stamp == _generations.of(user_id) and time.monotonic() - loaded_at < self.max_age()

    def clear(self) -> None:
        self._sign_ins.clear()
        self._grants.clear()
        self._roles = None

    # -- sign-ins --

    async def sign_in(self, kind: str, key_hash: str, load) -> Any:
        """The session or token (``kind`` "session"/"token") whose secret hashes to
        ``key_hash``, with its user, as this request's own copies; ``load()`` reads it
        from the database (None when there is none). Whether it still holds is for the
        caller to judge (expiry and idleness move with the clock, not with changes)."""
        entry = self._sign_ins.get((kind, key_hash))
        if entry is None or not self._fresh(entry.stamp, entry.loaded_at, entry.principal.user_id):
            started, changes = time.monotonic(), _generations.total
            principal = await load()
            if principal is None:
                self._sign_ins.pop((kind, key_hash), None)
                return None
            if _generations.total != changes:
                # A change was committed while this loaded: what was read may predate it.
                # Used for this request (as an uncached read would be), not kept.
                return _own_copy(principal)
            stamp = _generations.of(principal.user_id)
            if len(self._sign_ins) >= MAX_ENTRIES:
                self._sign_ins.clear()
            entry = self._sign_ins[(kind, key_hash)] = _SignIn(principal, stamp, started)
        return _own_copy(entry.principal)

    def touched(self, kind: str, key_hash: str, **values: Any) -> None:
        """Record in the cached sign-in what the caller just wrote of it (``last_seen_at``)."""
        entry = self._sign_ins.get((kind, key_hash))
        if entry is not None:
            for name, value in values.items():
                setattr(entry.principal, name, value)

    # -- permissions --

    async def grants(self, user_id: int) -> Grants:
        """The user's permissions at each of their sites: one query of their memberships
        (site, role) on a miss, none on a hit."""
        from core.identity.models import Membership

        entry = self._grants.get(user_id)
        if entry is not None and self._fresh(entry.stamp, entry.loaded_at, user_id):
            return entry.grants
        started, stamp = time.monotonic(), _generations.of(user_id)
        roles = await self._role_grants()
        by_site: dict[int, frozenset[str]] = {}
        for site_id, role_id in await Membership.filter(user_id=user_id).values_list("site_id", "role_id"):
            held = roles.get(role_id, frozenset())
            # One role at a site (the usual case) shares the role's own frozenset.
            by_site[site_id] = by_site[site_id] | held if site_id in by_site else held
        grants = Grants(by_site) if by_site else NO_GRANTS
        if len(self._grants) >= MAX_ENTRIES:
            self._grants.clear()
        self._grants[user_id] = _UserGrants(grants, stamp, started)
        return grants

    async def _role_grants(self) -> dict[int, frozenset[str]]:
        """Every role's permissions (a few dozen roles, a few hundred rows): kept whole."""
        from core.identity.models import RolePermission

        if self._roles is not None:
            roles, everyone, loaded_at = self._roles
            if everyone == _generations.everyone and time.monotonic() - loaded_at < self.max_age():
                return roles
        started, everyone = time.monotonic(), _generations.everyone
        collected: dict[int, set[str]] = {}
        for role_id, permission in await RolePermission.all().values_list("role_id", "permission"):
            collected.setdefault(role_id, set()).add(permission)
        roles = {role_id: frozenset(names) for role_id, names in collected.items()}
        self._roles = (roles, everyone, started)
        return roles


def _own_copy(principal: Any) -> Any:
    """A shallow copy of the session or token and of its user, for one request."""
    mine = copy.copy(principal)
    user = copy.copy(principal.user)
    mine.user = user
    return mine

