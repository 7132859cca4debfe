"""Sites by code, kept per process, and told of every change.

Nearly every request names a site (``/sites/{code}/...``): its row (time zone, currency,
default language, and the site settings every desk reads) is kept by each process
instead of read each time. A change must still reach every process at once: an admin
who lowers the refund approval limit, or switches first-contact ownership off, expects
the next request anywhere to obey it, and the CLI (``frontdesk site settings``) writes
from a process of its own.

So every write to a site runs inside ``site_change(code)``, as identity writes run inside
``core.identity.principals.identity_change``:

- in this process the site is forgotten right after the commit;
- on PostgreSQL a NOTIFY on ``CHANNEL`` is sent inside the transaction, so every other
  process hears it at the commit (and never for a rollback), on the event bus's listening
  connection (``forget_from_notice``, wired in ``core.app``);
- what no notice reaches (a row changed by hand, SQLite with several workers, a dropped
  bus connection) is trusted ``MAX_AGE_WITH_BUS`` seconds with a live bus and
  ``MAX_AGE_ALONE`` without one.
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from tortoise.transactions import in_transaction

from core.entities.models import Site

log = logging.getLogger("frontdesk.sites")

CHANNEL = "frontdesk_sites"
MAX_AGE_WITH_BUS = 60.0
MAX_AGE_ALONE = 1.0
MAX_ENTRIES = 10_000

#: Per process (every app in it shares it): a site's generation moves with each change
#: committed to it, here or (through a notice) elsewhere; ``total`` with any change.
_generations: dict[str, int] = {}
_total = [0]


def forget(code: str) -> None:
    """Every cache in this process drops ``code`` (an empty code: every site)."""
    _total[0] += 1
    _generations[code] = _generations.get(code, 0) + 1


def forget_from_notice(payload: str) -> None:
    """A NOTIFY from another process: the payload is the changed site's code."""
    forget(payload.strip()[:64])


@asynccontextmanager
async def site_change(code: str) -> AsyncIterator[Any]:
    """A transaction that changes the site ``code``: yields its connection; every process
    forgets the site once it commits (see the module's docstring). Inside an outer
    transaction the local forgetting happens at the end of this block, a little before the
    outer commit; the maximum age covers that gap."""
    async with in_transaction() as connection:
        yield connection
        if connection.capabilities.dialect == "postgres":
            await connection.execute_query("SELECT pg_notify($1, $2)", [CHANNEL, code])
    forget(code)


class SiteCache:
    """One per app (``app.state.site_cache``): tests run several apps, on several
    databases, in one process, and their sites must not meet."""

    def __init__(self) -> None:
        self._sites: dict[str, tuple[Site, int, float]] = {}
        #: Set by the app: whether a cross-process bus is listening right now.
        self.bus_alive = lambda: False

    def max_age(self) -> float:
        return MAX_AGE_WITH_BUS if self.bus_alive() else MAX_AGE_ALONE

    async def get(self, code: str) -> Site | None:
        """The site ``code`` (None when there is none), from the cache while it holds."""
        if len(code) > 32 or not code.isprintable():
            return None  # no site has such a code (and PostgreSQL refuses a NUL in a query)
        entry = self._sites.get(code)
        generation = _generations.get(code, 0) + _generations.get("", 0)
        if entry is not None and entry[1] == generation and time.monotonic() - entry[2] < self.max_age():
            return entry[0]
        changes = _total[0]
        site = await Site.get_or_none(code=code)
        if site is None:
            self._sites.pop(code, None)
        elif _total[0] == changes:  # a change committed while this read is not kept
            if len(self._sites) >= MAX_ENTRIES:
                self._sites.clear()
            self._sites[code] = (site, generation, time.monotonic())
        return site

    def forget(self, code: str) -> None:
        self._sites.pop(code, None)

    def clear(self) -> None:
        self._sites.clear()
