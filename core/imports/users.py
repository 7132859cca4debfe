"""Core's importer of staff accounts with their roles at the site (``core.users``).

A user is created without a password: the stored hash is no hash at all, so nobody can
sign in as them until an administrator sets one (``frontdesk user passwd``, the user
administration page). A file therefore never carries passwords, and none reaches a log,
the audit or a report.

Usernames are global: one already taken (at this site or any other) is a row error, so
an import never changes or reaches into an existing account. Roles are names of existing
roles; an unknown one is a row error, and so is one granting more than the importer
holds at the site (the rule of ``grant_membership``).
"""

from __future__ import annotations

from typing import Any

from core.i18n import LANGUAGES, N_
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.identity.models import Membership, Role, RolePermission, User
from core.identity.services import EXTENSION, MANAGE, USER_FIELDS, USERNAME
from core.imports import BATCH, CellError, Column, ImportContext, Importer, Row, RowError, cells
from core.imports.entities import LANGUAGE_WORDS
from core.imports.services import audit_created

#: Stored instead of a password hash: argon2 refuses to verify it, so the account cannot
#: sign in until a password is set.
NO_LOGIN_HASH = "!imported-without-password"


def _username(value: str) -> str:
    value = value.strip().lower()
    if not USERNAME.match(value):
        raise CellError(_("Use 2 to 64 lowercase letters, digits, dots, dashes or underscores."))
    return value


def _extension(value: str) -> str:
    value = cells.unquote(value)
    if not EXTENSION.match(value):
        raise CellError(_("Use up to 20 digits, #, * or -."))
    return value


def _role(value: str) -> str:
    return value.strip().lower()


COLUMNS = (
    Column("username", N_("Username"), aliases=("帳號", "账号", "使用者名稱", "用户名", "login", "user"),
           required=True, parse=_username),
    Column("display_name", N_("Display name"), aliases=("姓名", "顯示名稱", "显示名称", "name"), parse=cells.text(200)),
    Column("email", N_("E-mail"), aliases=("電子郵件", "电子邮件", "email", "mail"), parse=cells.email()),
    Column("roles", N_("Roles"), aliases=("角色", "角色", "role"), default=[], parse=cells.items(_role, 10),
           help=N_("Role names at this site, separated by ; or , (e.g. agent; supervisor).")),
    Column("department", N_("Department"), aliases=("部門", "部门"), parse=cells.text(40)),
    Column("title", N_("Job title"), aliases=("職稱", "职称", "title"), parse=cells.text(100)),
    Column("extension", N_("Extension"), aliases=("分機", "分机", "內線", "内线"), parse=_extension),
    Column("locale", N_("Language"), aliases=("語言", "语言", "language"), parse=cells.choice(LANGUAGES, LANGUAGE_WORDS)),
)
EXPORT_FIELDS = ["username", "display_name", "email", "department", "title", "extension", "locale"]


async def validate(rows: list[Row], context: ImportContext) -> list[RowError]:
    usernames = [row.values["username"] for row in rows]
    taken: set[str] = set()
    for start in range(0, len(usernames), BATCH):
        taken |= set(await User.filter(username__in=usernames[start:start + BATCH]).values_list("username", flat=True))
    errors = cells.duplicates(rows, "username", taken, lambda name: _("The username %(value)s is taken.", value=name))
    grants: dict[str, set[str]] = {}
    for name, permission in await RolePermission.all().values_list("role__name", "permission"):
        grants.setdefault(name, set()).add(permission)
    roles = set(await Role.all().values_list("name", flat=True))
    actor, site = context.actor, context.site
    held = frozenset() if actor.unbounded else actor.permissions_by_site.get(site.id, frozenset())
    for row in rows:
        for role in row.values["roles"]:
            if role not in roles:
                errors.append(RowError(row.number, "roles", _("No role %(name)s.", name=role)))
            elif not actor.unbounded and not grants.get(role, set()) <= held:
                errors.append(RowError(row.number, "roles", _("The role %(role)s grants more than you hold at "
                                                              "%(site)s.", role=role, site=site.code)))
    context.state["role_ids"] = dict(await Role.all().values_list("name", "id"))
    return errors


async def write(rows: list[Row], context: ImportContext) -> int:
    site = context.site
    users = [User(username=row.values["username"], display_name=row.values["display_name"] or row.values["username"],
                  email=row.values["email"], department=row.values["department"], title=row.values["title"],
                  extension=row.values["extension"], locale=row.values["locale"], skills=[],
                  password_hash=NO_LOGIN_HASH) for row in rows]
    await User.bulk_create(users, batch_size=BATCH)
    stored: list[User] = []
    for start in range(0, len(users), BATCH):
        stored += await User.filter(username__in=[u.username for u in users[start:start + BATCH]])
    ids = {user.username: user.id for user in stored}
    role_ids = context.state["role_ids"]
    memberships = [Membership(user_id=ids[row.values["username"]], site_id=site.id, role_id=role_ids[role])
                   for row in rows for role in row.values["roles"]]
    await Membership.bulk_create(memberships, batch_size=BATCH)
    await audit_created(context, "user.create", "user", stored, USER_FIELDS)
    # One entry per membership, as grant_membership writes it.
    by_id = {user.id: user for user in stored}
    names = {role_id: name for name, role_id in role_ids.items()}
    granted = [_Granted(by_id[m.user_id].id, site.code, names[m.role_id]) for m in memberships]
    await audit_created(context, "membership.grant", "user", granted, ["site", "role"])
    return len(stored)


class _Granted:
    """A membership as its audit entry describes it: the user's id, the site and role names."""

    def __init__(self, user_id: int, site: str, role: str):
        self.id, self.site, self.role = user_id, site, role


async def export(context: ImportContext) -> list[dict[str, Any]]:
    site_id = context.site.id
    roles: dict[int, list[str]] = {}
    for user_id, role in await Membership.filter(site_id=site_id).order_by("role__name").values_list(
            "user_id", "role__name"):
        roles.setdefault(user_id, []).append(role)
    users = await User.filter(id__in=list(roles)).order_by("username").values("id", *EXPORT_FIELDS)
    return [{**user, "roles": roles[user["id"]]} for user in users]


USERS = Importer("core.users", _l("Users and their roles at the site"), MANAGE, COLUMNS, write=write, export=export,
                 validate=validate,
                 description=_l("One row per new account, with its roles at this site. Accounts are created "
                                "without a password: set one before they sign in. A username already taken "
                                "is an error."))
