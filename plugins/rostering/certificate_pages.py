"""Certificate pages under ``/sites/{site}/rostering/certificates``: the list (expired first,
then expiring soonest) with the form to add one, and one certificate with its renew/edit
form. The pages call the same service functions as the API (``certificates``).

``task_panel`` is the certificate's panel on the page of its reminder task (the lead's
``pages.py`` re-exports it: the task page asks the ``pages`` module of the subject's plugin).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from core.clock import local_today
from core.entities import code_lists
from core.identity.services import site_people
from core.tasks.types import SubjectPanel
from core.i18n import gettext as _
from core.web.access import actor_of, can, current_site
from core.web.forms import FormErrors, changed_meanwhile, form_action, form_int, offset_page, page_links, page_number
from core.web.routing import page_route
from core.web.templating import render
from plugins.rostering import certificates
from plugins.rostering.certificate_api import SEE_OWN, filtered, readable, visible
from plugins.rostering.certificate_schemas import CertificateIn, CertificateUpdate
from plugins.rostering.code_lists import CERTIFICATE_KINDS
from plugins.rostering.models import Certificate
from plugins.rostering.site_settings import setting

BASE = "/sites/{site}/rostering/certificates"
NEW_FIELDS = ["user_id", "kind", "number", "issued_on", "expires_on", "note"]
EDIT_FIELDS = ["version", "kind", "number", "issued_on", "expires_on", "note"]
PAGE_SIZE = 100


def _url(request: Request, certificate_id: int | None = None) -> str:
    base = BASE.format(site=current_site(request).code)
    return base if certificate_id is None else f"{base}/{certificate_id}"


async def _choices(request: Request) -> dict[str, Any]:
    site = current_site(request)
    kinds = [(item.code, code_lists.shown_label(item))
             for item in await code_lists.items(site, CERTIFICATE_KINDS, active_only=True)]
    people = [(str(user.id), user.display_name or user.username)
              for user in (await site_people(site.id)).values() if user.is_active]
    return {"kinds": kinds, "people": people}


async def _list_page(request: Request, errors: FormErrors, form: dict[str, str], status: int) -> Response:
    site = current_site(request)
    today = local_today(site)
    params = request.query_params
    reads_all = can(request, certificates.READ)
    user_id = form_int(params.get("user_id"), "user_id", lenient=True) if reads_all else None
    state = params.get("state", "")
    kind = params.get("kind", "")
    rows = filtered(visible(request, user_id), today, kind=kind or None,
                    expiring_within_days=setting_days(site) if state == "expiring" else None,
                    expired=True if state == "expired" else None)
    number = page_number(request)
    found, more = await offset_page(rows.order_by("expires_on", "id"), number, PAGE_SIZE)
    people = await certificates.people_of(found)
    labels = await code_lists.labels(site, CERTIFICATE_KINDS)
    actor = actor_of(request)
    items = [certificates.certificate_out(site, certificate, actor, people=people, kind_labels=labels, today=today)
             for certificate in found]
    filters = {"user_id": str(user_id or ""), "state": state, "kind": kind}
    return render(request, "rostering/certificates.html", {
        "site": site, "items": items, "errors": errors, "form": form, "filters": filters, "reads_all": reads_all,
        "may_edit": can(request, certificates.EDIT), "window_days": setting_days(site),
        "links": page_links(_url(request), filters, number, more), "page": number, **await _choices(request),
    }, status_code=status)


def setting_days(site) -> int:
    return setting(site, "certificate_reminder_days")


async def certificate_list(request: Request) -> Response:
    """GET: the list and the form to add; POST: add (re-shown with messages on bad input)."""
    if request.method != "POST":
        return await _list_page(request, FormErrors(), {}, 200)
    if not can(request, certificates.EDIT):
        return await _list_page(request, FormErrors(general=[_("You do not have the permission this needs "
                                                               "(%(permission)s).", permission=certificates.EDIT)]),
                                {}, 403)
    site = current_site(request)

    async def act(body: CertificateIn) -> Certificate:
        return await certificates.create(site, actor_of(request), body.model_dump())

    async def again(errors: FormErrors, values: dict[str, str], status: int) -> Response:
        return await _list_page(request, errors, values, status)

    return await form_action(request, fields=NEW_FIELDS, act=act, page=again, schema=CertificateIn,
                             success_url=lambda certificate: _url(request, certificate.id))


def _edit_values(item: dict[str, Any]) -> dict[str, str]:
    return {"version": str(item["version"]), "kind": item["kind"], "number": item["number"] if item["number_shown"]
            else "", "issued_on": item["issued_on"] or "", "expires_on": item["expires_on"], "note": item["note"]}


async def _detail(request: Request, certificate: Certificate, errors: FormErrors, form: dict[str, str] | None,
                  status: int) -> Response:
    site = current_site(request)
    item = certificates.certificate_out(site, certificate, actor_of(request),
                                        people=await certificates.people_of([certificate]),
                                        kind_labels=await code_lists.labels(site, CERTIFICATE_KINDS))
    return render(request, "rostering/certificate.html", {
        "site": site, "item": item, "errors": errors, "form": form if form is not None else _edit_values(item),
        "may_edit": can(request, certificates.EDIT), "window_days": setting_days(site), **await _choices(request),
    }, status_code=status)


async def certificate_page(request: Request) -> Response:
    """GET: one certificate and its renew/edit form; POST: save it (with the version read)."""
    certificate = await readable(request)
    if request.method != "POST":
        return await _detail(request, certificate, FormErrors(), None, 200)
    if not can(request, certificates.EDIT):
        return await _detail(request, certificate, FormErrors(general=[_(
            "You do not have the permission this needs (%(permission)s).", permission=certificates.EDIT)]), None, 403)
    site = current_site(request)

    def prepare(values: dict[str, str]) -> dict[str, Any]:
        # Every field of the edit form is sent: a blank issue day or number means "none".
        data: dict[str, Any] = dict(values)
        data["issued_on"] = values["issued_on"] or None
        data["expires_on"] = values["expires_on"] or None
        if not certificates.shows_number(actor_of(request), certificate):
            data.pop("number")  # the masked number was never in the form, so it is not changed
        return data

    async def act(body: CertificateUpdate) -> Certificate:
        data = body.model_dump(exclude_unset=True)
        version = data.pop("version")
        return await certificates.update(request.app.state.tasks, site, certificate, data, version,
                                         actor_of(request))

    async def again(errors: FormErrors, values: dict[str, str], status: int) -> Response:
        await certificate.refresh_from_db()
        # Saved by someone else meanwhile: show the record as it is now, with the message.
        form = None if changed_meanwhile(status, values, certificate) else values
        return await _detail(request, certificate, errors, form, status)

    return await form_action(request, fields=EDIT_FIELDS, act=act, page=again, schema=CertificateUpdate,
                             prepare=prepare, keep_blank=True, success_url=_url(request, certificate.id))


async def task_panel(request: Request, task, subject) -> SubjectPanel | None:
    """The certificate on the page of its reminder task: who, which kind, when it expires,
    and the link to renew it."""
    certificate = await Certificate.get_or_none(id=subject.id, site_id=task.site_id)
    if certificate is None:
        return None
    site = current_site(request)
    item = certificates.certificate_out(site, certificate, actor_of(request),
                                        people=await certificates.people_of([certificate]),
                                        kind_labels=await code_lists.labels(site, CERTIFICATE_KINDS))
    url = f"/sites/{site.code}/rostering/certificates/{certificate.id}"
    return SubjectPanel(title=_("%(kind)s of %(name)s", kind=item["kind_label"], name=item["user_name"]), url=url,
                        template="rostering/certificate_task_panel.html",
                        context={"certificate": item, "renew_url": url})


def routes() -> list:
    return [
        page_route(BASE, certificate_list, permission=SEE_OWN, methods=["GET", "POST"]),
        page_route(BASE + "/{id:int}", certificate_page, permission=SEE_OWN, methods=["GET", "POST"]),
    ]
