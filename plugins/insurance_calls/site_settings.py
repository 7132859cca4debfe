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


class Telephony(SettingsModel):
    """The telephone system's webhook (``plugins/insurance_calls/telephony_api.py``)."""

    webhook_secret: str = Field("", max_length=200, pattern=r"^$|^\S{16,200}$", title=N_("Webhook secret"),
                                description=N_("The key the telephone system signs its call events with (at least 16 "
                                               "characters, no spaces). Empty: the webhook is off."))


class InsuranceCallsSettings(SettingsModel):
    targets: Targets = Field(default_factory=Targets, title=N_("KPI targets"),
                             description=N_("A rate below its target shows red on the KPI report."))
    telephony: Telephony = Field(default_factory=Telephony, title=N_("Telephone system"),
                                 description=N_("Incoming calls pop the caller's history on the agent's call page."))


GROUP = SettingGroup("insurance_calls", N_("Insurance calls"), InsuranceCallsSettings)
