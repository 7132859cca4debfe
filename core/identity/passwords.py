"""Password rules and hashing (argon2id through argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.i18n import gettext as _

MINIMUM_LENGTH = 10
MAXIMUM_LENGTH = 1024  # argon2 hashes anything, but a megabyte "password" is an attack

# argon2-cffi's defaults are argon2id with the RFC 9106 "low memory" profile.
_hasher = PasswordHasher()

# Verifying against this keeps the time of "unknown user" close to "wrong password", so
# response times do not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("frontdesk-timing-equaliser")


def password_problems(password: str, username: str) -> list[str]:
    """What is wrong with a new password (empty when it is acceptable)."""
    problems = []
    if len(password) < MINIMUM_LENGTH:
        problems.append(_("A password needs at least %(count)s characters.", count=MINIMUM_LENGTH))
    if len(password) > MAXIMUM_LENGTH:
        problems.append(_("A password may have at most %(count)s characters.", count=MAXIMUM_LENGTH))
    if username and password.strip().casefold() == username.strip().casefold():
        problems.append(_("The password must not be the username."))
    return problems


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash still costs one verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
