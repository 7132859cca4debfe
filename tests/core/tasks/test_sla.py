"""SLA clocks in wall-clock time and in a site's business hours."""

import datetime as dt
from types import SimpleNamespace

from core.tasks import sla

UTC = dt.timezone.utc


def calendar(**settings):
    return sla.Calendar.for_site(SimpleNamespace(timezone="Asia/Taipei", settings=settings))


def taipei(*args):
    import zoneinfo

    return dt.datetime(*args, tzinfo=zoneinfo.ZoneInfo("Asia/Taipei"))


def test_wall_clock_due_time():
    start = dt.datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert sla.due_after(start, 3600, None) == start + dt.timedelta(hours=1)


def test_business_hours_skip_the_night_and_the_weekend():
    friday_afternoon = taipei(2026, 11, 27, 17, 0)  # a Friday
    due = sla.due_after(friday_afternoon, 2 * 3600, calendar())
    assert due == taipei(2026, 11, 30, 10, 0).astimezone(UTC)  # one hour Friday, one hour Monday


def test_a_task_created_before_opening_starts_counting_at_opening():
    early = taipei(2026, 11, 26, 6, 30)  # Thursday 06:30
    assert sla.due_after(early, 30 * 60, calendar()) == taipei(2026, 11, 26, 9, 30).astimezone(UTC)


def test_holidays_and_custom_hours_of_the_site():
    site_calendar = calendar(business_hours={"mon": ["08:00", "12:00"], "tue": ["08:00", "12:00"]},
                             holidays=["2026-11-30"])
    monday_holiday = taipei(2026, 11, 30, 8, 0)
    assert sla.due_after(monday_holiday, 3600, site_calendar) == taipei(2026, 12, 1, 9, 0).astimezone(UTC)


def test_seconds_left_counts_only_business_time():
    friday = taipei(2026, 11, 27, 17, 0)
    monday = taipei(2026, 11, 30, 10, 0)
    assert sla.seconds_left(friday, monday, calendar()) == 2 * 3600
    assert sla.seconds_left(monday, friday, calendar()) < 0
