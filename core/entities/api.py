"""JSON routes for sites, units and parties."""

from __future__ import annotations

from starlette.requests import Request

from core.entities import services
from core.entities.models import Party, Site, Unit
from core.entities.privacy import mask_email, mask_phone
from core.entities.schemas import (PartyChange, PartyIn, PartyOut, PartyPage, PartyQuery, SiteChange, SiteIn,
                                   SiteOut, UnitChange, UnitIn, UnitOut, UnitPage, UnitQuery, UnitSuggestions,
                                   UnitSuggestQuery)
from core.entities.units import suggest_units
from core import site_settings
from core.permissions import AUTHENTICATED
from core.site_settings import SiteSettingsChange, SiteSettingsOut
from core.web.access import actor_of, can, current_site, forget_site, get_in_site, site_query
from core.web.api import api_route
from core.web.pagination import filter_by, given_filters, paginate, paginate_equal


def site_out(site: Site) -> dict:
    return SiteOut.model_validate(site, from_attributes=True).model_dump()


#: The columns ``unit_out`` reads (``UnitOut``'s fields): the list fetches exactly these
#: as plain rows (``core.rows``), single reads take them from the model.
UNIT_COLUMNS = tuple(UnitOut.model_fields)
#: The same for ``party_out`` (``PartyOut``'s fields).
PARTY_COLUMNS = tuple(PartyOut.model_fields)


def unit_out(unit: Unit | dict) -> dict:
    """A unit as the API shows it, from the model or from a plain row of ``UNIT_COLUMNS``."""
    return unit if isinstance(unit, dict) else {name: getattr(unit, name) for name in UNIT_COLUMNS}


def party_out(party: Party | dict, unmasked: bool) -> dict:
    """A party as the API shows it, from the model or from a plain row of ``PARTY_COLUMNS``;
    phone numbers and e-mail masked unless ``unmasked``."""
    data = dict(party) if isinstance(party, dict) else {name: getattr(party, name) for name in PARTY_COLUMNS}
    # A new list either way: the answer never shares the model's own.
    data["phones"] = list(data["phones"]) if unmasked else [mask_phone(phone) for phone in data["phones"]]
    if not unmasked:
        data["email"] = mask_email(data["email"]) if data["email"] else ""
    return data


async def list_sites(request: Request) -> list[SiteOut]:
    """The caller's sites."""
    site_ids = list(request.state.permissions_by_site)
    return [site_out(site) for site in await Site.filter(id__in=site_ids).order_by("code")]


async def create_site(request: Request, body: SiteIn) -> SiteOut:
    """Create a site (its creator is not made a member: add memberships next)."""
    return site_out(await services.create_site(body.model_dump(), actor=actor_of(request)))


async def update_site(request: Request, body: SiteChange) -> SiteOut:
    site = current_site(request)
    changes = body.model_dump(exclude_unset=True, exclude_none=True, exclude={"version"})
    site = await services.update_site(site, changes, body.version, site_out, host=request.app.state.host,
                                      actor=actor_of(request))
    forget_site(request, site.code)
    return site_out(site)


async def list_units(request: Request, query: UnitQuery) -> UnitPage:
    """Units of the site; ``q`` searches code, name and building."""
    filters = {"kind": "kind", "building": "building"}
    if not query.q:  # equalities only: SQL written once per shape, no query building
        return await paginate_equal(Unit, UNIT_COLUMNS, query, unit_out, site_id=current_site(request).id,
                                    equal=given_filters(query, **filters))
    units = services.unit_search(site_query(request, Unit), query.q)
    return await paginate(filter_by(units, query, **filters), query, unit_out, columns=UNIT_COLUMNS)


async def unit_suggestions(request: Request, query: UnitSuggestQuery) -> UnitSuggestions:
    """Codes starting with ``q`` in any case: what every unit field suggests as one types."""
    return {"items": await suggest_units(current_site(request).id, query.q)}


async def create_unit(request: Request, body: UnitIn) -> UnitOut:
    return unit_out(await services.create_unit(current_site(request), body.model_dump(), actor=actor_of(request)))


async def get_unit(request: Request) -> UnitOut:
    return unit_out(await get_in_site(request, Unit, request.path_params["id"], "unit"))


async def update_unit(request: Request, body: UnitChange) -> UnitOut:
    unit = await get_in_site(request, Unit, request.path_params["id"], "unit")
    changes = body.model_dump(exclude_unset=True, exclude_none=True, exclude={"version"})
    return unit_out(await services.update_unit(unit, changes, body.version, unit_out, actor=actor_of(request)))


def _party_serializer(request: Request):
    unmasked = can(request, "core.party.personal_data")
    return lambda party: party_out(party, unmasked)


async def list_parties(request: Request, query: PartyQuery) -> PartyPage:
    """Parties of the site; ``q`` searches names and phone numbers."""
    serialize = _party_serializer(request)
    if not query.q:  # equalities only: SQL written once per shape, no query building
        return await paginate_equal(Party, PARTY_COLUMNS, query, serialize, site_id=current_site(request).id,
                                    equal=given_filters(query, kind="kind"))
    parties = services.party_search(site_query(request, Party), query.q,
                                    by_phone=can(request, "core.party.personal_data"))
    return await paginate(filter_by(parties, query, kind="kind"), query, serialize, columns=PARTY_COLUMNS)


async def create_party(request: Request, body: PartyIn) -> PartyOut:
    party = await services.create_party(current_site(request), body.model_dump(), actor=actor_of(request))
    return _party_serializer(request)(party)


async def get_party(request: Request) -> PartyOut:
    party = await get_in_site(request, Party, request.path_params["id"], "party")
    return _party_serializer(request)(party)


async def update_party(request: Request, body: PartyChange) -> PartyOut:
    party = await get_in_site(request, Party, request.path_params["id"], "party")
    changes = body.model_dump(exclude_unset=True, exclude_none=True, exclude={"version"})
    serialize = _party_serializer(request)
    return serialize(await services.update_party(party, changes, body.version, serialize, actor=actor_of(request)))


async def get_settings(request: Request) -> SiteSettingsOut:
    """Every settings group of the site: each key's value, default, type, bounds, label and
    help, and the site's ``version`` to send back with a change."""
    site, described = await site_settings.read(current_site(request), request.app.state.host,
                                               actor=actor_of(request))
    return site_settings.settings_out(site, described)


async def change_settings(request: Request, body: SiteSettingsChange) -> SiteSettingsOut:
    """Change some keys: ``{"version": 3, "values": {"cashier": {"refund_approval_limit": "5000"}}}``.
    All or nothing; 422 names ``<group>.<key>``, 409 when ``version`` is stale."""
    host = request.app.state.host
    site = await site_settings.change(current_site(request), body.values, body.version, host,
                                      actor=actor_of(request))
    forget_site(request, site.code)
    return site_settings.settings_out(site, site_settings.describe(site, host))


STALE = {409: "Stale version: the body's `current` is the record now"}


def routes():
    base = "/api/v1/sites/{site}"
    tags = ["entities"]
    return [
        api_route("/api/v1/sites", list_sites, permission=AUTHENTICATED, response=list[SiteOut], tags=tags),
        api_route("/api/v1/sites", create_site, method="POST", permission="core.site.manage", body=SiteIn,
                  response=SiteOut, status_code=201, tags=tags, responses={409: "Code taken"}),
        api_route(base, update_site, method="PATCH", permission="core.site.manage", body=SiteChange,
                  response=SiteOut, tags=tags, responses=STALE),
        api_route(f"{base}/settings", get_settings, permission="core.site.manage", response=SiteSettingsOut,
                  tags=tags),
        api_route(f"{base}/settings", change_settings, method="PATCH", permission="core.site.manage",
                  body=SiteSettingsChange, response=SiteSettingsOut, tags=tags, responses=STALE),
        api_route(f"{base}/units", list_units, permission="core.unit.read", query=UnitQuery, response=UnitPage, tags=tags),
        api_route(f"{base}/units/suggestions", unit_suggestions, permission="core.unit.read", query=UnitSuggestQuery,
                  response=UnitSuggestions, tags=tags),
        api_route(f"{base}/units", create_unit, method="POST", permission="core.unit.edit", body=UnitIn,
                  response=UnitOut, status_code=201, tags=tags, responses={409: "Code taken"}),
        api_route(f"{base}/units/{{id:int}}", get_unit, permission="core.unit.read", response=UnitOut, tags=tags),
        api_route(f"{base}/units/{{id:int}}", update_unit, method="PATCH", permission="core.unit.edit",
                  body=UnitChange, response=UnitOut, tags=tags, responses=STALE),
        api_route(f"{base}/parties", list_parties, permission="core.party.read", query=PartyQuery,
                  response=PartyPage, tags=tags),
        api_route(f"{base}/parties", create_party, method="POST", permission="core.party.edit", body=PartyIn,
                  response=PartyOut, status_code=201, tags=tags),
        api_route(f"{base}/parties/{{id:int}}", get_party, permission="core.party.read", response=PartyOut, tags=tags),
        api_route(f"{base}/parties/{{id:int}}", update_party, method="PATCH", permission="core.party.edit",
                  body=PartyChange, response=PartyOut, tags=tags, responses=STALE),
    ]
