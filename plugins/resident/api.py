"""JSON routes of the resident plugin: /api/v1/sites/{site}/resident/..."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from tortoise.expressions import Q

from core.clock import rfc3339, utcnow
from core.entities.models import Unit
from core.i18n import gettext as _
from core.money import format_money
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.api import CSV, XLSX, ZIP, api_route
from core.web.pagination import decode_cursor, encode_cursor, filter_by, paginate
from core.web.responses import Page
from core.problems import Problem, invalid
from core.storage import MissingFile, Storage, storage_for
from plugins.resident import campaigns, fees, households, kpis, messaging, procedures, reminders, services
from plugins.resident import schemas as s
from plugins.resident.models import (Announcement, Bill, Campaign, Case, FeeSchedule, Household, HouseholdChange, Member,
                                     Procedure, ProcedureDocument, ReminderRun, Revisit)

BASE = "/api/v1/sites/{site}/resident"


def kernel(request: Request):
    return request.app.state.tasks



def storage(request: Request) -> Storage:
    return storage_for(request.app.state.settings)


# --- households -------------------------------------------------------------------------


async def _household(request: Request, household: Household) -> dict:
    members = await Member.filter(household_id=household.id).order_by("id")
    return households.household_out(household, members, can(request, "core.party.personal_data"))


async def list_households(request: Request, query: s.HouseholdQuery) -> Page[s.HouseholdOut]:
    rows = filter_by(site_query(request, Household), query, building="unit__building")
    page = await paginate(rows, query, lambda h: h, columns=households.HOUSEHOLD_COLUMNS)
    page["items"] = await households.households_out(page["items"], can(request, "core.party.personal_data"))
    return page


async def create_household(request: Request, body: s.HouseholdIn) -> s.HouseholdOut:
    household = await households.create_household(current_site(request), body.model_dump(), actor=actor_of(request))
    return await _household(request, household)


async def get_household(request: Request) -> s.HouseholdOut:
    return await _household(request, await get_in_site(request, Household, request.path_params["id"], "household"))


async def _this_household(request: Request) -> Household:
    return await get_in_site(request, Household, request.path_params["id"], "household")


async def _this_member(request: Request, household: Household) -> Member:
    member = await Member.get_or_none(id=request.path_params["member_id"], household_id=household.id)
    if member is None:
        raise Problem(404, _("No such member in this household."))
    return member


async def change_household(request: Request, body: s.HouseholdPatchIn) -> s.HouseholdOut:
    household = await households.change_details(current_site(request), await _this_household(request),
                                                body.model_dump(), actor=actor_of(request))
    return await _household(request, household)


async def change_occupant(request: Request, body: s.OccupantChangeIn) -> s.HouseholdOut:
    household = await households.change_occupant(current_site(request), await _this_household(request),
                                                 body.model_dump(), actor=actor_of(request))
    return await _household(request, household)


async def household_changes(request: Request, query: s.PageQuery) -> Page[s.HouseholdChangeOut]:
    household = await _this_household(request)
    show = can(request, "core.party.personal_data")
    rows = site_query(request, HouseholdChange).filter(household_id=household.id)
    return await paginate(rows, query, lambda change: households.change_out(change, show), descending=True)


async def add_member(request: Request, body: s.FamilyMemberIn) -> s.HouseholdOut:
    household = await households.add_member(current_site(request), await _this_household(request), body.model_dump(),
                                            actor=actor_of(request))
    return await _household(request, household)


async def change_member(request: Request, body: s.MemberPatchIn) -> s.HouseholdOut:
    household = await _this_household(request)
    member = await _this_member(request, household)
    household = await households.change_member(current_site(request), household, member, body.model_dump(),
                                               actor=actor_of(request))
    return await _household(request, household)


async def remove_member(request: Request, body: s.HouseholdVersionIn) -> s.HouseholdOut:
    household = await _this_household(request)
    member = await _this_member(request, household)
    household = await households.remove_member(current_site(request), household, member, body.version,
                                               actor=actor_of(request))
    return await _household(request, household)


async def import_households(request: Request, body: s.ImportIn) -> s.ImportReport:
    return await households.import_csv(request.app.state.host, current_site(request), body.csv, actor_of(request),
                                      body.dry_run)


async def unit_timeline(request: Request) -> s.TimelineOut:
    unit = await get_in_site(request, Unit, request.path_params["id"], "unit")
    return {"unit_id": unit.id, "unit_code": unit.code, "items": await households.timeline(current_site(request), unit)}


# --- cases ------------------------------------------------------------------------------


async def _case(request: Request) -> Case:
    return await get_in_site(request, Case, request.path_params["id"], "case")


async def list_cases(request: Request, query: s.CaseQuery) -> Page[s.CaseOut]:
    rows = filter_by(site_query(request, Case), query, kind="kind", unit_id="unit_id", open="task__is_open")
    return await paginate(rows, query, services.case_out, descending=True, columns=services.CASE_LIST_COLUMNS)


async def create_case(request: Request, body: s.CaseIn) -> s.CaseOut:
    case, duplicates = await services.create_case(kernel(request), current_site(request), actor_of(request),
                                                  body.model_dump())
    return services.case_out(case, await services.load_task(case), duplicates=duplicates)


async def get_case(request: Request) -> s.CaseOut:
    case = await _case(request)
    revisits = await Revisit.filter(case_id=case.id).prefetch_related(services.HISTORY).order_by("id")
    return services.case_out(case, await services.load_task(case),
                             duplicates=await services.find_duplicates(current_site(request), case.unit_id,
                                                                       case.category, exclude_id=case.id),
                             revisits=[services.revisit_out(r) for r in revisits],
                             messages=await messaging.history(("resident", "case", case.id)))


async def reply_case(request: Request, body: s.ReplyIn) -> s.CaseOut:
    """Record the reply; with ``send_by`` also send it to the resident (the page's form
    calls the same service)."""
    case = await services.reply(kernel(request), await _case(request), body.message, actor=actor_of(request),
                                send_by=body.send_by, phone=body.phone, email=body.email)
    extra = {"messages": [messaging.brief(m) for m in case.sent_messages]} if body.send_by else {}
    return services.case_out(case, await services.load_task(case), **extra)


async def revisit_case(request: Request, body: s.RevisitIn) -> s.CaseRevisitOut:
    case = await _case(request)
    revisit = await services.revisit_case(kernel(request), case, body.model_dump(), actor=actor_of(request))
    await case.refresh_from_db()
    return {**services.revisit_out(revisit), "case": services.case_out(case, await services.load_task(case))}


async def merge_case(request: Request, body: s.MergeIn) -> s.CaseOut:
    case = await _case(request)
    into = await site_query(request, Case).get_or_none(id=body.into_id)
    if into is None:
        raise invalid("into_id", _("No case %(id)s at this site.", id=body.into_id))
    case = await services.merge_case(kernel(request), case, into, actor=actor_of(request))
    return services.case_out(case, await services.load_task(case))


# --- campaigns and revisits ---------------------------------------------------------------


async def list_campaigns(request: Request, query: s.PageQuery) -> Page[s.CampaignOut]:
    return await paginate(site_query(request, Campaign), query, campaigns.campaign_out, descending=True)


async def create_campaign(request: Request, body: s.CampaignIn) -> s.CampaignOut:
    campaign = await campaigns.create_campaign(current_site(request), body.model_dump(), actor=actor_of(request))
    return campaigns.campaign_out(campaign, revisits=await Revisit.filter(campaign_id=campaign.id).count())


async def distribute(request: Request) -> s.DistributionOut:
    campaign = await get_in_site(request, Campaign, request.path_params["id"], "campaign")
    return await campaigns.distribute(request.app.state.events, current_site(request), campaign, actor=actor_of(request))


async def campaign_messages(request: Request) -> s.CampaignMessagesOut:
    """Queue the campaign's message to each household with a pending revisit (once each)."""
    campaign = await get_in_site(request, Campaign, request.path_params["id"], "campaign")
    return await campaigns.send_messages(current_site(request), campaign, actor=actor_of(request))


async def campaign_report(request: Request, query: s.FormatQuery) -> s.CampaignReport | Response:
    campaign = await get_in_site(request, Campaign, request.path_params["id"], "campaign")
    data = await campaigns.report(current_site(request), campaign)
    if query.format == "xlsx":
        return Response(campaigns.report_xlsx(data), media_type=XLSX, headers={
            "Content-Disposition": f'attachment; filename="revisit-report-{campaign.id}.xlsx"'})
    return data


def _revisit_agent(request: Request, agent_id: int | None) -> int | None:
    """The agent whose revisits are listed: anyone's for a campaign manager, else one's own."""
    if not can(request, "resident.campaign.manage"):
        return request.state.user.id  # an agent sees their own call list
    return agent_id


async def list_revisits(request: Request, query: s.RevisitQuery) -> Page[s.RevisitOut]:
    """Recorded and pending revisits with their attempts; ``status=overdue`` the pending
    ones past their due time."""
    rows = campaigns.revisits_query(current_site(request).id, status=query.status, campaign_id=query.campaign_id,
                                    agent_id=_revisit_agent(request, query.agent_id))
    return await paginate(rows.prefetch_related(services.HISTORY), query, services.revisit_out)


async def count_revisits(request: Request, query: s.RevisitCountQuery) -> s.RevisitCounts:
    return await campaigns.revisit_counts(current_site(request).id, campaign_id=query.campaign_id,
                                          agent_id=_revisit_agent(request, query.agent_id))


async def record_revisit(request: Request, body: s.RevisitRecordIn) -> s.RevisitOut:
    revisit = await get_in_site(request, Revisit, request.path_params["id"], "revisit")
    services.check_revisit_agent(revisit, actor_of(request))
    revisit = await campaigns.record(kernel(request), revisit, body.model_dump(), actor=actor_of(request))
    return services.revisit_out(revisit)


# --- fees -------------------------------------------------------------------------------


async def list_schedules(request: Request) -> Page[s.ScheduleOut]:
    site = current_site(request)
    return {"items": [fees.schedule_out(x, site) for x in await site_query(request, FeeSchedule).order_by("unit_kind")],
            "next_cursor": None}


async def set_schedule(request: Request, body: s.ScheduleIn) -> s.ScheduleOut:
    site = current_site(request)
    return fees.schedule_out(await fees.set_schedule(site, body.model_dump(), actor=actor_of(request)), site)


async def billing_run(request: Request, body: s.BillingRunIn) -> s.BillingRunOut:
    return await fees.billing_run(current_site(request), body.period, actor=actor_of(request))


async def list_bills(request: Request, query: s.BillQuery) -> Page[s.BillOut]:
    site = current_site(request)
    rows = filter_by(site_query(request, Bill), query, unit_id="unit_id", period="period")
    return await paginate(rows, query, lambda bill: fees.bill_out(bill, site), descending=True)


async def pay_bill(request: Request, body: s.PaymentIn) -> s.PaymentOut:
    site = current_site(request)
    bill = await get_in_site(request, Bill, request.path_params["id"], "bill")
    payment = await fees.pay(site, bill, body.amount, body.method, actor=actor_of(request))
    return {"id": payment.id, "bill_id": bill.id, "amount": format_money(payment.amount_minor, site.currency),
            "method": payment.method, "paid_at": rfc3339(payment.paid_at), "bill": fees.bill_out(bill, site),
            "receipt_id": payment.receipt.id, "receipt_number": payment.receipt.number}


async def get_arrears(request: Request, query: s.ArrearsQuery) -> s.ArrearsOut:
    site = current_site(request)
    after = decode_cursor(query.cursor) if query.cursor else None
    data = await fees.arrears(site, query.as_of or utcnow().date(), query.limit, after, query.building or "")
    data["next_cursor"] = encode_cursor(data.pop("next_after")) if data.get("next_after") else None
    data.pop("next_after", None)
    return data


async def remind_arrears(request: Request, body: s.ReminderRunIn) -> s.ReminderRunOut:
    """Remind each bill in arrears on ``as_of`` once in its month: a message by the
    household's preferred channel, or a letter (``letters``, or nobody reachable)."""
    site = current_site(request)
    run = await reminders.remind_arrears(site, body.as_of, "letters" if body.letters else "preferred",
                                         actor=actor_of(request))
    return reminders.run_out(run, site)


async def get_reminder_run(request: Request) -> s.ReminderRunOut:
    run = await get_in_site(request, ReminderRun, request.path_params["id"], "reminder run")
    return reminders.run_out(run, current_site(request))


async def bill_reminders(request: Request) -> list[s.BillReminderOut]:
    bill = await get_in_site(request, Bill, request.path_params["id"], "bill")
    found = (await reminders.reminders_of_bills([bill.id])).get(bill.id, [])
    return [{**item, "run_at": rfc3339(item["run_at"])} for item in found]


# --- KPIs -------------------------------------------------------------------------------


def kpi_range(site, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """The site's local days asked for, the month so far by default (core.kpis.web.period)."""
    from core.kpis.web import period

    return period(site, start, end)


async def get_kpis(request: Request, query: s.KpiQuery) -> s.KpiOut | Response:
    """Complaint KPIs of the site's local days (the month so far by default), by core's KPI
    engine: rates in percent against the site's targets, n/a (null) without data, per agent
    and per category; ``?format=csv|xlsx`` downloads them."""
    site = current_site(request)
    start, end = kpi_range(site, query.start, query.end)
    report = await kpis.report(site, start, end)
    if query.format != "json":
        from core.kpis.web import download

        return download([report], query.format, f"complaint-kpis-{site.code}-{start}-{end}")
    return kpis.kpis_out(report, start, end)


# --- procedures -------------------------------------------------------------------------


async def _procedure(request: Request) -> Procedure:
    return await get_in_site(request, Procedure, request.path_params["id"], "procedure")


async def list_procedures(request: Request, query: s.PageQuery) -> Page[s.ProcedureOut]:
    site = current_site(request)
    page = await paginate(site_query(request, Procedure), query, lambda p: p, descending=True)
    page["items"] = [await procedures.procedure_out(p, site) for p in page["items"]]
    return page


async def create_procedure(request: Request, body: s.ProcedureIn) -> s.ProcedureOut:
    site = current_site(request)
    return await procedures.procedure_out(await procedures.create(site, body.model_dump(), actor=actor_of(request)), site)


async def get_procedure(request: Request) -> s.ProcedureOut:
    return await procedures.procedure_out(await _procedure(request), current_site(request))


async def procedure_step(request: Request, body: s.StepIn) -> s.ProcedureOut:
    procedure = await procedures.complete_step(await _procedure(request), body.step, body.version, actor=actor_of(request))
    return await procedures.procedure_out(procedure, current_site(request))


async def procedure_approve(request: Request, body: s.VersionIn) -> s.ProcedureOut:
    procedure = await procedures.approve(await _procedure(request), body.version, actor=actor_of(request))
    return await procedures.procedure_out(procedure, current_site(request))


async def procedure_complete(request: Request, body: s.VersionIn) -> s.ProcedureOut:
    procedure = await procedures.complete(await _procedure(request), body.version, refund=body.refund, actor=actor_of(request))
    return await procedures.procedure_out(procedure, current_site(request))


async def procedure_document(request: Request, body: s.DocumentIn) -> s.UploadedOut:
    procedure = await _procedure(request)
    try:
        content = base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("content_base64", _("Send the file as base64.")) from None
    document = await procedures.add_document(procedure, body.step, body.filename, content, storage(request),
                                             actor=actor_of(request))
    return {"id": document.id, "filename": document.filename, "content_type": document.content_type,
            "size": document.size, "step": document.step}


async def download_document(request: Request) -> Response:
    procedure = await _procedure(request)
    document = await ProcedureDocument.get_or_none(id=int(request.path_params["doc_id"]), procedure_id=procedure.id)
    if document is None:
        raise Problem(404, _("No such document."))
    try:
        chunks = await storage(request).open(procedures.storage_key(document))
    except MissingFile:
        raise Problem(404, _("No such document.")) from None
    return StreamingResponse(chunks, media_type=document.content_type, headers={
        "Content-Length": str(document.size),
        "Content-Disposition": f'attachment; filename="document-{document.id}{Path(document.stored_as).suffix}"'})


async def procedure_bundle(request: Request) -> Response:
    procedure = await _procedure(request)
    data = await procedures.bundle(procedure, current_site(request), storage(request))
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="procedure-{procedure.id}.zip"'})


# --- announcements ----------------------------------------------------------------------




async def list_announcements(request: Request, query: s.AnnouncementQuery) -> Page[s.AnnouncementOut]:
    rows = site_query(request, Announcement)
    if not query.all or not can(request, "resident.announcement.edit"):
        now = utcnow()
        rows = rows.filter(publish_from__lte=now).filter(Q(publish_until=None) | Q(publish_until__gt=now))
    if query.building:
        rows = rows.filter(Q(building="") | Q(building=query.building))
    return await paginate(rows, query, services.announcement_out, descending=True)


async def create_announcement(request: Request, body: s.AnnouncementIn) -> s.AnnouncementOut:
    item = await services.create_announcement(current_site(request), body.model_dump(), actor_of(request))
    return services.announcement_out(item)


def routes():
    c, h, k = "resident.case.", "resident.household.", "resident.campaign."
    f, p = "resident.fee.", "resident.procedure."
    case = f"{BASE}/cases/{{id:int}}"
    proc = f"{BASE}/procedures/{{id:int}}"
    tags = ["resident"]

    def r(path, endpoint, **kw):
        return api_route(path, endpoint, tags=tags, **kw)

    return [
        r(f"{BASE}/households", list_households, response=Page[s.HouseholdOut], permission=h + "read", query=s.HouseholdQuery),
        r(f"{BASE}/households", create_household, response=s.HouseholdOut, method="POST", permission=h + "edit", body=s.HouseholdIn,
          status_code=201),
        r(f"{BASE}/households/import", import_households, response=s.ImportReport, method="POST", permission=h + "edit", body=s.ImportIn),
        r(f"{BASE}/households/{{id:int}}", get_household, response=s.HouseholdOut, permission=h + "read"),
        r(f"{BASE}/households/{{id:int}}", change_household, response=s.HouseholdOut, method="PATCH", permission=h + "edit",
          body=s.HouseholdPatchIn),
        r(f"{BASE}/households/{{id:int}}/changes", household_changes, response=Page[s.HouseholdChangeOut], permission=h + "read",
          query=s.PageQuery),
        r(f"{BASE}/households/{{id:int}}/changes", change_occupant, response=s.HouseholdOut, method="POST", permission=h + "edit",
          body=s.OccupantChangeIn),
        r(f"{BASE}/households/{{id:int}}/members", add_member, response=s.HouseholdOut, method="POST", permission=h + "edit",
          body=s.FamilyMemberIn),
        r(f"{BASE}/households/{{id:int}}/members/{{member_id:int}}", change_member, response=s.HouseholdOut, method="PATCH",
          permission=h + "edit", body=s.MemberPatchIn),
        r(f"{BASE}/households/{{id:int}}/members/{{member_id:int}}/remove", remove_member, response=s.HouseholdOut,
          method="POST", permission=h + "edit", body=s.HouseholdVersionIn),
        r(f"{BASE}/units/{{id:int}}/timeline", unit_timeline, response=s.TimelineOut, permission=h + "read"),
        r(f"{BASE}/cases", list_cases, response=Page[s.CaseOut], permission=c + "read", query=s.CaseQuery),
        r(f"{BASE}/cases", create_case, response=s.CaseOut, method="POST", permission=c + "create", body=s.CaseIn, status_code=201),
        r(case, get_case, response=s.CaseOut, permission=c + "read"),
        r(f"{case}/reply", reply_case, response=s.CaseOut, method="POST", permission=c + "work", body=s.ReplyIn),
        r(f"{case}/revisit", revisit_case, response=s.CaseRevisitOut, method="POST", permission=c + "work", body=s.RevisitIn, status_code=201),
        r(f"{case}/merge", merge_case, response=s.CaseOut, method="POST", permission=c + "work", body=s.MergeIn),
        r(f"{BASE}/campaigns", list_campaigns, response=Page[s.CampaignOut], permission=k + "manage", query=s.PageQuery),
        r(f"{BASE}/campaigns", create_campaign, response=s.CampaignOut, method="POST", permission=k + "manage", body=s.CampaignIn,
          status_code=201),
        r(f"{BASE}/campaigns/{{id:int}}/distribute", distribute, response=s.DistributionOut, method="POST", permission=k + "manage"),
        r(f"{BASE}/campaigns/{{id:int}}/messages", campaign_messages, response=s.CampaignMessagesOut, method="POST",
          permission=k + "manage"),
        r(f"{BASE}/campaigns/{{id:int}}/report", campaign_report, response=s.CampaignReport, permission=k + "manage", query=s.FormatQuery,
          downloads=(XLSX,)),
        r(f"{BASE}/revisits", list_revisits, response=Page[s.RevisitOut], permission="resident.revisit.record", query=s.RevisitQuery),
        r(f"{BASE}/revisits/counts", count_revisits, response=s.RevisitCounts, permission="resident.revisit.record",
          query=s.RevisitCountQuery),
        r(f"{BASE}/revisits/{{id:int}}", record_revisit, response=s.RevisitOut, method="POST", permission="resident.revisit.record",
          body=s.RevisitRecordIn),
        r(f"{BASE}/fee-schedules", list_schedules, response=Page[s.ScheduleOut], permission=f + "read"),
        r(f"{BASE}/fee-schedules", set_schedule, response=s.ScheduleOut, method="POST", permission=f + "manage", body=s.ScheduleIn),
        r(f"{BASE}/billing-runs", billing_run, response=s.BillingRunOut, method="POST", permission=f + "manage", body=s.BillingRunIn,
          status_code=201),
        r(f"{BASE}/bills", list_bills, response=Page[s.BillOut], permission=f + "read", query=s.BillQuery),
        r(f"{BASE}/bills/{{id:int}}/payments", pay_bill, response=s.PaymentOut, method="POST", permission=f + "collect", body=s.PaymentIn,
          status_code=201, idempotency_required=True),
        r(f"{BASE}/arrears", get_arrears, response=s.ArrearsOut, permission=f + "read", query=s.ArrearsQuery),
        r(f"{BASE}/arrears/reminders", remind_arrears, response=s.ReminderRunOut, method="POST", permission=f + "manage",
          body=s.ReminderRunIn, status_code=201),
        r(f"{BASE}/arrears/reminders/{{id:int}}", get_reminder_run, response=s.ReminderRunOut, permission=f + "read"),
        r(f"{BASE}/bills/{{id:int}}/reminders", bill_reminders, response=list[s.BillReminderOut], permission=f + "read"),
        r(f"{BASE}/kpis", get_kpis, response=s.KpiOut, permission="resident.kpi.read", query=s.KpiQuery,
          downloads=(CSV, XLSX)),
        r(f"{BASE}/procedures", list_procedures, response=Page[s.ProcedureOut], permission=p + "read", query=s.PageQuery),
        r(f"{BASE}/procedures", create_procedure, response=s.ProcedureOut, method="POST", permission=p + "edit", body=s.ProcedureIn,
          status_code=201),
        r(proc, get_procedure, response=s.ProcedureOut, permission=p + "read"),
        r(f"{proc}/steps", procedure_step, response=s.ProcedureOut, method="POST", permission=p + "edit", body=s.StepIn),
        r(f"{proc}/approve", procedure_approve, response=s.ProcedureOut, method="POST", permission=p + "approve", body=s.VersionIn),
        r(f"{proc}/complete", procedure_complete, response=s.ProcedureOut, method="POST", permission=p + "approve", body=s.VersionIn),
        r(f"{proc}/documents", procedure_document, response=s.UploadedOut, method="POST", permission=p + "edit", body=s.DocumentIn,
          status_code=201),
        r(f"{proc}/documents/{{doc_id:int}}", download_document, response=bytes, permission=p + "read",
          media_type="application/octet-stream"),  # the file as uploaded, under its own type
        r(f"{proc}/bundle", procedure_bundle, response=bytes, permission=p + "read", media_type=ZIP),
        r(f"{BASE}/announcements", list_announcements, response=Page[s.AnnouncementOut], permission="resident.announcement.read",
          query=s.AnnouncementQuery),
        r(f"{BASE}/announcements", create_announcement, response=s.AnnouncementOut, method="POST", permission="resident.announcement.edit",
          body=s.AnnouncementIn, status_code=201),
    ]
