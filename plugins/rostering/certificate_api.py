"""Certificates API under ``/api/v1/sites/{site}/rostering/certificates``.

Reading needs only the roster permission every staff member holds: without
``rostering.certificate.read`` a caller sees their own certificates alone (another
person's is a 404, as if it were not there).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from tortoise.queryset import QuerySet

from core.clock import local_today
from core.entities import code_lists
from core.i18n import gettext as _
from core.problems import Problem
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.api import api_route
from core.web.pagination import paginate
from plugins.rostering import certificates
from plugins.rostering.certificate_schemas import (CertificateIn, CertificateOut, CertificatePage,
                                                   CertificateQuery, CertificateUpdate)
from plugins.rostering.code_lists import CERTIFICATE_KINDS
from plugins.rostering.models import Certificate

PREFIX = "/api/v1/sites/{site}/rostering/certificates"
TAGS = ["rostering"]
SEE_OWN = "rostering.roster.read"


def visible(request: Request, user_id: int | None = None) -> QuerySet[Certificate]:
    """The certificates the caller may read at the site, narrowed to ``user_id`` if given."""
    rows = site_query(request, Certificate)
    if can(request, certificates.READ):
        return rows.filter(user_id=user_id) if user_id is not None else rows
    own = request.state.user.id
    if user_id is not None and user_id != own:
        raise Problem(404, _("No certificates of user %(id)s here.", id=user_id))
    return rows.filter(user_id=own)


def filtered(rows: QuerySet[Certificate], today: dt.date, *, kind: str | None = None,
             expiring_within_days: int | None = None, expired: bool | None = None) -> QuerySet[Certificate]:
    if kind:
        rows = rows.filter(kind=kind)
    if expiring_within_days is not None:
        rows = rows.filter(expires_on__lte=today + dt.timedelta(days=expiring_within_days))
    if expired is True:
        rows = rows.filter(expires_on__lt=today)
    elif expired is False:
        rows = rows.filter(expires_on__gte=today)
    return rows


async def readable(request: Request) -> Certificate:
    certificate = await get_in_site(request, Certificate, request.path_params["id"], "certificate")
    if not can(request, certificates.READ) and certificate.user_id != request.state.user.id:
        raise Problem(404, _("No %(what)s with id %(id)s here.", what="certificate", id=certificate.id))
    return certificate


async def _out(request: Request, certificate: Certificate) -> dict[str, Any]:
    site = current_site(request)
    return certificates.certificate_out(site, certificate, actor_of(request),
                                        people=await certificates.people_of([certificate]),
                                        kind_labels=await code_lists.labels(site, CERTIFICATE_KINDS))


async def list_certificates(request: Request, query: CertificateQuery) -> CertificatePage:
    """Certificates at the site (one's own only, without rostering.certificate.read)."""
    site = current_site(request)
    today = local_today(site)
    rows = filtered(visible(request, query.user_id), today, kind=query.kind,
                    expiring_within_days=query.expiring_within_days, expired=query.expired)
    page = await paginate(rows, query, lambda certificate: certificate)
    people = await certificates.people_of(page["items"])
    labels = await code_lists.labels(site, CERTIFICATE_KINDS)
    actor = actor_of(request)
    page["items"] = [certificates.certificate_out(site, certificate, actor, people=people, kind_labels=labels,
                                                  today=today) for certificate in page["items"]]
    return page


async def create_certificate(request: Request, body: CertificateIn) -> CertificateOut:
    """Record a member's certificate; its expiry may not be past."""
    certificate = await certificates.create(current_site(request), actor_of(request), body.model_dump())
    return await _out(request, certificate)


async def get_certificate(request: Request) -> CertificateOut:
    """One certificate (one's own only, without rostering.certificate.read)."""
    return await _out(request, await readable(request))


async def update_certificate(request: Request, body: CertificateUpdate) -> CertificateOut:
    """Edit or renew (a new expires_on) with the version read; a renewal past the reminder
    window closes the reminder task."""
    data = body.model_dump(exclude_unset=True)
    version = data.pop("version")
    certificate = await get_in_site(request, Certificate, request.path_params["id"], "certificate")
    certificate = await certificates.update(request.app.state.tasks, current_site(request), certificate, data,
                                            version, actor_of(request))
    return await _out(request, certificate)


def routes() -> list:
    return [
        api_route(PREFIX, list_certificates, permission=SEE_OWN, query=CertificateQuery, response=CertificatePage,
                  tags=TAGS),
        api_route(PREFIX, create_certificate, method="POST", permission=certificates.EDIT, body=CertificateIn,
                  response=CertificateOut, status_code=201, tags=TAGS),
        api_route(PREFIX + "/{id:int}", get_certificate, permission=SEE_OWN, response=CertificateOut, tags=TAGS),
        api_route(PREFIX + "/{id:int}", update_certificate, method="PATCH", permission=certificates.EDIT,
                  body=CertificateUpdate, response=CertificateOut, tags=TAGS),
    ]
