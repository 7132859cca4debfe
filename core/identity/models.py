"""Who may sign in, where, and with which rights.

Sessions and API tokens are rows on the server (only a hash of the secret is stored), so
logout, a password change or disabling a user ends them at once.
"""

from tortoise import fields
from tortoise.models import Model


class User(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=200, default="")
    email = fields.CharField(max_length=254, default="")
    #: argon2id hash, re-hashed at sign-in when the parameters change.
    password_hash = fields.CharField(max_length=255)
    #: The user's language (empty: follow the browser).
    locale = fields.CharField(max_length=10, default="")
    #: The department whose handovers the user reads (front_desk, housekeeping, ...).
    department = fields.CharField(max_length=40, default="")
    #: The internal telephone extension colleagues dial (digits, ``#``, ``*``, ``-``), shown
    #: in the site's staff directory (empty: none).
    extension = fields.CharField(max_length=20, default="")
    #: The job title shown in the staff directory (客服主管, Night auditor...).
    title = fields.CharField(max_length=100, default="")
    #: Skills used by balanced assignment (e.g. ["complaints", "english"]).
    skills = fields.JSONField(default=list)
    is_active = fields.BooleanField(default=True)
    #: Administers every site, present and future (users, memberships, roles, sites, the
    #: whole audit log). Explicit, never inferred from memberships: set only by the CLI or
    #: by another super-administrator. Desk work at a site still needs a membership there.
    is_superadmin = fields.BooleanField(default=False)
    #: Still signs in with the published demo password: every page warns while any does.
    has_demo_password = fields.BooleanField(default=False)
    #: Bumped to end every session and token of the user at once.
    session_version = fields.IntField(default=1)
    password_changed_at = fields.DatetimeField(null=True)
    last_login_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "core_user"
        ordering = ["username"]


class Role(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40, unique=True)
    builtin = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_role"
        ordering = ["name"]


class RolePermission(Model):
    id = fields.IntField(primary_key=True)
    role = fields.ForeignKeyField("core.Role", related_name="grants", on_delete=fields.CASCADE)
    permission = fields.CharField(max_length=80)

    class Meta:
        table = "core_role_permission"
        unique_together = (("role", "permission"),)


class Membership(Model):
    """A user holds a role at a site (one row per role)."""

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("core.User", related_name="memberships", on_delete=fields.CASCADE)
    site = fields.ForeignKeyField("core.Site", related_name="memberships", on_delete=fields.CASCADE)
    role = fields.ForeignKeyField("core.Role", related_name="memberships", on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_membership"
        unique_together = (("user", "site", "role"),)


class UserSession(Model):
    """A browser sign-in. The cookie holds a random id, the database only its SHA-256."""

    id = fields.IntField(primary_key=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    user = fields.ForeignKeyField("core.User", related_name="sessions", on_delete=fields.CASCADE)
    #: The user's session_version when this session began (a bump invalidates it).
    user_session_version = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    client_address = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=300, default="")

    class Meta:
        table = "core_user_session"


class ApiToken(Model):
    """A bearer token for scripts and apps (only its SHA-256 is stored)."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    user = fields.ForeignKeyField("core.User", related_name="api_tokens", on_delete=fields.CASCADE)
    user_session_version = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "core_api_token"


class LoginFailure(Model):
    """One failed sign-in, counted per account and per client address by every worker."""

    id = fields.IntField(primary_key=True)
    #: "user:<username>" or "address:<ip>".
    scope = fields.CharField(max_length=120, db_index=True)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "core_login_failure"


class KnownPermission(Model):
    """Permissions already seen by this installation.

    A plugin's default grants are applied once, when its permission first appears, so an
    admin who later removes a grant is not overruled at the next start.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80, unique=True)
    first_seen_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_known_permission"


class IdempotencyRecord(Model):
    """The first answer to a POST sent with an ``Idempotency-Key``, replayed for repeats.

    The unique (user, key) pair is the lock: of two identical requests racing, exactly one
    inserts the claim and does the work; the other waits for and replays its answer.
    """

    id = fields.BigIntField(primary_key=True)
    user_id = fields.IntField()
    key = fields.CharField(max_length=200)
    method = fields.CharField(max_length=10)
    path = fields.CharField(max_length=400)
    body_hash = fields.CharField(max_length=64)
    #: 0 while the first request is still being handled.
    status_code = fields.IntField(default=0)
    response_body = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_idempotency_record"
        unique_together = (("user_id", "key"),)
