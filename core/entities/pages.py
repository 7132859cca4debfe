"""Pages for people: the user's sites, and the units of a site (parties: ``party_pages``,
registered beside these by ``core.entities.plugin``).

Access (sign-in, membership of the site in the path, permission) is checked by
``page_route`` before an endpoint runs; endpoints read site data only through
``site_query``/``get_in_site``, so another site's id is a 404.
"""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response

from core.clock import rfc3339
from core.entities import services
from core.entities.api import unit_out
from core.entities.labels import SITE_KIND_LABELS, UNIT_KIND_LABELS
from core.entities.models import UNIT_KINDS, Site, Unit
from core.entities.schemas import UnitChange, UnitIn
from core.i18n import gettext as _
from core.web.templating import render
from core.permissions import AUTHENTICATED
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.forms import FormErrors, changed_meanwhile, form_action, offset_page, page_links, page_number
from core.web.routing import page_route

PAGE_SIZE = 50
UNIT_FORM_FIELDS = ["code", "kind", "building", "floor", "name", "notes"]
#: The kind a new unit form starts with, by the kind of site.
DEFAULT_UNIT_KIND = {"residential": "apartment", "hotel": "room", "retail": "shop", "office": "office"}


async def sites_overview(request: Request) -> Response:
    granted = request.state.permissions_by_site
    sites = await Site.filter(id__in=list(granted)).order_by("code")
    cards = [{"site": site, "kind": SITE_KIND_LABELS.get(site.kind, site.kind),
              "units": "core.unit.read" in granted[site.id], "parties": "core.party.read" in granted[site.id]}
             for site in sites]
    return render(request, "core/entities/sites.html",
                  {"cards": cards, "can_manage_sites": can(request, "core.site.manage")})


async def unit_list(request: Request) -> Response:
    site = current_site(request)
    text = request.query_params.get("q", "")[:100].strip()
    kind = request.query_params.get("kind", "")
    kind = kind if kind in UNIT_KINDS else ""
    units = site_query(request, Unit)
    if text:
        units = services.unit_search(units, text)
    if kind:
        units = units.filter(kind=kind)
    page = page_number(request)
    rows, more = await offset_page(units.order_by("building", "code", "id"), page, PAGE_SIZE)
    return render(request, "core/entities/unit_list.html", {
        "site": site, "units": rows, "q": text, "kind": kind, "kinds": list(UNIT_KIND_LABELS.items()),
        "kind_labels": UNIT_KIND_LABELS, "page": page,
        "links": page_links(request.url.path, {"q": text, "kind": kind}, page, more),
        "can_edit": can(request, "core.unit.edit"),
    })


def _values(unit: Unit) -> dict[str, str]:
    return {**{name: str(getattr(unit, name)) for name in UNIT_FORM_FIELDS}, "version": str(unit.version)}


def _render_unit(request: Request, unit: Unit | None, values: dict, errors: FormErrors | None = None,
                 status_code: int = 200, typed: dict | None = None) -> Response:
    site = current_site(request)
    return render(request, "core/entities/unit.html", {
        "site": site, "unit": unit, "values": values, "errors": errors or FormErrors(),
        "kinds": list(UNIT_KIND_LABELS.items()), "kind_label": UNIT_KIND_LABELS.get(values.get("kind", ""), ""),
        "can_edit": can(request, "core.unit.edit"), "saved": request.query_params.get("saved") == "1",
        "updated_at": rfc3339(unit.updated_at) if unit else None, "typed": typed,
        "action": f"/sites/{site.code}/units/{unit.id}" if unit else f"/sites/{site.code}/units/new",
    }, status_code=status_code)


async def unit_new_form(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                        status_code: int = 200) -> Response:
    values = values or {"kind": DEFAULT_UNIT_KIND.get(current_site(request).kind, "other")}
    return _render_unit(request, None, values, errors, status_code)


async def unit_create(request: Request) -> Response:
    site = current_site(request)
    return await form_action(
        request, fields=UNIT_FORM_FIELDS, schema=UnitIn, page=partial(unit_new_form, request),
        act=lambda body: services.create_unit(site, body.model_dump(), actor=actor_of(request)),
        success_url=lambda unit: f"/sites/{site.code}/units/{unit.id}?saved=1")


async def unit_page(request: Request) -> Response:
    unit = await get_in_site(request, Unit, request.path_params["id"], "unit")
    return _render_unit(request, unit, _values(unit))


async def unit_update(request: Request) -> Response:
    site = current_site(request)
    unit = await get_in_site(request, Unit, request.path_params["id"], "unit")

    async def page(errors: FormErrors, values: dict, status: int) -> Response:
        if changed_meanwhile(status, values, unit):
            # Show the unit as it is now, and what was typed, so the user can apply
            # their change again knowingly.
            message = _("Someone else changed this unit since you opened it. The form now shows the "
                        "current values; enter your change again.")
            return _render_unit(request, unit, _values(unit), FormErrors(general=[message]), status, typed=values)
        return _render_unit(request, unit, values, errors, status)

    return await form_action(
        request, fields=[*UNIT_FORM_FIELDS, "version"], schema=UnitChange, keep_blank=True, page=page,
        act=lambda body: services.update_unit(unit, body.model_dump(exclude={"version"}), body.version, unit_out,
                                              actor=actor_of(request)),
        success_url=f"/sites/{site.code}/units/{unit.id}?saved=1")


def routes():
    units = "/sites/{site}/units"
    return [
        page_route("/sites", sites_overview, permission=AUTHENTICATED),
        page_route(units, unit_list, permission="core.unit.read"),
        page_route(f"{units}/new", unit_new_form, permission="core.unit.edit"),
        page_route(f"{units}/new", unit_create, permission="core.unit.edit", methods=["POST"]),
        page_route(f"{units}/{{id:int}}", unit_page, permission="core.unit.read"),
        page_route(f"{units}/{{id:int}}", unit_update, permission="core.unit.edit", methods=["POST"]),
    ]
