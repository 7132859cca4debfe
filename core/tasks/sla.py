"""SLA clocks: due times in wall-clock minutes or in a site's business hours.

A site's calendar lives in ``Site.settings`` (core's settings group,
``core.site_settings.CORE_GROUP``, changed through the settings API, page and CLI)::

    {"business_hours": {"mon": ["09:00", "18:00"], ..., "sat": null},
     "holidays": ["2026-12-25", "2027-01-01"]}

Business time is counted in the site's time zone (a desk's 09:00 is local); results are
UTC. Written by hand: the business-calendar libraries on PyPI either lack per-site
holidays or pull in pandas.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS = {day: ("09:00", "18:00") for day in DAYS[:5]}
#: A business-time search gives up after this many days (a calendar with no open hours).
MAX_DAYS = 3660


@dataclass(frozen=True)
class Calendar:
    timezone: zoneinfo.ZoneInfo
    hours: dict[int, tuple[dt.time, dt.time]]  # weekday -> (open, close)
    holidays: frozenset[dt.date]

    @classmethod
    def for_site(cls, site) -> "Calendar":
        from core.site_settings import CORE_GROUP, effective  # the site's settings, checked, over the defaults

        settings = effective(site, CORE_GROUP)
        hours = {}
        for index, day in enumerate(DAYS):
            window = getattr(settings.business_hours, day)
            if window:
                hours[index] = (dt.time.fromisoformat(window[0]), dt.time.fromisoformat(window[1]))
        return cls(zoneinfo.ZoneInfo(site.timezone), hours, frozenset(settings.holidays))

    def _windows(self, start: dt.datetime):
        """Business windows (local datetimes) from ``start``'s day onwards."""
        local = start.astimezone(self.timezone)
        day = local.date()
        for _ in range(MAX_DAYS):
            if day not in self.holidays and day.weekday() in self.hours:
                opens, closes = self.hours[day.weekday()]
                yield (dt.datetime.combine(day, opens, self.timezone), dt.datetime.combine(day, closes, self.timezone))
            day += dt.timedelta(days=1)
        raise ValueError("the site's calendar has no business hours")


def add_business_seconds(start: dt.datetime, seconds: float, calendar: Calendar) -> dt.datetime:
    remaining = dt.timedelta(seconds=seconds)
    for opens, closes in calendar._windows(start):
        begin = max(opens, start)
        if begin >= closes:
            continue
        available = closes - begin
        if remaining <= available:
            return (begin + remaining).astimezone(dt.timezone.utc)
        remaining -= available
    raise ValueError("unreachable")  # _windows raises first


def business_seconds_between(start: dt.datetime, end: dt.datetime, calendar: Calendar) -> float:
    if end <= start:
        return 0.0
    total = dt.timedelta()
    for opens, closes in calendar._windows(start):
        if opens >= end:
            break
        begin, finish = max(opens, start), min(closes, end)
        if finish > begin:
            total += finish - begin
    return total.total_seconds()


def due_after(start: dt.datetime, seconds: float, calendar: Calendar | None) -> dt.datetime:
    """When ``seconds`` of SLA time, starting at ``start``, run out."""
    if calendar is None:
        return start + dt.timedelta(seconds=seconds)
    return add_business_seconds(start, seconds, calendar)


def seconds_left(now: dt.datetime, due: dt.datetime, calendar: Calendar | None) -> float:
    """SLA time left until ``due`` (negative when overdue), for pausing the clock."""
    if calendar is None or due <= now:
        return (due - now).total_seconds()
    return business_seconds_between(now, due, calendar)
