"""Rostering's panels on core's pages (the ``page_panels`` hook): on a staff member's home
("my_work") their next published duties and clock state; on "handovers" who is on duty now
and who takes the next shift of each department."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from core.clock import local_time, utcnow
from core.i18n import gettext as _
from core.web.access import can, current_site
from core.web.panels import Panel
from plugins.rostering import duty_views


async def panels(page: str, request: Request) -> Any:
    site = getattr(request.state, "site", None)
    user = getattr(request.state, "user", None)
    if site is None or user is None or not can(request, "rostering.roster.read"):
        return None
    if page == "my_work":
        return await _my_work(request)
    if page == "handovers":
        return await _handovers(request)
    return None


async def _my_work(request: Request) -> Panel:
    site = current_site(request)
    user = request.state.user
    now = utcnow()
    duties = await duty_views.my_duties(site, user.id, now, limit=3)
    shown = [{"day": duty["day"], "shift": f'{duty["shift__name"]} ({duty["shift__code"]})',
              "from": local_time(site, duty["starts_at"]), "to": local_time(site, duty["ends_at"])}
             for duty in duties]
    open_in = await duty_views.open_clock_in(site, user.id)
    return Panel(_("My next shifts"), "rostering/panels/my_work.html",
                 {"rostering_duties": shown, "rostering_since": local_time(site, open_in["clock_in_at"])
                  if open_in else "", "rostering_clock": can(request, "rostering.attendance.clock")},
                 url=f"/sites/{site.code}/rostering/me")


async def _handovers(request: Request) -> Panel:
    site = current_site(request)
    now = utcnow()
    coming = await duty_views.next_shifts(site, now)
    for entry in coming:
        entry["from"], entry["to"] = local_time(site, entry["starts_at"]), local_time(site, entry["ends_at"])
    return Panel(_("Who is on duty"), "rostering/panels/handovers.html",
                 {"rostering_now": await duty_views.on_duty(site, now), "rostering_next": coming},
                 url=f"/sites/{site.code}/rostering/")
