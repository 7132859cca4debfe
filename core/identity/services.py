"""Users, roles, permissions and memberships: the rules, apart from HTTP.

Every change is audited in the same transaction.
"""

from __future__ import annotations

import re
from typing import Iterable

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from core.actors import SYSTEM, Actor
from core.audit import services as audit
from core.clock import utcnow
from core.entities.models import Site
from core.i18n import gettext as _, lazy_gettext as _l, register_labels
from core.identity.principals import identity_change
from core.identity.models import KnownPermission, Membership, Role, RolePermission, User
from core.identity.passwords import hash_password_async, password_problems
from core.permissions import Permission
from core.problems import Problem, invalid

BUILTIN_ROLES = (
    "admin", "manager", "supervisor", "agent", "back_office", "front_desk", "housekeeper", "cashier", "call_agent",
)
#: Departments are free text, but the shipped plugins' rosters and handovers use these
#: names: in words on pages (a department typed otherwise shows as typed).
DEPARTMENT_LABELS = register_labels("core.department", {
    "service": _l("Customer service"), "front_desk": _l("Front desk"), "housekeeping": _l("Housekeeping"),
    "cashier": _l("Cashiers"), "calls": _l("Call centre"),
})
#: The built-in roles in words (a role an admin adds is shown by the name it was given).
ROLE_LABELS = register_labels("core.role", {
    "admin": _l("Administrator"), "manager": _l("Manager"), "supervisor": _l("Supervisor"),
    "agent": _l("Service agent"), "back_office": _l("Back office"), "front_desk": _l("Front desk"),
    "housekeeper": _l("Room attendant"), "cashier": _l("Cashier"), "call_agent": _l("Call agent"),
})
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
ROLE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,39}$")
USER_FIELDS = ["username", "display_name", "email", "locale", "department", "extension", "title", "skills",
               "is_active"]
#: An internal extension: up to 20 digits, ``#``, ``*`` or ``-`` (``8123``, ``*9#``, ``2-114``).
EXTENSION = re.compile(r"^[0-9#*-]{0,20}$")
TITLE_CHARS = User._meta.fields_map["title"].max_length
#: What users change of their own account (``update_own_profile``).
OWN_FIELDS = ("extension", "title")


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
            # A new default grant widens roles other processes may hold in their caches.
            async with identity_change(everyone=True):
                await KnownPermission.create(name=permission.name)
                for role_name in permission.default_roles:
                    if role_name in roles:
                        await RolePermission.get_or_create(role=roles[role_name], permission=permission.name)
            added.append(permission.name)
        except IntegrityError:
            continue
    return added


def _check_role_admin(actor: Actor) -> None:
    """Roles are shared by every site: changing one changes what it grants at sites the
    actor may not administer, so only a super-administrator (or the system) may."""
    if not actor.unbounded:
        raise Problem(403, _("Roles apply at every site: only a super-administrator can change them."))


async def set_role_permissions(role: Role, permissions: Iterable[str], declared: set[str],
                               actor: Actor = SYSTEM) -> None:
    """Set which of the *declared* permissions the role holds. Grants of permissions no
    loaded plugin declares (a disabled plugin's) are kept, not silently dropped."""
    _check_role_admin(actor)
    wanted = set(permissions)
    unknown = wanted - declared
    if unknown:
        raise invalid("permissions", _("Unknown permission: %(name)s", name=", ".join(sorted(unknown))))
    async with identity_change(everyone=True):
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
    _check_role_admin(actor)
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


async def permissions_at(user: User, site_id: int) -> frozenset[str]:
    """The permissions ``user``'s roles grant at one site (empty when not a member): one
    query over that site's memberships only. Requests read the caller's own permissions
    from ``core.identity.principals``; this is for asking about someone else (a witness)."""
    rows = await Membership.filter(user_id=user.id, site_id=site_id).values_list("role__grants__permission",
                                                                                   flat=True)
    return frozenset(permission for permission in rows if permission is not None)


async def site_people(site_id: int) -> dict[int, User]:
    """Every member of a site (active or not, whatever their roles), by id, in username order:
    whom a page names as assignee, author or rostered person, one query each way."""
    user_ids = await Membership.filter(site_id=site_id).values_list("user_id", flat=True)
    return {user.id: user for user in await User.filter(id__in=list(set(user_ids))).order_by("username")}


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


# --- Administration bounded by site -------------------------------------------------------
#
# A permission held at some sites acts on those sites only, on routes at no one site too:
# an admin of harbour sees and changes harbour's people, never lotus's. The rule, once:
# a user the actor administers no site of is not found (404, as if missing); a user they
# can see but who also belongs to a site they do not administer (or who is a
# super-administrator) is refused (403) for anything that changes the account itself.

MANAGE = "core.user.manage"


def administered_sites(actor: Actor) -> set[int] | None:
    """Ids of the sites whose users ``actor`` administers; None for every site."""
    return None if actor.unbounded else actor.sites_with(MANAGE)


def visible_users(actor: Actor):
    """The users ``actor`` may list: those sharing a site the actor administers. Users
    with no membership at all only for super-administrators (and the system)."""
    sites = administered_sites(actor)
    if sites is None:
        return User.all()
    return User.filter(id__in=Subquery(Membership.filter(site_id__in=sorted(sites)).values("user_id")))


async def user_for(actor: Actor, user_id) -> User:
    """One user ``actor`` may see, by id; any other is a 404 like a missing one."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        user_id = 0
    user = await visible_users(actor).get_or_none(id=user_id) if 0 < user_id < 2**31 else None
    if user is None:
        raise Problem(404, _("No user with id %(id)s.", id=user_id))
    return user


async def sites_of(user: User) -> set[int]:
    return set(await Membership.filter(user_id=user.id).values_list("site_id", flat=True))


async def check_administers(actor: Actor, user: User) -> None:
    """403 unless ``actor`` administers every site ``user`` belongs to (password, active,
    profile, tokens): a shared user is changed by someone who administers all their sites."""
    sites = administered_sites(actor)
    if sites is None or actor.user_id == user.id:
        return
    if user.is_superadmin or not await sites_of(user) <= sites:
        raise Problem(403, _("This user also belongs to sites you do not administer; ask an administrator "
                             "of all their sites."))


async def memberships_visible(actor: Actor, users: Iterable[User]) -> dict[int, list[dict[str, str]]]:
    """The memberships of ``users`` at the sites ``actor`` administers (all for the
    unbounded), by user id, each ordered by site and role: one query for a whole page of
    users. Memberships at other sites stay unseen; a user with none is absent."""
    ids = sorted({user.id for user in users})
    if not ids:
        return {}
    rows = Membership.filter(user_id__in=ids)
    if (sites := administered_sites(actor)) is not None:
        rows = rows.filter(site_id__in=sorted(sites))
    result: dict[int, list[dict[str, str]]] = {}
    for row in await rows.order_by("site__code", "role__name").values("user_id", "site__code", "role__name"):
        result.setdefault(row["user_id"], []).append({"site": row["site__code"], "role": row["role__name"]})
    return result


def _no_site(code: str) -> Problem:
    """The refusal of a site that does not exist, or that the actor may not place people
    at: the same answer for both, so it tells nothing of sites beyond the actor's."""
    message = _("No site %(code)s.", code=code)
    return Problem(422, message, errors=[{"field": "site", "message": message}])


async def membership_parts(site_code: str | None, role_name: str | None, *, required: bool = True
                           ) -> tuple[Site | None, Role | None]:
    """The site and role a form or request names (by code and name) for a membership:
    both or neither, and neither only when not ``required``. A blank one ("Choose a
    site.") and an unknown one ("No site X.") are refused together with 422, each
    message naming its field."""
    site_code, role_name = (site_code or "").strip(), (role_name or "").strip()
    if not site_code and not role_name and not required:
        return None, None
    site = await Site.get_or_none(code=site_code) if site_code else None
    role = await Role.get_or_none(name=role_name) if role_name else None
    errors = []
    if site is None:
        errors.append({"field": "site",
                       "message": _("No site %(code)s.", code=site_code) if site_code else _("Choose a site.")})
    if role is None:
        errors.append({"field": "role",
                       "message": _("No role %(name)s.", name=role_name) if role_name else _("Choose a role.")})
    if errors:
        raise Problem(422, " ".join(item["message"] for item in errors), errors=errors)
    return site, role


async def _check_membership_change(actor: Actor, site: Site, role: Role) -> None:
    """Memberships change only at a site the actor administers (else the site is unknown
    to them, as at any route of a site one does not belong to), and never to a role above
    the actor's own there: one granting a permission the actor does not hold at that site."""
    if actor.unbounded:
        return
    held = actor.permissions_by_site.get(site.id, frozenset())
    if MANAGE not in held:
        raise _no_site(site.code)
    granted = set(await RolePermission.filter(role=role).values_list("permission", flat=True))
    if not granted <= held:
        message = _("The role %(role)s grants more than you hold at %(site)s.", role=role.name, site=site.code)
        raise Problem(403, message, errors=[{"field": "role", "message": message}])


def _check_may_set_superadmin(actor: Actor) -> None:
    if not actor.unbounded:
        raise Problem(403, _("Only a super-administrator can change who is one."))


async def _write_superadmin(user: User, flag: bool, actor: Actor) -> None:
    """The write, in the caller's transaction, once the checks passed."""
    if user.is_superadmin == flag:
        return
    user.is_superadmin = flag
    user.version += 1
    await user.save(update_fields=["is_superadmin", "version"])
    await audit.record("user.superadmin_granted" if flag else "user.superadmin_revoked", actor=actor.user,
                       object_type="user", object_id=user.id, before={"is_superadmin": not flag},
                       after={"is_superadmin": flag}, client_address=actor.client_address)


async def set_superadmin(user: User, flag: bool, *, actor: Actor = SYSTEM) -> None:
    """Make ``user`` a super-administrator or not: only the system (the CLI) or another
    super-administrator may."""
    _check_may_set_superadmin(actor)
    async with identity_change(user.id):
        await _write_superadmin(user, flag, actor)


# --- Users ----------------------------------------------------------------------------------


def _check_password(password: str, username: str) -> None:
    problems = password_problems(password, username)
    if problems:
        raise Problem(422, " ".join(problems), errors=[{"field": "password", "message": p} for p in problems])


async def create_user(username: str, password: str, *, display_name: str = "", email: str = "",
                      department: str = "", locale: str = "", skills: list[str] | None = None,
                      extension: str = "", title: str = "",
                      site: str | None = None, role: str | None = None, actor: Actor = SYSTEM) -> User:
    """Create a user, with a first membership at the site coded ``site`` in the role named
    ``role``: both or neither (``membership_parts``), never a user silently left without
    the membership asked for.

    Someone who administers only some sites must place the new user at one of them: a user
    with no site is reachable by super-administrators only, so it would be lost to its
    creator."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise invalid("username", _("Use 2 to 64 lowercase letters, digits, dots, dashes or underscores."))
    _check_contact({"extension": extension, "title": title})
    site, role = await membership_parts(site, role, required=not actor.unbounded)
    if site is not None and role is not None:
        await _check_membership_change(actor, site, role)
    _check_password(password, username)
    password_hash = await hash_password_async(password)  # before the transaction: it takes a while
    try:
        async with in_transaction():
            user = await User.create(
                username=username, password_hash=password_hash, display_name=display_name or username,
                email=email, department=department, locale=locale, skills=skills or [],
                extension=extension, title=title, password_changed_at=utcnow(),
            )
            await audit.record("user.create", actor=actor.user, object_type="user", object_id=user.id,
                               after=audit.snapshot(user, USER_FIELDS), client_address=actor.client_address)
            if site is not None and role is not None:
                await grant_membership(user, site, role, actor=actor)
    except IntegrityError:
        raise Problem(409, _("The username %(name)s is taken.", name=username),
                      errors=[{"field": "username", "message": _("taken")}]) from None
    return user


def _check_contact(changes: dict) -> None:
    """The extension and job title the staff directory shows: an extension is digits,
    ``#``, ``*`` and ``-`` only (422 naming ``extension``), a title at most 100 characters."""
    if "extension" in changes and not EXTENSION.match(changes["extension"] or ""):
        raise invalid("extension", _("Use up to 20 digits, #, * or -."))
    if "title" in changes and len(changes["title"] or "") > TITLE_CHARS:
        raise invalid("title", _("Enter at most %(count)s characters.", count=TITLE_CHARS))


async def _check_may_update(user: User, changes: dict, actor: Actor) -> None:
    allowed = {"display_name", "email", "locale", "department", "skills", *OWN_FIELDS}
    unknown = set(changes) - allowed
    if unknown:
        raise invalid(sorted(unknown)[0], _("This field cannot be changed here."))
    _check_contact(changes)
    await check_administers(actor, user)


async def _write_profile(user: User, changes: dict, version: int | None, actor: Actor) -> None:
    """The write, in the caller's transaction, once the checks passed; 409 when stale."""
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


async def update_user(user: User, changes: dict, *, version: int | None = None, actor: Actor = SYSTEM) -> User:
    """Change profile fields (not the password, not activity: those have their own rules).

    With ``version`` the write happens only if nobody saved the user since it was read
    (409 otherwise), in one conditional UPDATE.
    """
    await _check_may_update(user, changes, actor)
    async with identity_change(user.id):
        await _write_profile(user, changes, version, actor)
    return user


async def set_skills(user: User, skills: list[str], *, version: int | None = None, actor: Actor = SYSTEM,
                     site_id: int | None = None, action: str = "user.update") -> User:
    """Replace a user's skills for a plugin that checked its own permission first (a hotel
    supervisor giving attendants their ``section:<name>``): one conditional UPDATE (409
    when ``version`` is stale), audited as ``action`` at ``site_id``, inside
    ``identity_change`` so every process forgets the cached user (whose skills route work)."""
    async with identity_change(user.id):
        before = list(user.skills or [])
        expected = user.version if version is None else version
        if not await User.filter(id=user.id, version=expected).update(skills=list(skills), version=expected + 1):
            await user.refresh_from_db()
            raise Problem(409, _("Someone else changed this user since you read it. Reload and try again."))
        await user.refresh_from_db()
        if before != list(user.skills or []):
            await audit.record(action, actor=actor.user, site_id=site_id, object_type="user", object_id=user.id,
                               before={"skills": before}, after={"skills": list(user.skills or [])},
                               client_address=actor.client_address)
    return user


async def update_own_profile(actor: Actor, changes: dict, *, version: int | None = None) -> User:
    """The signed-in user changes their own extension and job title (``OWN_FIELDS``; any
    other field is refused, 422 naming it): no administrator needed, audited as
    ``user.update`` like an administrator's change, 409 when ``version`` is stale."""
    if actor.user is None:
        raise Problem(401, _("Sign in first."))
    unknown = set(changes) - set(OWN_FIELDS)
    if unknown:
        raise invalid(sorted(unknown)[0], _("This field cannot be changed here."))
    _check_contact(changes)
    user = await User.get(id=actor.user.id)
    if not changes:
        return user
    async with identity_change(user.id):
        await _write_profile(user, changes, version, actor)
    return user


async def change_user(user: User, changes: dict, *, version: int | None = None, active: bool | None = None,
                      superadmin: bool | None = None, actor: Actor = SYSTEM) -> User:
    """Profile fields (``update_user``), activity (``set_active``) and the
    super-administrator flag (``set_superadmin``) at once, all or nothing: every refusal
    is checked before anything is written, and the writes share one transaction (a stale
    ``version`` undoes them all). None leaves activity or the flag as it is."""
    if superadmin is not None:
        _check_may_set_superadmin(actor)
    if changes:
        await _check_may_update(user, changes, actor)
    if active is not None:
        await _check_may_set_active(user, active, actor)
    async with identity_change(user.id):
        if changes:
            await _write_profile(user, changes, version, actor)
        if active is not None:
            await _write_active(user, active, actor)
        if superadmin is not None:
            await _write_superadmin(user, superadmin, actor)
    return user


async def set_password(user: User, password: str, *, actor: Actor = SYSTEM) -> None:
    """Set a new password; every session and token of the user ends at once."""
    await check_administers(actor, user)
    _check_password(password, user.username)
    password_hash = await hash_password_async(password)
    async with identity_change(user.id):
        user.password_hash = password_hash
        user.password_changed_at = utcnow()
        user.has_demo_password = False
        user.session_version += 1
        user.version += 1
        await user.save(update_fields=["password_hash", "password_changed_at", "has_demo_password",
                                       "session_version", "version"])
        await audit.record("user.password_changed", actor=actor.user, object_type="user", object_id=user.id,
                           client_address=actor.client_address)


async def _check_may_set_active(user: User, active: bool, actor: Actor) -> None:
    if actor.user_id == user.id and not active:
        raise Problem(409, _("You cannot disable your own account."))
    await check_administers(actor, user)


async def _write_active(user: User, active: bool, actor: Actor) -> None:
    """The write, in the caller's transaction, once the checks passed."""
    if user.is_active == active:
        return
    user.is_active = active
    if not active:
        user.session_version += 1
    user.version += 1
    await user.save(update_fields=["is_active", "session_version", "version"])
    await audit.record("user.enabled" if active else "user.disabled", actor=actor.user, object_type="user",
                       object_id=user.id, before={"is_active": not active}, after={"is_active": active},
                       client_address=actor.client_address)


async def set_active(user: User, active: bool, *, actor: Actor = SYSTEM) -> None:
    """Disable (ending every session and token) or enable a user."""
    await _check_may_set_active(user, active, actor)
    async with identity_change(user.id):
        await _write_active(user, active, actor)


async def grant_membership(user: User, site: Site, role: Role, *, actor: Actor = SYSTEM) -> Membership:
    await _check_membership_change(actor, site, role)
    async with identity_change(user.id):
        membership, created = await Membership.get_or_create(user=user, site=site, role=role)
        if created:
            await audit.record("membership.grant", actor=actor.user, site_id=site.id, object_type="user",
                               object_id=user.id, after={"site": site.code, "role": role.name},
                               client_address=actor.client_address)
    return membership


async def revoke_membership(user: User, site: Site, role: Role, *, actor: Actor = SYSTEM) -> None:
    await _check_membership_change(actor, site, role)
    async with identity_change(user.id):
        deleted = await Membership.filter(user=user, site=site, role=role).delete()
        if deleted:
            await audit.record("membership.revoke", actor=actor.user, site_id=site.id, object_type="user",
                               object_id=user.id, before={"site": site.code, "role": role.name},
                               client_address=actor.client_address)


# --- The staff directory ---------------------------------------------------------------------
#
# Every active member of a site, for colleagues to look up an extension (熟記內線電話): the
# name, department, job title, extension and roles there, nothing more (no username, no
# e-mail). Who may read it is the route's business (a member of the site with
# ``core.directory.read``); this reads one site's people only.

DIRECTORY_COLUMNS = ("id", "display_name", "department", "title", "extension")
#: Department, then name; the id breaks ties (and keys the API's cursor).
DIRECTORY_ORDER = ("department", "display_name", "id")


def directory_people(site_id: int, text: str = ""):
    """The active members of the site ``site_id`` in directory order; ``text`` searches
    names, extensions and departments."""
    users = User.filter(is_active=True, id__in=Subquery(Membership.filter(site_id=site_id).values("user_id")))
    text = text.strip()
    if text:
        users = users.filter(Q(display_name__icontains=text) | Q(extension__icontains=text)
                             | Q(department__icontains=text))
    return users.order_by(*DIRECTORY_ORDER)


async def directory_page(site_id: int, text: str = "", *, limit: int, after: tuple[str, str, int] | None = None,
                         offset: int = 0) -> tuple[list[dict], bool]:
    """One page of the directory, each person a dict of ``DIRECTORY_COLUMNS`` plus
    ``roles`` (their roles at the site), and whether more follow. ``after`` is the
    (department, name, id) of the last person of the previous page (the API's keyset
    cursor); pages count by ``offset`` instead. Two queries, whatever the page's size."""
    users = directory_people(site_id, text)
    if after is not None:
        department, name, last_id = after
        users = users.filter(Q(department__gt=department) | Q(department=department, display_name__gt=name)
                             | Q(department=department, display_name=name, id__gt=last_id))
    if offset:
        users = users.offset(offset)
    rows = await users.limit(limit + 1).values(*DIRECTORY_COLUMNS)
    more = len(rows) > limit
    rows = rows[:limit]
    roles: dict[int, list[str]] = {}
    if rows:
        held = Membership.filter(site_id=site_id, user_id__in=[row["id"] for row in rows])
        for user_id, role in await held.order_by("role__name").values_list("user_id", "role__name"):
            roles.setdefault(user_id, []).append(role)
    return [{**row, "roles": roles.get(row["id"], [])} for row in rows], more
