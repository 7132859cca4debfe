"""Password rules and hashing (argon2id through argon2-cffi).

The server hashes and verifies through ``hash_password_async`` / ``verify_password_async``:
argon2 takes tens of milliseconds of CPU and 64 MiB on purpose, and run on the event loop
it would stall every other request meanwhile (16 sign-ins held /healthz for seconds). The
sync functions stay for code that runs outside the server (the demo loader, the CLI).
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.i18n import gettext as _

MINIMUM_LENGTH = 10
MAXIMUM_LENGTH = 1024  # argon2 hashes anything, but a megabyte "password" is an attack

# argon2-cffi's defaults are argon2id with the RFC 9106 "low memory" profile; the settings
# password_time_cost, password_memory_kib and password_parallelism default to the same.
_hasher = PasswordHasher()

# Verifying against this keeps the time of "unknown user" close to "wrong password", so
# response times do not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("frontdesk-timing-equaliser")


def configure_hashing(time_cost: int, memory_kib: int, parallelism: int) -> None:
    """Hash new passwords with these argon2id parameters (from settings; see
    ``config/default.toml``). Per process: the app, the CLI and the test kit call it with
    their settings. Existing hashes keep verifying, since a hash carries its parameters;
    ``needs_rehash`` upgrades them at the next sign-in."""
    global _hasher, _DUMMY_HASH
    wanted = (time_cost, memory_kib, parallelism)
    if (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism) == wanted:
        return
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    _DUMMY_HASH = _hasher.hash("frontdesk-timing-equaliser")


def configure_hashing_from(settings) -> None:
    configure_hashing(settings.password_time_cost, settings.password_memory_kib, settings.password_parallelism)


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


# argon2-cffi releases the GIL while hashing, so threads run in parallel. A pool of its own,
# bounded: a burst of sign-ins queues here instead of taking every default-pool thread (the
# database driver uses those) or 64 MiB times the burst of memory.
HASH_THREADS = max(2, min(4, os.cpu_count() or 1))
HASH_NICENESS = 10


def _yield_to_the_event_loop() -> None:
    """Run hashing threads (and argon2's lane threads, which inherit it) at a lower
    priority than the event loop: with every core busy hashing, the loop still gets the CPU
    when a request arrives. Linux sets niceness per thread; elsewhere this does nothing."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICENESS)
    except (AttributeError, OSError):
        pass


_pool = ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="frontdesk-argon2",
                           initializer=_yield_to_the_event_loop)


async def hash_password_async(password: str) -> str:
    """``hash_password`` in the hashing pool, leaving the event loop free."""
    return await asyncio.get_running_loop().run_in_executor(_pool, hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    """``verify_password`` in the hashing pool, leaving the event loop free."""
    return await asyncio.get_running_loop().run_in_executor(_pool, verify_password, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
