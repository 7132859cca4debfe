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

from core.actors import SYSTEM, Actor
from core.audit import services as audit
from core.clock import utcnow
from core.i18n import gettext as _
from core.identity.models import ApiToken, LoginFailure, Membership, User, UserSession
from core.identity.principals import PrincipalCache, identity_change
from core.identity.passwords import hash_password_async, needs_rehash, verify_password_async
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
#
# Every path that verifies a password (sign-in, API token, password change, the deposit
# witness) goes through ``attempt_password``. Each attempt is counted *before* the password
# is verified, in one transaction that also counts the earlier failures (under a lock on
# PostgreSQL; SQLite's single writer serialises it), so thirty concurrent guesses cannot all
# be judged against the same old count, in one process or many. A success takes its own
# rows back out.
#
# Two counts: per account (low) and per client address (high, since a front desk shares one
# address). The per-account count only holds for browsers the account has not signed in on
# before: a browser that did carries a signed device cookie and keeps a count of its own, so
# nobody can lock a colleague out by guessing at their account.

DEVICE_COOKIE = "frontdesk_device"
DEVICE_COOKIE_DAYS = 400  # the longest browsers keep a cookie
_DEVICES_KEPT = 8  # accounts remembered per browser: a shared desk computer has several


@dataclass(frozen=True)
class Limits:
    per_account: int
    per_address: int
    window: dt.timedelta
    #: After this many failures on an account, each further attempt waits a pause since
    #: the last one (``slow_seconds``, doubling) before the account is suspended; 0: off.
    slow_after: int = 0
    slow_seconds: int = 0

    @classmethod
    def of(cls, settings: Settings) -> "Limits":
        return cls(settings.login_max_failures, settings.login_max_failures_per_address,
                   dt.timedelta(minutes=settings.login_failure_window_minutes),
                   settings.login_slow_after, settings.login_slow_seconds)

    def pause_after(self, failures: int) -> int:
        """Seconds an attempt must wait after the last of ``failures`` recent failures."""
        if not self.slow_after or not self.slow_seconds or failures < self.slow_after:
            return 0
        return self.slow_seconds * 2 ** (failures - self.slow_after)


def account_scope(username: str) -> str:
    return f"user:{username.strip().lower()[:100]}"


def _device_mac(secret_key: str, user_id: int, nonce: str) -> str:
    message = f"device:{user_id}:{nonce}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def _device_entries(secret_key: str, cookie: str) -> dict[int, str]:
    """The accounts (user id -> nonce) this browser signed in as, by the cookie's valid entries."""
    entries: dict[int, str] = {}
    for entry in (cookie or "")[:2000].split("|")[:_DEVICES_KEPT]:
        user_id, _sep, rest = entry.partition(".")
        nonce, _sep, mac = rest.partition(".")
        if user_id.isdigit() and nonce and hmac.compare_digest(mac, _device_mac(secret_key, int(user_id), nonce)):
            entries[int(user_id)] = nonce
    return entries


def recognised_device(secret_key: str, cookie: str, user_id: int) -> str | None:
    """This browser's nonce for the account when it signed in as it before, else None."""
    return _device_entries(secret_key, cookie).get(user_id) if secret_key else None


def remember_device(secret_key: str, cookie: str, user_id: int) -> str:
    """The device cookie's new value after a successful sign-in as ``user_id``: this
    account first (keeping its nonce, hence its count), then the others it held."""
    entries = _device_entries(secret_key, cookie)
    nonce = entries.pop(user_id, None) or secrets.token_urlsafe(12)
    kept = [(user_id, nonce), *list(entries.items())[:_DEVICES_KEPT - 1]]
    return "|".join(f"{uid}.{n}.{_device_mac(secret_key, uid, n)}" for uid, n in kept)


class _Refused(Exception):
    def __init__(self, wait: int):
        self.wait = wait


async def _reserve(limits: Limits, scopes: dict[str, int], slowed: str = "") -> list[int]:
    """Count one attempt in each scope and return its rows' ids; 429 (nothing counted)
    when a scope already holds its limit of failures within the window, or when the
    ``slowed`` scope (the account's) is in its slow phase and the pause since its last
    failure has not passed: guessing slows first, then stops."""
    now = utcnow()
    since = now - limits.window
    try:
        async with in_transaction() as connection:
            if connection.capabilities.dialect == "postgres":
                # Held until commit: the next attempt on the scope counts after this one.
                for scope in sorted(scopes):
                    await connection.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))", [scope])
            # The INSERT comes first: on SQLite it takes the write lock before the count.
            ids = [(await LoginFailure.create(scope=scope, at=now, using_db=connection)).id for scope in scopes]
            wait = 0
            for scope, limit in scopes.items():
                earlier = await LoginFailure.filter(scope=scope, at__gte=since).exclude(id__in=ids).using_db(
                    connection).order_by("-at").limit(limit).values_list("at", flat=True)
                if len(earlier) >= limit:
                    wait = max(wait, math.ceil((earlier[-1] + limits.window - now).total_seconds()), 1)
                elif scope == slowed and earlier and (pause := limits.pause_after(len(earlier))):
                    left = (earlier[0] + dt.timedelta(seconds=pause) - now).total_seconds()
                    if left > 0:
                        wait = max(wait, math.ceil(left))
            if wait:
                raise _Refused(wait)  # rolls the rows back: a refused attempt is not a failure
    except _Refused as refused:
        raise Problem(429, _("Too many failed sign-ins. Try again in %(seconds)s seconds.", seconds=refused.wait),
                      headers={"Retry-After": str(refused.wait)}) from None
    return ids


@dataclass
class Attempt:
    """One counted password check: ``valid`` is the password's verdict alone (the caller
    decides about disabled users); the attempt's rows stay as failures unless released."""

    user: User | None
    valid: bool
    account_scope: str
    reserved: list[int]

    async def release(self, *, clear_account: bool = False) -> None:
        """The password was right: take this attempt's rows back out; with
        ``clear_account`` also the account's (or this browser's) earlier failures."""
        await LoginFailure.filter(id__in=self.reserved).delete()
        if clear_account:
            await LoginFailure.filter(scope=self.account_scope).delete()


async def attempt_password(limits: Limits, username: str, password: str, client_address: str, *,
                           secret_key: str = "", device_cookie: str = "") -> Attempt:
    """Verify ``password`` for ``username`` through the throttle (429 Problem when it holds),
    hashing off the event loop."""
    user = await User.get_or_none(username=username.strip().lower()[:64])
    nonce = recognised_device(secret_key, device_cookie, user.id) if user else None
    scope = f"device:{user.id}:{nonce}" if user and nonce else account_scope(username)
    reserved = await _reserve(limits, {scope: limits.per_account, f"address:{client_address}": limits.per_address},
                              slowed=scope)
    valid = await verify_password_async(user.password_hash if user else None, password)
    return Attempt(user=user, valid=valid, account_scope=scope, reserved=reserved)


async def unlock(user: User, *, actor: Actor = SYSTEM) -> int:
    """Clear the account's failures (``frontdesk user unlock``), audited in the same
    transaction; how many there were."""
    async with in_transaction():
        cleared = await LoginFailure.filter(scope=account_scope(user.username)).delete()
        await audit.record("user.unlock", actor=actor.user, object_type="user", object_id=user.id,
                           after={"failures_cleared": cleared}, client_address=actor.client_address)
    return cleared


@dataclass
class SignIn:
    user: User
    secret: str  # the session id or token to hand to the client; never stored


def _account_named(user: User | None) -> str:
    """What the audit log keeps of a failed sign-in's username: the account's own name when
    one exists, never the text typed for an unknown one (often a password typed into the
    wrong box)."""
    return user.username if user is not None else "unknown account"


async def check_credentials(settings: Settings, username: str, password: str, client_address: str, *,
                            secret_key: str = "", device_cookie: str = "") -> User:
    """The user, or 401/429. Every outcome is audited; failures are counted."""
    try:
        attempt = await attempt_password(Limits.of(settings), username, password, client_address,
                                         secret_key=secret_key, device_cookie=device_cookie)
    except Problem:
        await audit.record("auth.throttled", client_address=client_address,
                           note=_account_named(await User.get_or_none(username=username.strip().lower()[:64])))
        raise
    user, valid = attempt.user, attempt.valid
    if not valid or not user.is_active:
        reason = "disabled" if (valid and user and not user.is_active) else "bad credentials"
        await audit.record("auth.login_failed", actor=user, client_address=client_address,
                           note=f"{_account_named(user)}: {reason}")
        # One message for every failure: the response must not reveal which usernames exist.
        raise Problem(401, _("Wrong username or password, or the account is disabled."))
    new_hash = await hash_password_async(password) if needs_rehash(user.password_hash) else user.password_hash
    async with identity_change(user.id):
        user.password_hash = new_hash
        user.last_login_at = utcnow()
        await user.save(update_fields=["password_hash", "last_login_at"])
        await attempt.release(clear_account=True)
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

    Two small queries: the sign-in with its user, then the user's grants at this one site
    (never every membership: a manager of 300 sites costs what a one-site agent does). It
    reads the database, not the cache, and does not count as activity (``last_seen_at``
    stays): an open stream must not keep an idle session alive.
    """
    is_session = isinstance(principal, UserSession)
    ended = "ended_at" if is_session else "revoked_at"
    rows = await type(principal).filter(id=principal.id).values_list(
        ended, "expires_at", "user_session_version", "user__is_active", "user__session_version",
        "last_seen_at" if is_session else "expires_at", "user_id")
    if not rows:
        return None
    ended_at, expires_at, version, user_active, user_version, last_seen_at, user_id = rows[0]
    idle_deadline = last_seen_at + dt.timedelta(minutes=settings.session_idle_minutes) if is_session else None
    if not _holds(utcnow(), ended_at=ended_at, expires_at=expires_at, version=version, user_active=user_active,
                  user_version=user_version, idle_deadline=idle_deadline):
        return None
    grants = await Membership.filter(user_id=user_id, site_id=site_id).values_list("role__grants__permission",
                                                                                     flat=True)
    if not grants:
        return None  # no membership at the site any more
    return frozenset(permission for permission in grants if permission is not None)


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


async def load_session(settings: Settings, secret: str, cache: PrincipalCache | None = None) -> UserSession | None:
    """The live session for a cookie value, or None (ended, expired, idle, or the user's
    password changed or the user was disabled since). Read through ``cache`` (the app's
    ``PrincipalCache``) when given: no query while nothing changed."""
    if not secret or len(secret) > 100:
        return None
    key_hash = secret_hash(secret)

    async def load():
        return await UserSession.get_or_none(key_hash=key_hash).select_related("user")

    session = await (cache.sign_in("session", key_hash, load) if cache is not None else load())
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
        if cache is not None:
            cache.touched("session", key_hash, last_seen_at=now)
    return session


async def end_session(session: UserSession, client_address: str = "") -> None:
    async with identity_change(session.user_id):
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


async def load_token(secret: str, cache: PrincipalCache | None = None) -> ApiToken | None:
    """The live token for a bearer secret, or None; through ``cache`` as ``load_session``."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    key_hash = secret_hash(secret)

    async def load():
        return await ApiToken.get_or_none(token_hash=key_hash).select_related("user")

    token = await (cache.sign_in("token", key_hash, load) if cache is not None else load())
    if token is None or not _holds(utcnow(), ended_at=token.revoked_at, expires_at=token.expires_at,
                                   version=token.user_session_version, user_active=token.user.is_active,
                                   user_version=token.user.session_version):
        return None
    return token


async def revoke_token(token: ApiToken, client_address: str = "") -> None:
    async with identity_change(token.user_id):
        await ApiToken.filter(id=token.id, revoked_at=None).update(revoked_at=utcnow())
        await audit.record("auth.token_revoked", actor=token.user, object_type="api_token", object_id=token.id,
                           client_address=client_address)
