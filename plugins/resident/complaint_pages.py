"""Pages of complaint analysis: the report (``/sites/{site}/resident/complaints/analysis``)
and a complaint's category and cause on its case page (``plugins.resident.complaints``)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from core.entities import code_lists
from core.entities.models import Site
from core.i18n import gettext as _
from core.problems import Problem
from core.web.access import actor_of, current_site, get_in_site
from core.web.forms import FormErrors, form_action
from core.web.routing import page_route
from core.web.templating import render
from plugins.resident import complaints
from plugins.resident.models import Case

BASE = "/sites/{site}/resident"


async def options(site: Site, code_list: code_lists.CodeList) -> list[tuple[str, str]]:
    """The active codes of a site's list as (code, label), for a form's choices."""
    return [(item.code, code_lists.shown_label(item)) for item in await code_lists.items(site, code_list,
                                                                                        active_only=True)]


async def classify_context(site: Site, case: Case) -> dict | None:
    """What the case page shows of a complaint's category and cause (None for other kinds)."""
    if case.kind != "complaint":
        return None
    categories, causes = await code_lists.labels(site, complaints.CATEGORIES), await code_lists.labels(site, complaints.CAUSES)
    return {"category_label": categories.get(case.category, case.category) if case.category else "",
            "cause_label": causes.get(case.cause, case.cause) if case.cause else "",
            "categories": await options(site, complaints.CATEGORIES), "causes": await options(site, complaints.CAUSES)}


async def category_words(site: Site, case: Case) -> str:
    """A case's category as people read it: a complaint's is a code of the site's list, another
    case's is free text, shown through the list too when it names one of its codes."""
    if not case.category:
        return ""
    return (await code_lists.labels(site, complaints.CATEGORIES)).get(case.category, case.category)


async def classify(request: Request) -> Response:
    from plugins.resident.pages import case_page, home

    case = await get_in_site(request, Case, request.path_params["id"], "case")

    async def act(form: dict):
        data = {name: form[name] or None for name in ("category", "cause")}
        return await complaints.classify(current_site(request), case, data, actor=actor_of(request))

    return await form_action(request, fields=["category", "cause"], act=act, beside=(),
                             page=lambda errors, values, status: case_page(request, errors, status),
                             success_url=home(request, f"cases/{case.id}"))


def _date(request: Request, name: str, errors: FormErrors) -> dt.date | None:
    text = request.query_params.get(name, "").strip()
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        errors.fields[name] = _("Enter a date as YYYY-MM-DD.")
        return None


async def analysis_page(request: Request) -> Response:
    """The report with its filters; a bad filter is named beside it and the default shown."""
    site = current_site(request)
    errors = FormErrors()
    group = request.query_params.get("group", "category")
    if group not in complaints.GROUPS:
        errors.fields["group"] = _("Use one of: %(values)s.", values=", ".join(complaints.GROUPS))
        group = "category"
    start, end = _date(request, "from", errors), _date(request, "to", errors)
    try:
        start, end = complaints.period(site, start, end)
    except Problem as problem:
        for item in problem.errors or []:
            errors.fields[item["field"]] = item["message"]
        start, end = complaints.period(site, None, None)
    data = await complaints.analysis(site, start, end, group)
    query = urlencode({"from": data["from"], "to": data["to"], "group": group})
    return render(request, "resident/complaint_analysis.html", {
        "site": site, "data": data, "group": group, "errors": errors,
        "group_labels": [(key, _(label)) for key, label in complaints.GROUP_LABELS.items()],
        "export": f"/api/v1/sites/{site.code}/resident/complaints/analysis?{query}",
    }, status_code=422 if errors else 200)


def routes():
    return [
        page_route(f"{BASE}/complaints/analysis", analysis_page, permission="resident.kpi.read"),
        page_route(f"{BASE}/cases/{{id:int}}/classify", classify, permission="resident.case.work", methods=["POST"]),
    ]
