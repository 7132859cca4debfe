"""Pages for the parties of a site (residents, guests, callers, companies).

Phone numbers and e-mail addresses are personal data: without
``core.party.personal_data`` a user sees them masked, and their forms neither show nor
accept them, so no page ever carries the unmasked values to such a user.
"""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response

from core.clock import rfc3339
from core.entities import services
from core.entities.api import party_out
from core.entities.labels import PARTY_KIND_LABELS
from core.entities.models import PARTY_KINDS, Party
from core.entities.schemas import PartyChange, PartyIn
from core.i18n import gettext as _
from core.web.templating import render
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.forms import FormErrors, changed_meanwhile, form_action, offset_page, page_links, page_number
from core.web.routing import page_route

PAGE_SIZE = 50
PLAIN_FIELDS = ["name", "kind", "notes"]
PERSONAL_FIELDS = ["phones", "email"]


def personal(request: Request) -> bool:
    return can(request, "core.party.personal_data")


def form_fields(request: Request) -> list[str]:
    return PLAIN_FIELDS + PERSONAL_FIELDS if personal(request) else PLAIN_FIELDS


async def party_list(request: Request) -> Response:
    site = current_site(request)
    text = request.query_params.get("q", "")[:100].strip()
    kind = request.query_params.get("kind", "")
    kind = kind if kind in PARTY_KINDS else ""
    parties = site_query(request, Party)
    if text:
        parties = services.party_search(parties, text, by_phone=can(request, "core.party.personal_data"))
    if kind:
        parties = parties.filter(kind=kind)
    page = page_number(request)
    rows, more = await offset_page(parties.order_by("name", "id"), page, PAGE_SIZE)
    unmasked = personal(request)
    return render(request, "core/entities/party_list.html", {
        "site": site, "parties": [party_out(party, unmasked) for party in rows], "q": text, "kind": kind,
        "kinds": list(PARTY_KIND_LABELS.items()), "kind_labels": PARTY_KIND_LABELS, "page": page,
        "links": page_links(request.url.path, {"q": text, "kind": kind}, page, more),
        "can_edit": can(request, "core.party.edit"),
    })


def _values(request: Request, party: Party) -> dict[str, str]:
    values = {"name": party.name, "kind": party.kind, "notes": party.notes, "version": str(party.version)}
    if personal(request):
        values.update(phones="\n".join(party.phones), email=party.email)
    return values


def _data(values: dict[str, str]) -> dict:
    """Form strings as the schema wants them: one phone number per line of the textarea."""
    data = dict(values)
    if "phones" in data:
        data["phones"] = [line.strip() for line in values["phones"].splitlines() if line.strip()]
    return data


def _render_party(request: Request, party: Party | None, values: dict, errors: FormErrors | None = None,
                  status_code: int = 200, typed: dict | None = None) -> Response:
    site = current_site(request)
    return render(request, "core/entities/party.html", {
        "site": site, "party": party_out(party, personal(request)) if party else None, "values": values,
        "errors": errors or FormErrors(), "kinds": list(PARTY_KIND_LABELS.items()),
        "kind_labels": PARTY_KIND_LABELS, "personal": personal(request), "can_edit": can(request, "core.party.edit"),
        "saved": request.query_params.get("saved") == "1", "typed": typed,
        "updated_at": rfc3339(party.updated_at) if party else None,
        "action": f"/sites/{site.code}/parties/{party.id}" if party else f"/sites/{site.code}/parties/new",
    }, status_code=status_code)


async def party_new_form(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                         status_code: int = 200) -> Response:
    return _render_party(request, None, values or {"kind": "person"}, errors, status_code)


async def party_create(request: Request) -> Response:
    site = current_site(request)
    return await form_action(
        request, fields=form_fields(request), schema=PartyIn, prepare=_data, page=partial(party_new_form, request),
        act=lambda body: services.create_party(site, body.model_dump(), actor=actor_of(request)),
        success_url=lambda party: f"/sites/{site.code}/parties/{party.id}?saved=1")


async def party_page(request: Request) -> Response:
    party = await get_in_site(request, Party, request.path_params["id"], "party")
    return _render_party(request, party, _values(request, party))


async def party_update(request: Request) -> Response:
    site = current_site(request)
    party = await get_in_site(request, Party, request.path_params["id"], "party")
    unmasked = personal(request)

    async def page(errors: FormErrors, values: dict, status: int) -> Response:
        if changed_meanwhile(status, values, party):
            message = _("Someone else changed this party since you opened it. The form now shows the "
                        "current values; enter your change again.")
            return _render_party(request, party, _values(request, party), FormErrors(general=[message]), status,
                                 typed=values)
        return _render_party(request, party, values, errors, status)

    # Only the fields this user's form has: without personal_data, phones and e-mail
    # stay as they are.
    return await form_action(
        request, fields=[*form_fields(request), "version"], schema=PartyChange, prepare=_data, keep_blank=True,
        page=page, success_url=f"/sites/{site.code}/parties/{party.id}?saved=1",
        act=lambda body: services.update_party(party, body.model_dump(exclude={"version"}, exclude_unset=True),
                                               body.version, lambda p: party_out(p, unmasked),
                                               actor=actor_of(request)))


def routes():
    parties = "/sites/{site}/parties"
    return [
        page_route(parties, party_list, permission="core.party.read"),
        page_route(f"{parties}/new", party_new_form, permission="core.party.edit"),
        page_route(f"{parties}/new", party_create, permission="core.party.edit", methods=["POST"]),
        page_route(f"{parties}/{{id:int}}", party_page, permission="core.party.read"),
        page_route(f"{parties}/{{id:int}}", party_update, permission="core.party.edit", methods=["POST"]),
    ]
