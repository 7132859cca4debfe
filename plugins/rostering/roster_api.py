"""JSON routes of shift patterns, rosters and duties under ``/api/v1/sites/{site}/rostering``."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request

from core.clock import rfc3339, utcnow
from core.i18n import gettext as _
from core.problems import Problem, invalid
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.api import api_route
from core.web.pagination import filter_by, paginate
from plugins.rostering import duty_views, rosters, shifts
from plugins.rostering.models import Duty, Roster, ShiftPattern
from plugins.rostering.roster_schemas import (CopyOut, DutyIn, DutyOut, DutyPage, DutyQuery, OnDutyOut, OnDutyQuery,
                                              RosterDetail, RosterIn, RosterOut, RosterPage, RosterQuery, ShiftIn,
                                              ShiftOut, ShiftQuery, ShiftUpdate, VersionIn)

PREFIX = "/api/v1/sites/{site}/rostering"
TAGS = ["rostering"]
READ = "rostering.roster.read"
EDIT = "rostering.roster.edit"


async def list_shifts(request: Request, query: ShiftQuery) -> list[ShiftOut]:
    """The site's shift patterns, by department."""
    found = await shifts.of_site(current_site(request), query.department, query.active)
    return [shifts.shift_out(shift) for shift in found]


async def create_shift(request: Request, body: ShiftIn) -> ShiftOut:
    """A department's shift pattern; an end at or before the start crosses midnight."""
    shift = await shifts.create(current_site(request), actor_of(request), body.model_dump())
    return shifts.shift_out(shift)


async def update_shift(request: Request, body: ShiftUpdate) -> ShiftOut:
    """Change a shift pattern (versioned); duties already drawn keep their times."""
    shift = await get_in_site(request, ShiftPattern, request.path_params["id"], "shift")
    data = body.model_dump(exclude_unset=True)
    version = data.pop("version")
    shift = await shifts.update(shift, current_site(request), actor_of(request), data, version)
    return shifts.shift_out(shift)


async def roster_in_site(request: Request) -> Roster:
    """The roster of the path; a draft is seen only by those who draw rosters (404 else)."""
    roster = await get_in_site(request, Roster, request.path_params["id"], "roster")
    if roster.status != "published" and not can(request, EDIT):
        raise Problem(404, _("No %(what)s with id %(id)s here.", what="roster", id=roster.id))
    return roster


async def list_rosters(request: Request, query: RosterQuery) -> RosterPage:
    """Rosters of the site, newest first; drafts only for those who draw them."""
    found = filter_by(site_query(request, Roster), query, department="department", status="status")
    if not can(request, EDIT):
        found = found.filter(status="published")
    return await paginate(found, query, rosters.roster_out, descending=True)


async def create_roster(request: Request, body: RosterIn) -> RosterOut:
    """A department's roster for a week or a month (at most 31 days), as a draft."""
    return rosters.roster_out(await rosters.create(current_site(request), actor_of(request), body.model_dump()))


async def get_roster(request: Request) -> RosterDetail:
    """A roster with its duties."""
    roster = await roster_in_site(request)
    duties = await rosters.duties_of(roster)
    return {**rosters.roster_out(roster), "duties": [rosters.duty_out(duty) for duty in duties]}


async def add_duty(request: Request, body: DutyIn) -> DutyOut:
    """Put a member on a shift of the roster's department on one of its days."""
    roster = await roster_in_site(request)
    duty = await rosters.add_duty(current_site(request), actor_of(request), roster, body.model_dump())
    return rosters.duty_out(duty)


async def remove_duty(request: Request) -> None:
    """Take a duty off the roster."""
    roster = await roster_in_site(request)
    await rosters.remove_duty(current_site(request), actor_of(request), roster, request.path_params["duty_id"])


async def copy_previous(request: Request) -> CopyOut:
    """Repeat the department's previous week over this roster, skipping what now conflicts."""
    roster = await roster_in_site(request)
    copied, skipped = await rosters.copy_previous(current_site(request), actor_of(request), roster)
    return {"roster": rosters.roster_out(roster), "copied": copied, "skipped": skipped}


async def publish(request: Request, body: VersionIn) -> RosterOut:
    """Publish a draft; refused (409) naming each shift and day under its minimum."""
    roster = await roster_in_site(request)
    return rosters.roster_out(await rosters.publish(current_site(request), actor_of(request), roster, body.version))


async def list_duties(request: Request, query: DutyQuery) -> DutyPage:
    """Duties of the site by person, department and days; published ones only for those who
    do not draw rosters."""
    if query.from_ and query.to and query.to < query.from_:
        raise invalid("to", _("The end of the period must come after its start."))
    duties = filter_by(site_query(request, Duty), query, user_id="user_id", department="shift__department",
                       from_="day__gte", to="day__lte")
    if not can(request, EDIT):
        duties = duties.filter(roster__status="published")
    return await paginate(duties, query, rosters.duty_out, columns=rosters.DUTY_COLUMNS)


async def on_duty(request: Request, query: OnDutyQuery) -> OnDutyOut:
    """Who is on duty at ``at`` (default now), per department: rostered on a published roster,
    and whether clocked in."""
    at = (query.at or utcnow()).astimezone(dt.timezone.utc)
    return {"at": rfc3339(at), "departments": await duty_views.on_duty(current_site(request), at)}


def routes() -> list:
    return [
        api_route(f"{PREFIX}/shifts", list_shifts, permission=READ, query=ShiftQuery, response=list[ShiftOut],
                  tags=TAGS),
        api_route(f"{PREFIX}/shifts", create_shift, method="POST", permission=EDIT, body=ShiftIn, response=ShiftOut,
                  status_code=201, tags=TAGS),
        api_route(PREFIX + "/shifts/{id:int}", update_shift, method="PATCH", permission=EDIT, body=ShiftUpdate,
                  response=ShiftOut, tags=TAGS),
        api_route(f"{PREFIX}/rosters", list_rosters, permission=READ, query=RosterQuery, response=RosterPage,
                  tags=TAGS),
        api_route(f"{PREFIX}/rosters", create_roster, method="POST", permission=EDIT, body=RosterIn,
                  response=RosterOut, status_code=201, tags=TAGS),
        api_route(PREFIX + "/rosters/{id:int}", get_roster, permission=READ, response=RosterDetail, tags=TAGS),
        api_route(PREFIX + "/rosters/{id:int}/duties", add_duty, method="POST", permission=EDIT, body=DutyIn,
                  response=DutyOut, status_code=201, tags=TAGS),
        api_route(PREFIX + "/rosters/{id:int}/duties/{duty_id:int}", remove_duty, method="DELETE", permission=EDIT,
                  status_code=204, tags=TAGS),
        api_route(PREFIX + "/rosters/{id:int}/copy-previous", copy_previous, method="POST", permission=EDIT,
                  response=CopyOut, tags=TAGS),
        api_route(PREFIX + "/rosters/{id:int}/publish", publish, method="POST", permission=EDIT, body=VersionIn,
                  response=RosterOut, tags=TAGS),
        api_route(f"{PREFIX}/duties", list_duties, permission=READ, query=DutyQuery, response=DutyPage, tags=TAGS),
        api_route(f"{PREFIX}/on-duty", on_duty, permission=READ, query=OnDutyQuery, response=OnDutyOut, tags=TAGS),
    ]
