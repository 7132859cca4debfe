"""Administration of sites: the list, a new site, and changing one.

The path names the site by ``{code}``, not ``{site}``: an administrator manages sites
they are not a member of, so the membership check of ``{site}`` paths must not apply.
"""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response

from core.clock import rfc3339
from core.entities import services
from core.entities.api import site_out
from core.entities.labels import SITE_KIND_LABELS
from core.entities.models import Site
from core.entities.schemas import SiteChange, SiteIn
from core.i18n import LANGUAGE_NAMES
from core.i18n import gettext as _
from core.web.templating import render
from core.web.access import actor_of, forget_site
from core.web.forms import FormErrors, changed_meanwhile, form_action
from core.problems import Problem
from core.web.routing import page_route

CHANGE_FIELDS = ["name", "kind", "timezone", "currency", "default_language"]
NEW_FIELDS = ["code", *CHANGE_FIELDS]
PERMISSION = "core.site.manage"


async def site_list(request: Request) -> Response:
    sites = services.managed_sites(actor_of(request))
    return render(request, "core/admin/sites.html", {"sites": await sites.order_by("code"),
                                                     "kind_labels": SITE_KIND_LABELS, "languages": LANGUAGE_NAMES,
                                                     "may_create": actor_of(request).unbounded})


def _values(site: Site) -> dict[str, str]:
    return {**{name: str(getattr(site, name)) for name in NEW_FIELDS}, "version": str(site.version)}


def _render(request: Request, site: Site | None, values: dict, errors: FormErrors | None = None,
            status_code: int = 200) -> Response:
    return render(request, "core/admin/site.html", {
        "site": site, "values": values, "errors": errors or FormErrors(),
        "kinds": list(SITE_KIND_LABELS.items()), "languages": list(LANGUAGE_NAMES.items()),
        "saved": request.query_params.get("saved") == "1", "updated_at": rfc3339(site.updated_at) if site else None,
    }, status_code=status_code)


async def site_new_form(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                        status_code: int = 200) -> Response:
    services.check_may_create_site(actor_of(request))
    fields = SiteIn.model_fields
    defaults = {name: "" if fields[name].is_required() else str(fields[name].default) for name in NEW_FIELDS}
    return _render(request, None, values or defaults, errors, status_code)


async def site_create(request: Request) -> Response:
    # keep_blank: the form starts filled with the defaults, so a field left blank was emptied.
    return await form_action(
        request, fields=NEW_FIELDS, schema=SiteIn, keep_blank=True, page=partial(site_new_form, request),
        act=lambda body: services.create_site(body.model_dump(), actor=actor_of(request)),
        success_url=lambda site: f"/admin/sites/{site.code}?saved=1")


async def _site(request: Request) -> Site:
    # A site the caller does not manage is not found, like one that does not exist.
    site = await services.managed_sites(actor_of(request)).get_or_none(code=request.path_params["code"])
    if site is None:
        raise Problem(404, _("No site %(code)s.", code=request.path_params["code"]))
    return site


async def site_page(request: Request) -> Response:
    site = await _site(request)
    return _render(request, site, _values(site))


async def site_update(request: Request) -> Response:
    site = await _site(request)

    async def page(errors: FormErrors, values: dict, status: int) -> Response:
        if changed_meanwhile(status, values, site):
            message = _("Someone else changed this site since you opened it. The form now shows the current "
                        "values; enter your change again.")
            return _render(request, site, _values(site), FormErrors(general=[message]), status)
        return _render(request, site, {**values, "code": site.code}, errors, status)

    async def act(body: SiteChange) -> Site:
        saved = await services.update_site(site, body.model_dump(exclude={"version"}), body.version, site_out,
                                           host=request.app.state.host, actor=actor_of(request))
        forget_site(request, saved.code)
        return saved

    return await form_action(request, fields=[*CHANGE_FIELDS, "version"], schema=SiteChange, keep_blank=True,
                             act=act, page=page, success_url=f"/admin/sites/{site.code}?saved=1")


def routes():
    # /new before /{code}, which would otherwise take "new" for a site code.
    return [
        page_route("/admin/sites", site_list, permission=PERMISSION),
        page_route("/admin/sites/new", site_new_form, permission=PERMISSION),
        page_route("/admin/sites/new", site_create, permission=PERMISSION, methods=["POST"]),
        page_route("/admin/sites/{code}", site_page, permission=PERMISSION),
        page_route("/admin/sites/{code}", site_update, permission=PERMISSION, methods=["POST"]),
    ]
