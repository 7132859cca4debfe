"""The resident desk's site settings (``Site.settings["resident"]``), declared to core.

Read through ``plugins.resident.settings.setting`` (which asks ``core.site_settings``);
changed through the settings API, page and CLI.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from core.i18n import N_
from core.site_settings import Money, SettingGroup, SettingsModel

#: A month, in minutes: the longest first-reply time a site may set.
MONTH_MINUTES = 30 * 24 * 60


class ReplyMinutes(SettingsModel):
    """Minutes within which the resident gets a first reply, per case kind."""

    complaint: int = Field(24 * 60, ge=1, le=MONTH_MINUTES, title=N_("Complaint"))
    repair: int = Field(4 * 60, ge=1, le=MONTH_MINUTES, title=N_("Repair"))
    inquiry: int = Field(4 * 60, ge=1, le=MONTH_MINUTES, title=N_("Inquiry"))
    suggestion: int = Field(48 * 60, ge=1, le=MONTH_MINUTES, title=N_("Suggestion"))


class Targets(SettingsModel):
    """KPI targets as fractions (0.98 is 98%)."""

    on_time_reply_rate: Decimal = Field(Decimal("0.99"), ge=0, le=1, max_digits=5, decimal_places=4,
                                        title=N_("Replied on time"))
    standard_handling_rate: Decimal = Field(Decimal("0.98"), ge=0, le=1, max_digits=5, decimal_places=4,
                                            title=N_("Handled to the standard"))
    satisfaction_rate: Decimal = Field(Decimal("1.00"), ge=0, le=1, max_digits=5, decimal_places=4,
                                       title=N_("Satisfied"))


class RevisitRetry(SettingsModel):
    """How an unreached resident is called again before the revisit goes to the supervisor."""

    attempts: int = Field(3, ge=1, le=10, title=N_("Attempts"))
    interval_hours: int = Field(24, ge=1, le=14 * 24, title=N_("Hours between attempts"))


class ResidentSettings(SettingsModel):
    reply_minutes: ReplyMinutes = Field(
        default_factory=ReplyMinutes, title=N_("First reply within (minutes)"),
        description=N_("Minutes within which a resident must get a first reply, per kind of case."))
    duplicate_window_hours: int = Field(
        72, ge=0, le=24 * 365, title=N_("Duplicate window (hours)"),
        description=N_("Cases on the same unit and category within this many hours are offered for merging."))
    max_reopens: int = Field(
        2, ge=0, le=20, title=N_("Reopenings before the manager"),
        description=N_("A complaint reopened more than this many times goes to the manager."))
    targets: Targets = Field(
        default_factory=Targets, title=N_("KPI targets"),
        description=N_("Targets as fractions: 0.98 is 98%."))
    revisit_retry: RevisitRetry = Field(
        default_factory=RevisitRetry, title=N_("Unreached revisits"),
        description=N_("How many calls an unreached resident gets, and how many hours apart, before the "
                       "revisit goes to the supervisor."))
    renovation_deposit: Money = Field(
        "10000", title=N_("Renovation deposit"),
        description=N_("The deposit a renovation procedure asks for unless the form names another."))


GROUP = SettingGroup("resident", N_("Resident service"), ResidentSettings)
