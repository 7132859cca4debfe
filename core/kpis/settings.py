"""The site's KPI targets (``Site.settings["kpis"]``), in percent: what every KPI source
is measured against unless it reads targets of its own (``KpiSource.targets``)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from core.i18n import N_
from core.site_settings import SettingGroup, SettingsModel, effective


def _target(default: str, title: str):
    return Field(Decimal(default), ge=0, le=100, max_digits=4, decimal_places=1, title=title)


class KpiTargets(SettingsModel):
    on_time_reply_rate: Decimal = _target("99", N_("Replied on time (%)"))
    standard_handling_rate: Decimal = _target("98", N_("Handled to the standard (%)"))
    satisfaction_rate: Decimal = _target("100", N_("Satisfied (%)"))


GROUP = SettingGroup("kpis", N_("KPI targets"), KpiTargets)


def site_targets(site) -> dict[str, Decimal]:
    """{kpi: target in percent} at ``site``."""
    return dict(effective(site, GROUP).model_dump())
