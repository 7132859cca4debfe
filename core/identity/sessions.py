"""Sign-in: server-side browser sessions, API tokens and the failed-login throttle.

The browser keeps only a random session id; the server keeps its SHA-256 with the user's
``session_version``. Logout ends the row; a password change or disabling the user bumps
``session_version``, which ends every session and token of that user at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core.audit import services as audit
from core.clock import utcnow
from core.i18n import gettext as _
from core.identity.models import ApiToken, LoginFailure, User, UserSession
from core.identity.passwords import hash_password, needs_rehash, verify_password
from core.settings import Settings
from core.problems import Problem

TOKEN_PREFIX = "fdt_"
# last_seen_at is written at most this often, so reading pages does not mean writing rows.
LAST_SEEN_RESOLUTION = dt.timedelta(seconds=60)


def csrf_token_for(secret_key: str, session_secret: str) -> str:
    """The session's CSRF token, derived from its secret: never stored, so it cannot leak
    from the database or its query log, and it dies with the session."""
    return hmac.new(secret_key.encode(), b"csrf:" + session_secret.encode(), hashlib.sha256).hexdigest()


def secret_hash(secret: str) -> str:
    # A fast hash is right here: the secret is 256 random bits, not a guessable password.
    return hashlib.sha256(secret.encode()).hexdigest()


# --- The throttle -------------------------------------------------------------------------


def _scopes(username: str, client_address: str) -> list[str]:
    return [f"user:{username.strip().lower()[:100]}", f"address:{client_address}"]


async def seconds_until_allowed(settings: Settings, username: str, client_address: str) -> int:
    """0 when a sign-in may be tried; else how long until the oldest counted failure
    leaves the window. Counted in the database, so every worker sees the same."""
    window = dt.timedelta(minutes=settings.login_failure_window_minutes)
    since = utcnow() - window
    wait = 0
    for scope in _scopes(username, client_address):
        failures = await LoginFailure.filter(scope=scope, at__gte=since).order_by("-at").limit(
            settings.login_max_failures).values_list("at", flat=True)
        if len(failures) >= settings.login_max_failures:
            oldest_counted = failures[-1]
            wait = max(wait, math.ceil((oldest_counted + window - utcnow()).total_seconds()))
    return max(wait, 0)


async def _record_failure(username: str, client_address: str) -> None:
    now = utcnow()
    for scope in _scopes(username, client_address):
        await LoginFailure.create(scope=scope, at=now)


@dataclass
class SignIn:
    user: User
    secret: str  # the session id or token to hand to the client; never stored


def _account_named(user: User | None) -> str:
    """What the audit log keeps of a failed sign-in's username: the account's own name when
    one exists, never the text typed for an unknown one (often a password typed into the
    wrong box)."""
    return user.username if user is not None else "unknown account"


async def check_credentials(settings: Settings, username: str, password: str, client_address: str) -> User:
    """The user, or 401/429. Every outcome is audited; failures are counted."""
    wait = await seconds_until_allowed(settings, username, client_address)
    if wait:
        await audit.record("auth.throttled", client_address=client_address,
                           note=_account_named(await User.get_or_none(username=username.strip().lower()[:64])))
        raise Problem(429, _("Too many failed sign-ins. Try again in %(seconds)s seconds.", seconds=wait),
                      headers={"Retry-After": str(wait)})
    user = await User.get_or_none(username=username.strip().lower())
    valid = verify_password(user.password_hash if user else None, password)
    if not valid or not user.is_active:
        await _record_failure(username, client_address)
        reason = "disabled" if (valid and user and not user.is_active) else "bad credentials"
        await audit.record("auth.login_failed", actor=user, client_address=client_address,
                           note=f"{_account_named(user)}: {reason}")
        # One message for every failure: the response must not reveal which usernames exist.
        raise Problem(401, _("Wrong username or password, or the account is disabled."))
    async with in_transaction():
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = utcnow()
        await user.save(update_fields=["password_hash", "last_login_at"])
        await LoginFailure.filter(scope=_scopes(username, client_address)[0]).delete()
        await audit.record("auth.login", actor=user, client_address=client_address)
    return user


# --- Whether a sign-in still holds -----------------------------------------------------------


def _holds(now: dt.datetime, *, ended_at: dt.datetime | None, expires_at: dt.datetime, version: int,
           user_active: bool, user_version: int, idle_deadline: dt.datetime | None = None) -> bool:
    """The one rule for a session or token speaking for its user: not ended (logout,
    revocation), not expired or idle, the user active and their ``session_version``
    unchanged since it began (a password change or disabling bumps it). Each request
    (``load_session``/``load_token``) and each long-lived stream (``still_holds``) ask it."""
    return (ended_at is None and expires_at > now and user_active and user_version == version
            and (idle_deadline is None or idle_deadline > now))


async def still_holds(settings: Settings, principal: UserSession | ApiToken, site_id: int) -> frozenset[str] | None:
    """For a request that outlives its start (the live event stream): the permissions the
    user holds at ``site_id`` now, or None when the session or token no longer holds (by
    the same rule as each request) or the user is no longer a member there.

    One query: the sign-in, its user and the user's grants, joined. It does not count as
    activity (``last_seen_at`` stays): an open stream must not keep an idle session alive.
    """
    is_session = isinstance(principal, UserSession)
    ended = "ended_at" if is_session else "revoked_at"
    rows = await type(principal).filter(id=principal.id).values_list(
        ended, "expires_at", "user_session_version", "user__is_active", "user__session_version",
        "last_seen_at" if is_session else "expires_at",
        "user__memberships__site_id", "user__memberships__role__grants__permission")
    if not rows:
        return None
    ended_at, expires_at, version, user_active, user_version, last_seen_at = rows[0][:6]
    idle_deadline = last_seen_at + dt.timedelta(minutes=settings.session_idle_minutes) if is_session else None
    if not _holds(utcnow(), ended_at=ended_at, expires_at=expires_at, version=version, user_active=user_active,
                  user_version=user_version, idle_deadline=idle_deadline):
        return None
    memberships = [(member_site, permission) for *_, member_site, permission in rows if member_site == site_id]
    if not memberships:
        return None
    return frozenset(permission for _site, permission in memberships if permission is not None)


# --- Browser sessions -----------------------------------------------------------------------


async def start_session(settings: Settings, user: User, client_address: str = "", user_agent: str = "") -> SignIn:
    """A new session with a new id (never a reused one: no session fixation)."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    await UserSession.create(
        key_hash=secret_hash(secret), user=user, user_session_version=user.session_version,
        last_seen_at=now,
        expires_at=now + dt.timedelta(hours=settings.session_absolute_hours),
        client_address=client_address[:64], user_agent=user_agent[:300],
    )
    return SignIn(user=user, secret=secret)


async def load_session(settings: Settings, secret: str) -> UserSession | None:
    """The live session for a cookie value, or None (ended, expired, idle, or the user's
    password changed or the user was disabled since)."""
    if not secret or len(secret) > 100:
        return None
    session = await UserSession.get_or_none(key_hash=secret_hash(secret)).select_related("user")
    if session is None:
        return None
    now = utcnow()
    if not _holds(now, ended_at=session.ended_at, expires_at=session.expires_at,
                  version=session.user_session_version, user_active=session.user.is_active,
                  user_version=session.user.session_version,
                  idle_deadline=session.last_seen_at + dt.timedelta(minutes=settings.session_idle_minutes)):
        return None
    if now - session.last_seen_at >= LAST_SEEN_RESOLUTION:
        session.last_seen_at = now
        await UserSession.filter(id=session.id).update(last_seen_at=now)
    return session


async def end_session(session: UserSession, client_address: str = "") -> None:
    async with in_transaction():
        await UserSession.filter(id=session.id, ended_at=None).update(ended_at=utcnow())
        await audit.record("auth.logout", actor=session.user, client_address=client_address)


# --- API tokens -------------------------------------------------------------------------------


async def issue_token(settings: Settings, user: User) -> tuple[str, ApiToken]:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = await ApiToken.create(
        token_hash=secret_hash(secret), user=user, user_session_version=user.session_version,
        expires_at=utcnow() + dt.timedelta(hours=settings.api_token_hours),
    )
    return secret, token


async def load_token(secret: str) -> ApiToken | None:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = await ApiToken.get_or_none(token_hash=secret_hash(secret)).select_related("user")
    if token is None or not _holds(utcnow(), ended_at=token.revoked_at, expires_at=token.expires_at,
                                   version=token.user_session_version, user_active=token.user.is_active,
                                   user_version=token.user.session_version):
        return None
    return token


async def revoke_token(token: ApiToken, client_address: str = "") -> None:
    async with in_transaction():
        await ApiToken.filter(id=token.id, revoked_at=None).update(revoked_at=utcnow())
        await audit.record("auth.token_revoked", actor=token.user, object_type="api_token", object_id=token.id,
                           client_address=client_address)
