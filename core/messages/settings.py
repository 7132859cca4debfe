"""The outbox's site settings (``Site.settings["messages"]``): quiet hours."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field

from core.i18n import N_
from core.site_settings import SettingGroup, SettingsModel, effective

#: "HH:MM", or empty for none.
ClockTime = Annotated[str, Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9])?$")]


class MessagesSettings(SettingsModel):
    quiet_hours_start: ClockTime = Field(
        "21:00", title=N_("Quiet hours from"),
        description=N_("From this local time no e-mail or SMS goes out to residents, guests or callers (as 21:00; "
                       "blank: none). In-app notices to staff are not held back."))
    quiet_hours_end: ClockTime = Field(
        "08:00", title=N_("Quiet hours until"),
        description=N_("Messages held back during quiet hours go out at this local time (as 08:00)."))


GROUP = SettingGroup("messages", N_("Messages"), MessagesSettings)


def _clock(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def after_quiet_hours(site, moment: dt.datetime) -> dt.datetime:
    """``moment`` (UTC), or the end of the site's quiet hours when it falls inside them."""
    settings = effective(site, GROUP)
    if not settings.quiet_hours_start or not settings.quiet_hours_end:
        return moment
    start, end = _clock(settings.quiet_hours_start), _clock(settings.quiet_hours_end)
    if start == end:
        return moment
    zone = ZoneInfo(site.timezone)
    local = moment.astimezone(zone)
    now = local.time()
    # Quiet hours usually cross midnight (21:00-08:00); they may not (12:00-14:00).
    inside = (start <= now or now < end) if start > end else (start <= now < end)
    if not inside:
        return moment
    day = local.date() if now < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=zone).astimezone(dt.timezone.utc)
