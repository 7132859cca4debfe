"""JSON routes of the phone desk: /api/v1/sites/{site}/insurance/..."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from core.clock import local_today, utcnow
from core.exports import tables_csv
from core.i18n import gettext as _
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.api import CSV, XLSX, api_route
from core.web.pagination import paginate, paginate_equal
from core.problems import Problem
from plugins.insurance_calls import applications, kpis, services
from plugins.insurance_calls.models import Application, Call
from plugins.insurance_calls.schemas import (ApplicationIn, ApplicationOut, ApplicationPage, ApplicationQuery,
                                             ApplicationUpdate, CallIn, CallOut, CallPage, CallQuery, CheckIn,
                                             DailyReportOut, IssueIn, KpiQuery, KpisOut, LoggedCallOut, LookupOut,
                                             LookupQuery, PeriodQuery,
                                             ReportQuery, VersionIn, WeeklyQuery, WeeklyReportOut)

PREFIX = "/api/v1/sites/{site}/insurance"
TAGS = ["insurance"]


def show_personal(request: Request) -> bool:
    return can(request, services.PERSONAL)


async def _unmasked(request: Request, what: str) -> None:
    if show_personal(request):
        await services.audit_unmasked(actor_of(request), current_site(request), what)


def _need_personal(request: Request, field: str) -> None:
    if not show_personal(request):
        raise Problem(403, _("Searching by %(field)s needs the permission to see phone and policy numbers.",
                             field=field))


async def log_call(request: Request, body: CallIn) -> LoggedCallOut:
    """Log a call; a follow-up creates a callback task, a complaint a complaint task.
    ``send_confirmation`` confirms the promised callback to the caller (SMS or e-mail)."""
    call = await services.log_call(
        request.app.state.tasks, current_site(request), actor_of(request), body.model_dump())
    return {**services.call_out(call, show_personal(request)),
            "confirmation": services.confirmation_out(getattr(call, "confirmation", None))}


async def list_calls(request: Request, query: CallQuery) -> CallPage:
    """Calls of the site, newest first, by phone, plate, policy, type, agent and period."""
    if query.phone:
        _need_personal(request, "phone")
    if query.policy_no:
        _need_personal(request, "policy_no")
    equal = services.call_equalities(phone=query.phone or "", plate=query.plate or "", policy_no=query.policy_no or "",
                                     call_type=query.call_type or "", agent_id=query.agent_id,
                                     outcome=query.outcome or "", direction=query.direction or "")
    personal = show_personal(request)
    serialize = lambda call: services.call_out(call, personal)  # noqa: E731
    if query.from_ is None and query.to is None:
        # The desk's usual list (equalities only): SQL written once per shape, no query building.
        page = await paginate_equal(Call, services.CALL_COLUMNS, query, serialize, site_id=current_site(request).id,
                                    equal=equal, descending=True)
    else:
        calls = services.call_period(site_query(request, Call).filter(**equal), query.from_, query.to)
        page = await paginate(calls, query, serialize, descending=True, columns=services.CALL_COLUMNS)
    if page["items"]:
        await _unmasked(request, f"calls list: {len(page['items'])} calls")
    return page


async def get_call(request: Request) -> CallOut:
    call = await get_in_site(request, Call, request.path_params["id"], "call")
    await _unmasked(request, f"call {call.id}")
    return services.call_out(call, show_personal(request))


async def lookup(request: Request, query: LookupQuery) -> LookupOut:
    """The caller's history (screen pop): calls, open tasks, complaints, repeat caller."""
    result = await services.lookup(current_site(request), actor_of(request), phone=query.phone or "",
                                   plate=query.plate or "", policy_no=query.policy_no or "")
    if result["calls"]:
        await _unmasked(request, "caller lookup")
    return result


def _period(query: PeriodQuery) -> tuple[dt.datetime, dt.datetime]:
    end = query.to or utcnow()
    start = query.from_ or end - dt.timedelta(days=30)
    if end <= start:
        raise Problem(422, _("The end of the period must come after its start."),
                      errors=[{"field": "to", "message": _("The end of the period must come after its start.")}])
    if end - start > dt.timedelta(days=366):
        raise Problem(422, _("A period is at most a year."), errors=[{"field": "from", "message": _("A period is at most a year.")}])
    return start, end


async def get_kpis(request: Request, query: KpiQuery) -> KpisOut | Response:
    """Calls by type and agent, handle time, callbacks on time, complaint rates against targets
    (core's KPI engine: per agent and per type too); ``?format=csv|xlsx`` downloads the rates."""
    start, end = _period(query)
    site = current_site(request)
    if query.format != "json":
        from core import kpis as engine
        from core.kpis.web import download

        report = await engine.compute(site, kpis.SOURCE, start, end)
        return download([report], query.format, f"complaint-kpis-{site.code}-{start:%Y%m%d}-{end:%Y%m%d}")
    return await kpis.kpis(site, start, end)


def _download(tables, fmt: str, name: str) -> Response:
    if fmt == "csv":
        return Response(tables_csv(tables), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(kpis.to_xlsx(tables),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


async def daily_report(request: Request, query: ReportQuery) -> DailyReportOut | Response:
    """The daily per-agent summary (?format=csv|xlsx to download)."""
    site = current_site(request)
    day = query.date or local_today(site)
    report = await kpis.daily_report(site, day)
    if query.format == "json":
        return report
    headers, rows = kpis.daily_table(report)
    return _download([(_("Agents"), headers, rows)], query.format, f"calls-daily-{site.code}-{day.isoformat()}")


async def weekly_report(request: Request, query: WeeklyQuery) -> WeeklyReportOut | Response:
    """The weekly report: calls per day and type, per agent, and the KPIs (?format=csv|xlsx)."""
    site = current_site(request)
    today = local_today(site)
    week_start = query.week_start or today - dt.timedelta(days=today.weekday())
    report = await kpis.weekly_report(site, week_start)
    if query.format == "json":
        return report
    return _download(kpis.weekly_tables(report), query.format, f"calls-weekly-{site.code}-{week_start.isoformat()}")


# --- phone applications ---------------------------------------------------------------------


def _app_out(request: Request, app: Application) -> dict[str, Any]:
    return applications.application_out(app, current_site(request), show_personal(request))


async def create_application(request: Request, body: ApplicationIn) -> ApplicationOut:
    """Enter a phone application as a draft."""
    app = await applications.create(current_site(request), actor_of(request), body.model_dump())
    return _app_out(request, app)


async def list_applications(request: Request, query: ApplicationQuery) -> ApplicationPage:
    apps = site_query(request, Application)
    if query.status:
        apps = apps.filter(status=query.status)
    return await paginate(apps, query, lambda app: _app_out(request, app), descending=True)


async def _application(request: Request) -> Application:
    return await get_in_site(request, Application, request.path_params["id"], "application")


async def get_application(request: Request) -> ApplicationOut:
    app = await _application(request)
    await _unmasked(request, f"application {app.id}")
    return _app_out(request, app)


async def update_application(request: Request, body: ApplicationUpdate) -> ApplicationOut:
    """Change a draft; changing the VIN, ID number or premium withdraws its check."""
    data = body.model_dump(exclude_unset=True)
    version = data.pop("version")
    app = await applications.update(await _application(request), current_site(request), data, version,
                                    actor_of(request))
    return _app_out(request, app)


async def check_application(request: Request, body: CheckIn) -> ApplicationOut:
    """A second person re-enters VIN, ID number and premium; they must match."""
    app = await applications.check(await _application(request), current_site(request), body.model_dump(),
                                   body.version, actor_of(request))
    return _app_out(request, app)


async def submit_application(request: Request, body: VersionIn) -> ApplicationOut:
    """Submit a checked draft."""
    app = await applications.submit(await _application(request), current_site(request), body.version,
                                    actor_of(request))
    return _app_out(request, app)


async def issue_application(request: Request, body: IssueIn) -> ApplicationOut:
    """Enter the issued policy's number."""
    app = await applications.issue(await _application(request), current_site(request), body.policy_no,
                                   body.version, actor_of(request))
    return _app_out(request, app)


def routes() -> list:
    from plugins.insurance_calls import telephony_api

    r = "insurance_calls"
    return [
        *telephony_api.routes(),
        api_route(f"{PREFIX}/calls", log_call, method="POST", permission=f"{r}.call.log", body=CallIn,
                  response=LoggedCallOut, status_code=201, tags=TAGS),
        api_route(f"{PREFIX}/calls", list_calls, permission=f"{r}.call.read", query=CallQuery, response=CallPage,
                  tags=TAGS),
        api_route(PREFIX + "/calls/{id:int}", get_call, permission=f"{r}.call.read", response=CallOut, tags=TAGS),
        api_route(f"{PREFIX}/lookup", lookup, permission=f"{r}.call.read", query=LookupQuery, response=LookupOut,
                  tags=TAGS),
        api_route(f"{PREFIX}/kpis", get_kpis, permission=f"{r}.kpi.read", query=KpiQuery, response=KpisOut, tags=TAGS,
                  downloads=(CSV, XLSX)),
        api_route(f"{PREFIX}/reports/daily", daily_report, permission=f"{r}.kpi.read", query=ReportQuery, tags=TAGS,
                  response=DailyReportOut,
                  downloads=(CSV, XLSX)),
        api_route(f"{PREFIX}/reports/weekly", weekly_report, permission=f"{r}.kpi.read", query=WeeklyQuery,
                  response=WeeklyReportOut,
                  tags=TAGS, downloads=(CSV, XLSX)),
        api_route(f"{PREFIX}/applications", create_application, method="POST", permission=f"{r}.application.edit",
                  body=ApplicationIn, response=ApplicationOut, status_code=201, tags=TAGS),
        api_route(f"{PREFIX}/applications", list_applications, permission=f"{r}.application.read",
                  query=ApplicationQuery, response=ApplicationPage, tags=TAGS),
        api_route(PREFIX + "/applications/{id:int}", get_application, permission=f"{r}.application.read",
                  response=ApplicationOut, tags=TAGS),
        api_route(PREFIX + "/applications/{id:int}", update_application, method="PATCH",
                  permission=f"{r}.application.edit", body=ApplicationUpdate, response=ApplicationOut, tags=TAGS),
        api_route(PREFIX + "/applications/{id:int}/check", check_application, method="POST",
                  permission=f"{r}.application.check", body=CheckIn, response=ApplicationOut, tags=TAGS),
        api_route(PREFIX + "/applications/{id:int}/submit", submit_application, method="POST",
                  permission=f"{r}.application.edit", body=VersionIn, response=ApplicationOut, tags=TAGS),
        api_route(PREFIX + "/applications/{id:int}/issue", issue_application, method="POST",
                  permission=f"{r}.application.issue", body=IssueIn, response=ApplicationOut, tags=TAGS),
    ]
