"""Rostering's site settings (``Site.settings["rostering"]``), declared to core. Read through
``core.site_settings``; changed through the settings API, page and CLI."""

from __future__ import annotations

from pydantic import Field

from core.i18n import N_
from core.site_settings import SettingGroup, SettingsModel, value


class RosteringSettings(SettingsModel):
    min_rest_hours: int = Field(
        11, ge=0, le=24, title=N_("Minimum rest between duties (hours)"),
        description=N_("A duty that starts sooner than this after the same person's previous duty ends is refused."))
    assign_only_on_duty: bool = Field(
        True, title=N_("Give tasks only to people on duty"),
        description=N_("While a published roster covers the moment, balanced assignment chooses only among people "
                       "rostered then."))
    on_duty_requires_clock_in: bool = Field(
        True, title=N_("On duty means clocked in"),
        description=N_("Someone rostered counts as on duty only once they have clocked in."))
    clock_in_on_sign_in: bool = Field(
        True, title=N_("Clock in on sign-in"),
        description=N_("Signing in at the desk during or shortly before one's duty clocks one in."))
    early_clock_in_minutes: int = Field(
        60, ge=0, le=240, title=N_("Clock-in window before a duty (minutes)"),
        description=N_("How long before a duty starts a clock-in counts for it."))
    late_grace_minutes: int = Field(
        5, ge=0, le=120, title=N_("Grace before late (minutes)"),
        description=N_("A clock-in this long after the duty starts is not yet late."))
    certificate_reminder_days: int = Field(
        30, ge=1, le=365, title=N_("Remind before a certificate expires (days)"),
        description=N_("The supervisor gets a task this many days before a certificate's expiry."))


GROUP = SettingGroup("rostering", N_("Rostering"), RosteringSettings)


def setting(site, key: str):
    """One effective setting of ``site`` (stored value over the default)."""
    return value(site, GROUP, key)
