"""The hotel's site settings (``Site.settings["hotel"]``), declared to core.

Read through ``core.site_settings`` (``services.settings_of`` returns them as a dict);
changed through the settings API, page and CLI.
"""

from __future__ import annotations

from pydantic import Field

from core.i18n import N_
from core.site_settings import SettingGroup, SettingsModel


class HotelSettings(SettingsModel):
    inspection_required: bool = Field(
        False, title=N_("Inspection required"),
        description=N_("A cleaned vacant room is ready to sell only after a supervisor inspects it."))
    hygiene_required_for_departure: bool = Field(
        False, title=N_("Hygiene record required for a departure"),
        description=N_("A departure room's cleaning cannot finish before its hygiene record is written."))
    night_audit_hour: int = Field(
        3, ge=0, le=23, title=N_("Night audit hour"),
        description=N_("The local hour (0 to 23) at which the night audit closes the hotel's day."))
    stocktake_recount_units: int = Field(
        2, ge=0, le=1_000_000, title=N_("Stocktake: recount above (units)"),
        description=N_("A counted line whose variance is more than this many units, and more than the "
                       "percentage below, needs a second count by someone else before the sheet is submitted."))
    stocktake_recount_percent: int = Field(
        10, ge=0, le=1000, title=N_("Stocktake: recount above (percent)"),
        description=N_("The variance as a percentage of the expected quantity past which a line needs a "
                       "second count (together with the units above; 0 means any variance)."))


GROUP = SettingGroup("hotel", N_("Hotel"), HotelSettings)
