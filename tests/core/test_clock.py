"""core.clock: the site's clock."""

import datetime as dt


def test_local_time_prints_a_moment_on_the_sites_clock():
    from types import SimpleNamespace

    from core.clock import local_time

    taipei = SimpleNamespace(timezone="Asia/Taipei")
    moment = dt.datetime(2026, 11, 30, 16, 5, tzinfo=dt.timezone.utc)
    assert local_time(taipei, moment) == "2026-12-01 00:05"  # the next day there
    assert local_time(taipei, "2026-11-30T16:05:00Z") == "2026-12-01 00:05"  # the API's text
    assert local_time(taipei, None) == "" and local_time(taipei, "") == ""
