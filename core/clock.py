"""Time: stored in UTC, always timezone-aware."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def rfc3339(moment: dt.datetime | None) -> str | None:
    """``2026-11-26T21:52:38Z``: the API's time format (UTC, whole seconds)."""
    if moment is None:
        return None
    # isoformat, not strftime: several times faster, and lists call this for every row
    # (the first branch is the usual case: the database gives UTC).
    if moment.tzinfo is dt.timezone.utc:
        return moment.isoformat(timespec="seconds")[:-6] + "Z"
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
