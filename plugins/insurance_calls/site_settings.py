"""The insurance phone desk's site settings (``Site.settings["insurance_calls"]``),
declared to core. Read through ``core.site_settings``; changed through the settings API,
page and CLI.
"""

from __future__ import annotations

from pydantic import Field

from core.i18n import N_
from core.site_settings import SettingGroup, SettingsModel


class Targets(SettingsModel):
    """KPI targets in percent."""

    on_time_reply_rate: float = Field(99.0, ge=0, le=100, title=N_("Replied on time (%)"))
    standard_handling_rate: float = Field(98.0, ge=0, le=100, title=N_("Handled to the standard (%)"))
    satisfaction_rate: float = Field(100.0, ge=0, le=100, title=N_("Satisfied (%)"))


class InsuranceCallsSettings(SettingsModel):
    targets: Targets = Field(default_factory=Targets, title=N_("KPI targets"),
                             description=N_("A rate below its target shows red on the KPI report."))


GROUP = SettingGroup("insurance_calls", N_("Insurance calls"), InsuranceCallsSettings)
