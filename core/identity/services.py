"""Users, roles, permissions and memberships: the rules, apart from HTTP.

Every change is audited in the same transaction.
"""

from __future__ import annotations

import re
from typing import Iterable

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.actors import SYSTEM, Actor
from core.audit import services as audit
from core.clock import utcnow
from core.entities.models import Site
from core.i18n import gettext as _
from core.identity.models import KnownPermission, Membership, Role, RolePermission, User
from core.identity.passwords import hash_password, password_problems
from core.permissions import Permission
from core.problems import Problem, invalid

BUILTIN_ROLES = (
    "admin", "manager", "supervisor", "agent", "back_office", "front_desk", "housekeeper", "cashier", "call_agent",
)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
ROLE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,39}$")
USER_FIELDS = ["username", "display_name", "email", "locale", "department", "skills", "is_active"]


# --- Roles and permissions -------------------------------------------------------------


def declared_permissions(host) -> dict[str, Permission]:
    return {permission.name: permission for permission in host.collect("register_permissions")}


async def sync_roles_and_permissions(host) -> list[str]:
    """Create the built-in roles and apply default grants of permissions seen for the
    first time. Safe to run from several workers at once. Returns new permissions."""
    for name in BUILTIN_ROLES:
        try:
            await Role.get_or_create(name=name, defaults={"builtin": True})
        except IntegrityError:
            pass  # another worker created it a moment ago
    roles = {role.name: role for role in await Role.all()}
    known = set(await KnownPermission.all().values_list("name", flat=True))
    added = []
    for permission in declared_permissions(host).values():
        if permission.name in known:
            continue
        try:
            async with in_transaction():
                await KnownPermission.create(name=permission.name)
                for role_name in permission.default_roles:
                    if role_name in roles:
                        await RolePermission.get_or_create(role=roles[role_name], permission=permission.name)
            added.append(permission.name)
        except IntegrityError:
            continue
    return added


async def set_role_permissions(role: Role, permissions: Iterable[str], declared: set[str],
                               actor: Actor = SYSTEM) -> None:
    """Set which of the *declared* permissions the role holds. Grants of permissions no
    loaded plugin declares (a disabled plugin's) are kept, not silently dropped."""
    wanted = set(permissions)
    unknown = wanted - declared
    if unknown:
        raise invalid("permissions", _("Unknown permission: %(name)s", name=", ".join(sorted(unknown))))
    async with in_transaction():
        current = set(await RolePermission.filter(role=role).values_list("permission", flat=True))
        wanted |= current - declared
        if current == wanted:
            return
        await RolePermission.filter(role=role, permission__in=list(current - wanted)).delete()
        for name in sorted(wanted - current):
            await RolePermission.create(role=role, permission=name)
        await audit.record("role.permissions_changed", actor=actor.user, object_type="role", object_id=role.id,
                           before={"permissions": sorted(current)}, after={"permissions": sorted(wanted)},
                           client_address=actor.client_address)


async def create_role(name: str, actor: Actor = SYSTEM) -> Role:
    if not ROLE_NAME.match(name):
        raise invalid("name", _("Use 2 to 40 lowercase letters, digits, dots, dashes or underscores."))
    async with in_transaction():
        if await Role.filter(name=name).exists():
            raise Problem(409, _("A role named %(name)s exists already.", name=name))
        role = await Role.create(name=name)
        await audit.record("role.create", actor=actor.user, object_type="role", object_id=role.id,
                           after={"name": name}, client_address=actor.client_address)
    return role


# --- Who may do what, where -------------------------------------------------------------


async def permissions_by_site(user: User) -> dict[int, set[str]]:
    """For each site the user belongs to, the permissions its roles there grant.

    Read on every request (no cache: a revoked membership takes effect at once), so it is
    one query: memberships joined to their roles' grants (a site whose roles grant
    nothing still appears, with no permissions).
    """
    result: dict[int, set[str]] = {}
    rows = await Membership.filter(user_id=user.id).values_list("site_id", "role__grants__permission")
    for site_id, permission in rows:
        granted = result.setdefault(site_id, set())
        if permission is not None:
            granted.add(permission)
    return result


async def members_with_role(site_id: int, *roles: str) -> list[User]:
    """The active members of a site holding one of ``roles``, by id (whom a desk hands
    work to: the supervisor a case escalates to, the housekeepers of a hotel)."""
    ids = await Membership.filter(site_id=site_id, role__name__in=list(roles), user__is_active=True) \
        .values_list("user_id", flat=True)
    return list(await User.filter(id__in=list(set(ids))).order_by("id"))


async def roles_by_site(user: User) -> dict[int, list[str]]:
    rows = await Membership.filter(user_id=user.id).values("site_id", "role__name")
    result: dict[int, list[str]] = {}
    for row in rows:
        result.setdefault(row["site_id"], []).append(row["role__name"])
    return {site: sorted(names) for site, names in result.items()}


# --- Users ----------------------------------------------------------------------------------


def _check_password(password: str, username: str) -> None:
    problems = password_problems(password, username)
    if problems:
        raise Problem(422, " ".join(problems), errors=[{"field": "password", "message": p} for p in problems])


async def create_user(username: str, password: str, *, display_name: str = "", email: str = "",
                      department: str = "", locale: str = "", skills: list[str] | None = None,
                      actor: Actor = SYSTEM) -> User:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise invalid("username", _("Use 2 to 64 lowercase letters, digits, dots, dashes or underscores."))
    _check_password(password, username)
    try:
        async with in_transaction():
            user = await User.create(
                username=username, password_hash=hash_password(password), display_name=display_name or username,
                email=email, department=department, locale=locale, skills=skills or [],
                password_changed_at=utcnow(),
            )
            await audit.record("user.create", actor=actor.user, object_type="user", object_id=user.id,
                               after=audit.snapshot(user, USER_FIELDS), client_address=actor.client_address)
    except IntegrityError:
        raise Problem(409, _("The username %(name)s is taken.", name=username),
                      errors=[{"field": "username", "message": _("taken")}]) from None
    return user


async def update_user(user: User, changes: dict, *, version: int | None = None, actor: Actor = SYSTEM) -> User:
    """Change profile fields (not the password, not activity: those have their own rules).

    With ``version`` the write happens only if nobody saved the user since it was read
    (409 otherwise), in one conditional UPDATE.
    """
    allowed = {"display_name", "email", "locale", "department", "skills"}
    unknown = set(changes) - allowed
    if unknown:
        raise invalid(sorted(unknown)[0], _("This field cannot be changed here."))
    async with in_transaction():
        before = audit.snapshot(user, USER_FIELDS)
        expected = user.version if version is None else version
        if not await User.filter(id=user.id, version=expected).update(**changes, version=expected + 1):
            await user.refresh_from_db()
            raise Problem(409, _("Someone else changed this user since you read it. Reload and try again."))
        await user.refresh_from_db()
        old, new = audit.changed_fields(before, audit.snapshot(user, USER_FIELDS))
        if new:
            await audit.record("user.update", actor=actor.user, object_type="user", object_id=user.id,
                               before=old, after=new, client_address=actor.client_address)
    return user


async def set_password(user: User, password: str, *, actor: Actor = SYSTEM) -> None:
    """Set a new password; every session and token of the user ends at once."""
    _check_password(password, user.username)
    async with in_transaction():
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
        user.has_demo_password = False
        user.session_version += 1
        user.version += 1
        await user.save(update_fields=["password_hash", "password_changed_at", "has_demo_password",
                                       "session_version", "version"])
        await audit.record("user.password_changed", actor=actor.user, object_type="user", object_id=user.id,
                           client_address=actor.client_address)


async def set_active(user: User, active: bool, *, actor: Actor = SYSTEM) -> None:
    """Disable (ending every session and token) or enable a user."""
    if actor.user_id == user.id and not active:
        raise Problem(409, _("You cannot disable your own account."))
    if user.is_active == active:
        return
    async with in_transaction():
        user.is_active = active
        if not active:
            user.session_version += 1
        user.version += 1
        await user.save(update_fields=["is_active", "session_version", "version"])
        await audit.record("user.enabled" if active else "user.disabled", actor=actor.user, object_type="user",
                           object_id=user.id, before={"is_active": not active}, after={"is_active": active},
                           client_address=actor.client_address)


async def grant_membership(user: User, site: Site, role: Role, *, actor: Actor = SYSTEM) -> Membership:
    async with in_transaction():
        membership, created = await Membership.get_or_create(user=user, site=site, role=role)
        if created:
            await audit.record("membership.grant", actor=actor.user, site_id=site.id, object_type="user",
                               object_id=user.id, after={"site": site.code, "role": role.name},
                               client_address=actor.client_address)
    return membership


async def revoke_membership(user: User, site: Site, role: Role, *, actor: Actor = SYSTEM) -> None:
    async with in_transaction():
        deleted = await Membership.filter(user=user, site=site, role=role).delete()
        if deleted:
            await audit.record("membership.revoke", actor=actor.user, site_id=site.id, object_type="user",
                               object_id=user.id, before={"site": site.code, "role": role.name},
                               client_address=actor.client_address)
