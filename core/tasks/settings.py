"""The task kernel's site settings (``Site.settings["tasks"]``), declared to core through
``register_site_settings`` (``core.tasks.plugin``): read with ``core.site_settings``,
changed through the settings API, page and CLI like every plugin's."""

from __future__ import annotations

from pydantic import Field

from core.i18n import N_
from core.site_settings import SettingGroup, SettingsModel, value


class TasksSettings(SettingsModel):
    first_contact_resolution: bool = Field(
        True, title=N_("First-contact ownership"),
        description=N_("The person who takes a request may resolve it on the spot, even when balanced assignment "
                       "gave it to someone else; either way they follow it as a watcher."))


GROUP = SettingGroup("tasks", N_("Tasks"), TasksSettings)


def first_contact_resolution(site) -> bool:
    return bool(value(site, GROUP, "first_contact_resolution"))
