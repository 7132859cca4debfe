"""Pages of the resident plugin: service desk, case, call list, campaigns, unit timeline,
fees, KPIs, households."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

from starlette.requests import Request
from tortoise.expressions import Q
from starlette.responses import RedirectResponse, Response

from core.clock import local_today, utcnow
from core.messages.web import history_context
from core.entities.models import Party, Unit
from core.entities.units import unit_by_code
from core.i18n import N_
from core.i18n import gettext as _
from core.identity.models import Membership, User
from core.identity.services import site_people
from core.money import format_money
from core.web.templating import render
from core.tasks.models import Task, TaskEvent
from core.tasks.history import shown_notes
from core.tasks.types import SubjectPanel
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.forms import FormErrors, form_action, form_int, offset_page, page_links, page_number
from core.problems import Problem, invalid
from core.web.routing import page_route
from plugins.resident import (campaigns, complaint_pages, complaints, fees, households, kpis, messaging, procedures,
                               reminders, services)
from plugins.resident import schemas as s
from plugins.resident.models import (CASE_KINDS, CHANNELS, ArrearsReminder, Bill, Campaign, Case, Household,
                                     HouseholdChange, Member, Procedure, ProcedureDocument, ReminderRun, Revisit)

BASE = "/sites/{site}/resident"


#: A move-in's or renovation's state (``Procedure.status``).
PROCEDURE_STATUS_LABELS = {"open": N_("Open"), "approved": N_("Approved"), "completed": N_("Completed"),
                           "archived": N_("Archived")}


def kernel(request: Request):
    return request.app.state.tasks


def kind_label(request: Request, kind: str) -> str:
    """A case kind's name: its task type's label (``resident.<kind>``)."""
    task_type = kernel(request).types.get(f"resident.{kind}")
    return str(task_type.label) if task_type is not None else kind



def home(request: Request, path: str = "") -> str:
    return f"/sites/{current_site(request).code}/resident/{path}"


# --- service desk -----------------------------------------------------------------------


async def desk(request: Request, form: dict | None = None, errors: FormErrors | None = None,
               status_code: int = 200) -> Response:
    site = current_site(request)
    user_id = request.state.user.id
    # An agent lands on their work: the cases they hold or took in (balanced assignment may
    # give an intake to a colleague: the one who took the call still follows it) and the new
    # (unassigned) ones, own first; a supervisor (who assigns) on every open case. Either may
    # switch with ?show=.
    show = request.query_params.get("show", "")
    if show not in ("mine", "all"):
        show = "all" if can(request, "core.task.assign") else "mine"
    open_cases = site_query(request, Case).filter(task__is_open=True)
    if show == "mine":
        open_cases = open_cases.filter(Q(task__assignee_id=user_id) | Q(task__assignee_id__isnull=True)
                                       | Q(task__created_by_id=user_id))
    cases = await open_cases.select_related("task", "unit").order_by("-id").limit(100)
    if show == "mine":
        far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
        cases.sort(key=lambda c: (c.task.assignee_id != user_id, not c.task.overdue, c.task.due_at or far))
    people = {u.id: u for u in await User.filter(id__in=list({c.task.assignee_id for c in cases if c.task.assignee_id}))}
    important = set(await Household.filter(unit_id__in=[c.unit_id for c in cases], important=True)
                    .values_list("unit_id", flat=True))
    for case in cases:
        case.important_owner = case.unit_id in important  # the badge beside the unit
    return render(request, "resident/desk.html", {
        "site": site, "cases": cases, "people": people, "kinds": CASE_KINDS, "channels": CHANNELS, "show": show,
        "form": form or {"kind": "repair", "channel": "phone"}, "errors": errors or FormErrors(),
        "may_create": can(request, "resident.case.create"),
        "complaint_categories": await complaint_pages.options(site, complaints.CATEGORIES),
    }, status_code=status_code)


async def create_case(request: Request) -> Response:
    site = current_site(request)

    async def with_unit(form: dict) -> dict:
        unit = await unit_by_code(site.id, form.pop("unit_code"))  # any case: "a-0101" is A-0101
        if unit is None:
            raise invalid("unit_code", _("No unit with this code here."))
        return {**form, "unit_id": unit.id}

    async def act(body: s.CaseIn):
        case, _duplicates = await services.create_case(kernel(request), site, actor_of(request), body.model_dump())
        return case

    return await form_action(request, fields=["kind", "channel", "unit_code", "title", "description", "category",
                                              "severity"], prepare=with_unit, schema=s.CaseIn, act=act,
                             beside=["kind", "channel", "unit_code", "title", "description", "category"],
                             page=lambda errors, values, status: desk(request, values, errors, status),
                             success_url=lambda case: home(request, f"cases/{case.id}"))


# --- a case -----------------------------------------------------------------------------


async def case_page(request: Request, errors: FormErrors | None = None, status_code: int = 200,
                    values: dict | None = None) -> Response:
    site = current_site(request)
    case = await get_in_site(request, Case, request.path_params["id"], "case")
    task = await Task.get(id=case.task_id)
    unit = await Unit.get(id=case.unit_id)
    task_type = kernel(request).types[task.type]
    events = await TaskEvent.filter(task_id=task.id).order_by("id")
    notes = await shown_notes(events)
    for event in events:
        event.note = notes[event.id]  # a person by display name (not saved: the page only reads it)
    ids = {e.actor_id for e in events if e.actor_id} | ({task.assignee_id} if task.assignee_id else set())
    people = {u.id: u for u in await User.filter(id__in=list(ids))}
    duplicates = await Case.filter(id__in=await services.find_duplicates(site, case.unit_id, case.category, case.id))
    case.important_owner = await Household.filter(unit_id=case.unit_id, important=True).exists()
    return render(request, "resident/case.html", {
        "site": site, "case": case, "task": task, "unit": unit, "events": events, "people": people,
        "actions": [(to, task_type.state_label(to)) for to in task_type.workflow.allowed(task.status) if to != "cancelled"],
        "revisits": await Revisit.filter(case_id=case.id).order_by("id"), "duplicates": duplicates,
        "errors": errors or FormErrors(), "may_work": can(request, "resident.case.work"),
        "may_assign": can(request, "core.task.assign"),
        "assignable": await site_people(site.id) if can(request, "core.task.assign") else {},
        "classify": await complaint_pages.classify_context(site, case),
        "category_words": await complaint_pages.category_words(site, case),
        "reply_values": values or {}, **await history_context(request, ("resident", "case", case.id)),
        "resident": await Party.get_or_none(id=case.party_id, site_id=site.id) if case.party_id else None,
        "not_sent": [messaging.channel_label(name) for name in request.query_params.get("not_sent", "").split(",")
                     if name in messaging.CHANNELS],
    }, status_code=status_code)


async def task_panel(request: Request, task: Task, subject) -> SubjectPanel | None:
    """A case on its task's page (``task_subject_panel``): the reply and revisit forms. A
    revisit's escalation or follow-up task links to the revisit list or the household."""
    if subject.kind == "revisit":
        revisit = await Revisit.get_or_none(id=subject.id, site_id=task.site_id)
        if revisit is None:
            return None
        unit = await Unit.get_or_none(id=revisit.unit_id)
        return SubjectPanel(title=_("Revisit %(id)s of %(unit)s", id=revisit.id, unit=unit.code if unit else ""),
                            url=home(request, f"units/{revisit.unit_id}"))
    if subject.kind == "household":
        household = await Household.get_or_none(id=subject.id, site_id=task.site_id)
        if household is None:
            return None
        unit = await Unit.get_or_none(id=household.unit_id)
        return SubjectPanel(title=_("Household of %(code)s", code=unit.code if unit else ""),
                            url=home(request, f"households/{household.id}"))
    if subject.kind != "case":
        return None
    case = await Case.get_or_none(id=subject.id, site_id=task.site_id)
    if case is None:
        return None
    unit = await Unit.get_or_none(id=case.unit_id)
    return SubjectPanel(title=_("Case %(id)s: %(title)s", id=case.id, title=case.title),
                        url=home(request, f"cases/{case.id}"), template="resident/_task_panel.html",
                        context={"case": case, "unit_code": unit.code if unit else "",
                                 "category": await complaint_pages.category_words(current_site(request), case),
                                 "kind_label": kind_label(request, case.kind),
                                 "may_work": can(request, "resident.case.work")})


async def case_view(request: Request) -> Response:
    return await case_page(request)


REVISIT_FIELDS = ["method", "reached", "satisfied", "score", "comments", "suggestions", "notes"]


async def _case_action(request: Request, fields: list[str], act, **options) -> Response:
    """One of the case page's small forms: ``act(case, form)`` calls the service."""
    case = await get_in_site(request, Case, request.path_params["id"], "case")
    # The case page has several forms (and its task page the same ones): messages go on top.
    return await form_action(request, fields=fields, act=lambda form: act(case, form), beside=(),
                             page=lambda errors, values, status: case_page(request, errors, status),
                             success_url=home(request, f"cases/{case.id}"), **options)


async def case_reply(request: Request) -> Response:
    """The reply form: recorded, and sent to the resident by the channels ticked (the
    service the API's reply calls)."""
    case = await get_in_site(request, Case, request.path_params["id"], "case")
    send_by = [value for value in (await request.form()).getlist("send_by") if isinstance(value, str)][:5]

    def prepare(form: dict) -> dict:
        return {"message": form["message"], "send_by": send_by or None, "phone": form["phone"] or None,
                "email": form["email"] or None}

    async def act(body: s.ReplyIn) -> list[str]:
        replied = await services.reply(kernel(request), case, body.message, actor=actor_of(request),
                                       send_by=body.send_by, phone=body.phone, email=body.email)
        return [m.channel for m in replied.sent_messages if m.status == "suppressed"]

    def done(suppressed: list[str]) -> str:
        return home(request, f"cases/{case.id}") + (f"?not_sent={','.join(suppressed)}" if suppressed else "")

    return await form_action(request, fields=["message", "phone", "email"], prepare=prepare, schema=s.ReplyIn,
                             act=act, beside=["message", "phone", "email"],
                             page=lambda errors, values, status: case_page(request, errors, status,
                                                                           {**values, "send_by": send_by}),
                             success_url=done)


async def case_transition(request: Request) -> Response:
    async def act(case, form):
        task = await Task.get(id=case.task_id)
        version = form_int(form, "version", required=True, hidden=True)
        # The case page's buttons are the task's generic moves, with the same limits.
        await kernel(request).transition(task, form["to"], version, actor_of(request),
                                         note=form["note"][:2000], may_work_any=True, generic=True)
    return await _case_action(request, ["to", "version", "note"], act)


def _revisit_data(form: dict, comments: str) -> dict:
    """A revisit form's fields for the schema, the resident's words under ``comments``
    (a case's revisit calls them ``comments``, the call list's ``evaluation``)."""
    # Both answers start empty on the form and must be chosen: a default "yes" once
    # recorded revisits that reached nobody. Satisfaction is asked only of a reached resident.
    answers = {"yes": True, "no": False}
    reached = answers.get(str(form.get("reached", "")))
    if reached is None:
        raise invalid("reached", _("Choose whether the resident was reached."))
    satisfied = answers.get(str(form.get("satisfied", "")))
    if reached and satisfied is None:
        raise invalid("satisfied", _("Choose whether the resident was satisfied."))
    return {"method": str(form.get("method", "phone")), "reached": reached, "satisfied": satisfied,
            "score": form_int(form, "score"),
            comments: str(form.get("comments", ""))[:5000],
            "suggestions": str(form.get("suggestions", ""))[:5000], "notes": str(form.get("notes", ""))[:5000]}


async def case_revisit(request: Request) -> Response:
    async def act(case, body: s.RevisitIn):
        await services.revisit_case(kernel(request), case, body.model_dump(), actor=actor_of(request))
    return await _case_action(request, REVISIT_FIELDS, act, schema=s.RevisitIn,
                              prepare=lambda form: _revisit_data(form, "comments"))


async def case_assign(request: Request) -> Response:
    """The case page's assignment: a supervisor gives the case's task to someone (or to
    whoever has the fewest open tasks); an agent who may work cases takes an unassigned one."""
    async def act(case, form):
        task = await Task.get(id=case.task_id)
        version = form_int(form, "version", required=True, hidden=True)
        choice = form["assignee"]
        if can(request, "core.task.assign"):
            balanced = choice == "balanced"
            if not balanced and not choice.isdigit():
                raise invalid("assignee", _("Choose who gets the task."))
            person = None if balanced else int(choice)
        elif choice == "me" and task.assignee_id is None:
            balanced, person = False, request.state.user.id
        else:
            raise Problem(403, _("You do not have the permission this needs (%(permission)s).",
                                 permission="core.task.assign"))
        await kernel(request).assign(task, person, balanced, version, request.state.user,
                                     request.state.client_address)
    return await _case_action(request, ["assignee", "version"], act)


async def case_merge(request: Request) -> Response:
    async def act(case, form):
        into_id = form_int(form, "into_id", message=_("Choose the case to merge into."))
        into = await site_query(request, Case).get_or_none(id=into_id) if into_id is not None else None
        if into is None:
            raise Problem(422, _("Choose the case to merge into."))
        await services.merge_case(kernel(request), case, into, actor=actor_of(request))
    return await _case_action(request, ["into_id"], act)


# --- call list --------------------------------------------------------------------------


async def calls(request: Request, errors: FormErrors | None = None, status_code: int = 200) -> Response:
    site = current_site(request)
    pending = await (site_query(request, Revisit).filter(agent_id=request.state.user.id, status="pending")
                     .select_related("unit").prefetch_related(services.HISTORY).order_by("-overdue", "id").limit(200))
    callers = {attempt.by_id for r in pending for attempt in r.history if attempt.by_id}
    people = {u.id: u for u in await User.filter(id__in=list(callers))} if callers else {}
    members = {}
    for household in await Household.filter(unit_id__in=[r.unit_id for r in pending]).prefetch_related("members"):
        members[household.unit_id] = list(household.members)
    return render(request, "resident/calls.html", {"site": site, "revisits": pending, "members": members,
                                                   "people": people,
                                                   "errors": errors or FormErrors(),
                                                   "attempts_allowed": services.retry_policy(site)[0],
                                                   "show_phones": can(request, "core.party.personal_data")},
                  status_code=status_code)


async def calls_page(request: Request) -> Response:
    return await calls(request)


async def record_revisit(request: Request) -> Response:
    revisit = await get_in_site(request, Revisit, request.path_params["id"], "revisit")

    def data(form: dict) -> dict:
        services.check_revisit_agent(revisit, actor_of(request))
        return {**_revisit_data(form, "evaluation"), "version": form_int(form, "version")}

    async def act(body: s.RevisitRecordIn) -> None:
        await campaigns.record(kernel(request), revisit, body.model_dump(), actor=actor_of(request))

    # One form per revisit on the call list: messages go on top.
    return await form_action(request, fields=[*REVISIT_FIELDS, "version"], prepare=data, schema=s.RevisitRecordIn,
                             act=act,
                             beside=(), page=lambda errors, values, status: calls(request, errors, status),
                             success_url=home(request, "calls"))


# --- the revisit list -------------------------------------------------------------------

REVISITS_PAGE_SIZE = 50


def _query_int(request: Request, name: str) -> int | None:
    value = request.query_params.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


async def revisits_page(request: Request) -> Response:
    """Recorded and pending revisits with their attempts, by status, campaign and agent
    (an agent sees their own), with the counts; the API's list through the same query."""
    site = current_site(request)
    status = request.query_params.get("status", "")
    status = status if status in campaigns.REVISIT_STATUSES else ""
    campaign_id = _query_int(request, "campaign_id")
    manager = can(request, "resident.campaign.manage")
    agent_id = _query_int(request, "agent_id") if manager else request.state.user.id
    page = page_number(request)
    rows, more = await offset_page(
        campaigns.revisits_query(site.id, status=status or None, campaign_id=campaign_id, agent_id=agent_id)
        .select_related("unit").prefetch_related(services.HISTORY).order_by("-id"), page, REVISITS_PAGE_SIZE)
    counts = await campaigns.revisit_counts(site.id, campaign_id=campaign_id, agent_id=agent_id)
    member_ids = await Membership.filter(site_id=site.id).values_list("user_id", flat=True) if manager else []
    callers = {attempt.by_id for r in rows for attempt in r.history if attempt.by_id}
    people = {u.id: u for u in await User.filter(
        id__in=list({*member_ids, *callers, *(r.agent_id for r in rows if r.agent_id)}))}
    return render(request, "resident/revisits.html", {
        "site": site, "revisits": rows, "counts": counts, "people": people, "manager": manager,
        "campaigns": await site_query(request, Campaign).order_by("-id").limit(100),
        "filters": {"status": status, "campaign_id": campaign_id, "agent_id": agent_id}, "page": page,
        "links": page_links(request.url.path, {"status": status, "campaign_id": str(campaign_id or ""),
                                               "agent_id": str(agent_id or "") if manager else ""}, page, more),
    })


# --- campaigns --------------------------------------------------------------------------

#: What a campaign does besides the calls (``Campaign.message_mode``).
MESSAGE_MODE_LABELS = {"none": N_("Calls only"), "before_call": N_("A message before the call"),
                       "instead_of_call": N_("A message instead of the call")}


async def campaigns_page(request: Request, form: dict | None = None, errors: FormErrors | None = None,
                         status_code: int = 200) -> Response:
    site = current_site(request)
    from core.identity.services import site_people

    return render(request, "resident/campaigns.html", {
        "site": site, "campaigns": await site_query(request, Campaign).order_by("-id").limit(100),
        "people": await site_people(site.id), "form": form or {"rule_kind": "all"},
        "errors": errors or FormErrors(),
        "buildings": sorted(set(await site_query(request, Unit).values_list("building", flat=True))),
        "mode_labels": {key: _(label) for key, label in MESSAGE_MODE_LABELS.items()},
        "channel_labels": {name: messaging.channel_label(name) for name in messaging.CHANNELS},
    }, status_code=status_code)


async def campaigns_view(request: Request) -> Response:
    return await campaigns_page(request)


async def create_campaign(request: Request) -> Response:
    raw = await request.form()

    def campaign_in(form: dict) -> dict:
        rule: dict = {"kind": form["rule_kind"]}
        if form["rule_kind"] == "building":
            rule["building"] = form["building"]
        elif form["rule_kind"] == "holiday":
            rule["name"] = form["holiday"]
        elif form["rule_kind"] == "closed_cases":
            rule.update({"from": form["from"], "to": form["to"]})
        return {"name": form["name"], "rule": rule,
                "agent_ids": [form_int(str(v), "agent_ids", required=True) for v in raw.getlist("agent_ids")],
                "due_days": form_int(form, "due_days"),
                "skill": form["skill"] or None, "message_mode": form["message_mode"] or "none",
                "message_channel": form["message_channel"]}

    async def act(body: s.CampaignIn):
        return await campaigns.create_campaign(current_site(request), body.model_dump(), actor=actor_of(request))

    return await form_action(request, fields=["name", "rule_kind", "building", "holiday", "from", "to", "due_days",
                                              "skill", "message_mode", "message_channel"], prepare=campaign_in, schema=s.CampaignIn, act=act,
                             beside=["name", "due_days", "skill", "agent_ids"],
                             page=lambda errors, values, status: campaigns_page(request, values, errors, status),
                             success_url=lambda campaign: home(request, f"campaigns/{campaign.id}"))


async def campaign_page(request: Request, errors: FormErrors | None = None, status_code: int = 200) -> Response:
    campaign = await get_in_site(request, Campaign, request.path_params["id"], "campaign")
    data = await campaigns.report(current_site(request), campaign)
    sent = {key: form_int(request.query_params.get(key, ""), key, lenient=True)
            for key in ("queued", "suppressed", "failed", "already_sent", "messaged")}
    return render(request, "resident/campaign.html", {
        "site": current_site(request), "campaign": campaign, "report": data, "percent": campaigns.percent,
        "errors": errors or FormErrors(), "sent": sent if sent["queued"] is not None else None,
        "mode_labels": {key: _(label) for key, label in MESSAGE_MODE_LABELS.items()},
        "status_labels": {key: _(label) for key, label in messaging.messages.STATUS_LABELS.items()},
    }, status_code=status_code)


async def campaign_report(request: Request) -> Response:
    return await campaign_page(request)


async def campaign_messages(request: Request) -> Response:
    """The campaign's "send messages" action (the API's, through the same service)."""
    campaign = await get_in_site(request, Campaign, request.path_params["id"], "campaign")
    try:
        sent = await campaigns.send_messages(current_site(request), campaign, actor=actor_of(request))
    except Problem as problem:
        return await campaign_page(request, FormErrors(general=[problem.detail]), problem.status)
    return RedirectResponse(home(request, f"campaigns/{campaign.id}?" + urlencode(sent)), status_code=303)


async def distribute(request: Request) -> Response:
    campaign = await get_in_site(request, Campaign, request.path_params["id"], "campaign")
    await campaigns.distribute(request.app.state.events, current_site(request), campaign, actor=actor_of(request))
    return RedirectResponse(home(request, f"campaigns/{campaign.id}"), status_code=303)


# --- unit timeline, households ----------------------------------------------------------


async def unit_page(request: Request) -> Response:
    site = current_site(request)
    unit = await get_in_site(request, Unit, request.path_params["id"], "unit")
    household = await Household.get_or_none(unit_id=unit.id).prefetch_related("members")
    return render(request, "resident/unit.html", {
        "site": site, "unit": unit, "household": household, "items": await households.timeline(site, unit),
        "show_phones": can(request, "core.party.personal_data"),
        "procedure_statuses": {status: _(label) for status, label in PROCEDURE_STATUS_LABELS.items()}})


async def households_page(request: Request, report: dict | None = None, error: str = "",
                          status_code: int = 200) -> Response:
    site = current_site(request)
    rows = await site_query(request, Household).select_related("unit").prefetch_related("members").order_by("id").limit(200)
    return render(request, "resident/households.html", {"site": site, "households": rows, "report": report,
                                                        "errors": FormErrors(general=[error] if error else []),
                                                        "show_phones": can(request, "core.party.personal_data")},
                  status_code=status_code)


async def households_view(request: Request) -> Response:
    return await households_page(request)


async def import_households(request: Request) -> Response:
    form = await request.form(max_part_size=2 * 1024 * 1024)
    upload = form.get("file")
    if upload is None or not hasattr(upload, "read"):
        return await households_page(request, error=_("Choose a CSV file."), status_code=422)
    raw = await upload.read()  # CSV in UTF-8, Big5 or GB18030, or XLSX: core reads each
    try:
        report = await households.import_csv(request.app.state.host, current_site(request), raw, actor_of(request),
                                             dry_run=form.get("dry_run") == "yes")
    except Problem as problem:
        return await households_page(request, problem.extra.get("report"), problem.detail, problem.status)
    return await households_page(request, report)


# --- a household: its members, history and the forms that change it -----------------------

#: What a household history entry is (``HouseholdChange.kind``).
CHANGE_KIND_LABELS = {"occupant": N_("Owner or tenant change"), "member_added": N_("Family member added"),
                      "member_changed": N_("Member changed"), "member_removed": N_("Family member removed"),
                      "details": N_("Household details changed")}
#: The household fields a details change shows.
DETAIL_LABELS = {"important": N_("Important owner"), "area": N_("Area (m²)"), "notes": N_("Notes")}
AREA = re.compile(r"^\d{1,8}(\.\d{1,2})?$")


async def household_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                         status_code: int = 200, failed: str = "") -> Response:
    """The household of one unit: members (phones masked per role), its history and, for
    those who may edit, the forms; a refused form is re-shown with its values (``failed``
    names which form)."""
    site = current_site(request)
    household = await get_in_site(request, Household, request.path_params["id"], "household")
    unit = await Unit.get(id=household.unit_id)
    members = await Member.filter(household_id=household.id).order_by("id")
    changes = await HouseholdChange.filter(household_id=household.id).order_by("-id").limit(200)
    people = {u.id: u for u in await User.filter(id__in=list({c.recorded_by_id for c in changes if c.recorded_by_id}))}
    show_phones = can(request, "core.party.personal_data")
    return render(request, "resident/household.html", {
        "site": site, "household": household, "unit": unit, "show_phones": show_phones,
        "data": households.household_out(household, members, show_phones),
        "changes": [households.change_out(change, show_phones) for change in changes], "people": people,
        "kind_labels": {kind: _(label) for kind, label in CHANGE_KIND_LABELS.items()},
        "detail_labels": {name: _(label) for name, label in DETAIL_LABELS.items()},
        "today": local_today(site).isoformat(), "may_edit": can(request, "resident.household.edit"),
        "errors": errors or FormErrors(), "values": values or {}, "failed": failed, "no_errors": FormErrors(),
    }, status_code=status_code)


async def household_view(request: Request) -> Response:
    return await household_page(request)


async def _household_action(request: Request, form_name: str, fields: list[str], prepare, schema, act,
                            **options) -> Response:
    household = await get_in_site(request, Household, request.path_params["id"], "household")
    return await form_action(request, fields=fields, prepare=prepare, schema=schema,
                             act=lambda body: act(household, body),
                             page=lambda errors, values, status: household_page(request, errors, values, status,
                                                                               form_name),
                             success_url=home(request, f"households/{household.id}"), **options)


def _version(form: dict) -> int | None:
    return form_int(form, "version", required=True, hidden=True)


async def household_details(request: Request) -> Response:
    def prepare(form: dict) -> dict:
        if not AREA.match(form["area"]):
            raise invalid("area", _("Enter an area such as 85.50."))
        return {"version": _version(form), "important": form["important"] == "yes", "area": form["area"],
                "notes": form["notes"]}

    async def act(household, body: s.HouseholdPatchIn):
        return await households.change_details(current_site(request), household, body.model_dump(),
                                               actor=actor_of(request))

    return await _household_action(request, "details", ["version", "important", "area", "notes"], prepare,
                                   s.HouseholdPatchIn, act, keep_blank=True, beside=["area", "notes"])


async def household_occupant(request: Request) -> Response:
    def prepare(form: dict) -> dict:
        try:
            effective = dt.date.fromisoformat(form["effective_date"])
        except ValueError:
            raise invalid("effective_date", _("Give the date as YYYY-MM-DD.")) from None
        return {"version": _version(form), "relation": form["relation"], "effective_date": effective,
                "name": form["name"], "phone": form["phone"], "replace_family": form["replace_family"] == "yes",
                "note": form["note"]}

    async def act(household, body: s.OccupantChangeIn):
        return await households.change_occupant(current_site(request), household, body.model_dump(),
                                                actor=actor_of(request))

    return await _household_action(request, "occupant", ["version", "relation", "effective_date", "name", "phone",
                                                         "replace_family", "note"], prepare, s.OccupantChangeIn, act,
                                   beside=["relation", "effective_date", "name", "phone", "note"])


async def household_add_member(request: Request) -> Response:
    async def act(household, body: s.FamilyMemberIn):
        return await households.add_member(current_site(request), household, body.model_dump(),
                                           actor=actor_of(request))

    return await _household_action(request, "member", ["version", "name", "phone"],
                                   lambda form: {**form, "version": _version(form)}, s.FamilyMemberIn, act,
                                   beside=["name", "phone"])


async def _member_of(household: Household, request: Request) -> Member:
    member = await Member.get_or_none(id=request.path_params["member_id"], household_id=household.id)
    if member is None:
        raise Problem(404, _("No such member in this household."))
    return member


async def household_change_member(request: Request) -> Response:
    async def act(household, body: s.MemberPatchIn):
        member = await _member_of(household, request)
        return await households.change_member(current_site(request), household, member, body.model_dump(),
                                              actor=actor_of(request))

    def prepare(form: dict) -> dict:
        data = {**form, "version": _version(form)}
        if not data["phone"] and not can(request, "core.party.personal_data"):
            data.pop("phone")  # the form could not show the number: blank keeps it
        return data

    # An edit form shows the member's name and phone: a phone left blank removes it.
    return await _household_action(request, f"member-{request.path_params['member_id']}", ["version", "name", "phone"],
                                   prepare, s.MemberPatchIn, act,
                                   keep_blank=True, beside=["name", "phone"])


async def household_remove_member(request: Request) -> Response:
    async def act(household, body: s.HouseholdVersionIn):
        member = await _member_of(household, request)
        return await households.remove_member(current_site(request), household, member, body.version,
                                              actor=actor_of(request))

    return await _household_action(request, f"member-{request.path_params['member_id']}", ["version"],
                                   lambda form: {"version": _version(form)}, s.HouseholdVersionIn, act, beside=())


# --- a procedure: its steps ------------------------------------------------------------------


async def procedure_page(request: Request, errors: FormErrors | None = None, status_code: int = 200) -> Response:
    site = current_site(request)
    procedure = await get_in_site(request, Procedure, request.path_params["id"], "procedure")
    unit = await Unit.get(id=procedure.unit_id)
    return render(request, "resident/procedure.html", {
        "site": site, "procedure": procedure, "unit": unit,
        "documents": await ProcedureDocument.filter(procedure_id=procedure.id).order_by("id"),
        "owed": format_money(await procedures.owed_minor(unit.id), site.currency),
        "status_label": _(PROCEDURE_STATUS_LABELS.get(procedure.status, procedure.status)),
        "step_labels": {key: str(label) for key, label, _required in procedures.STEPS.get(procedure.kind, [])},
        "may_edit": can(request, "resident.procedure.edit"), "errors": errors or FormErrors(),
    }, status_code=status_code)


async def procedure_view(request: Request) -> Response:
    return await procedure_page(request)


async def procedure_step(request: Request) -> Response:
    procedure = await get_in_site(request, Procedure, request.path_params["id"], "procedure")

    async def act(body: s.StepIn):
        return await procedures.complete_step(procedure, body.step, body.version, actor=actor_of(request))

    # One form per step: messages go on top.
    return await form_action(request, fields=["step", "version"],
                             prepare=lambda form: {"step": form["step"], "version": _version(form)}, schema=s.StepIn,
                             act=act, beside=(), page=lambda errors, values, status: procedure_page(request, errors, status),
                             success_url=home(request, f"procedures/{procedure.id}"))


# --- fees and KPIs ----------------------------------------------------------------------


async def fees_page(request: Request, errors: FormErrors | None = None, values: dict | None = None,
                    status_code: int = 200) -> Response:
    site = current_site(request)
    errors = errors or FormErrors()
    try:
        as_of = dt.date.fromisoformat(request.query_params.get("as_of", "")) if request.query_params.get("as_of") else utcnow().date()
    except ValueError:
        as_of = utcnow().date()
        errors.general.append(_("Give the date as YYYY-MM-DD."))
    notice = ""
    billed, created = request.query_params.get("billed", ""), request.query_params.get("created", "")
    count = form_int(created, "created", lenient=True)
    if fees.PERIOD.match(billed) and count is not None:  # after a billing run (its redirect)
        notice = _("%(count)s bills created for %(period)s.", count=count, period=billed)
    building = request.query_params.get("building", "")[:60]
    data = await fees.arrears(site, as_of, 200, None, building)
    sent = await reminders.reminders_of_bills([item["bill_id"] for item in data["items"]])
    runs = await ReminderRun.filter(site_id=site.id).order_by("-id").limit(5)
    return render(request, "resident/fees.html", {"site": site, "data": data, "as_of": as_of, "building": building,
                                                  "errors": errors, "values": values or {}, "notice": notice,
                                                  "may_bill": can(request, "resident.fee.manage"),
                                                  "may_collect": can(request, "resident.fee.collect"),
                                                  "reminders": sent, "runs": runs,
                                                  "today": local_today(site).isoformat()}, status_code=status_code)


async def fees_view(request: Request) -> Response:
    return await fees_page(request)


async def run_billing(request: Request) -> Response:
    async def act(form: dict) -> dict:
        return await fees.billing_run(current_site(request), form["period"], actor=actor_of(request))

    return await form_action(request, fields=["period"], act=act, page=lambda errors, values, status: fees_page(
        request, errors, values, status), success_url=lambda result: home(request, "fees?" + urlencode(
            {"billed": result["period"], "created": result["created"]})))


async def reminder(request: Request) -> Response:
    site = current_site(request)
    bill = await get_in_site(request, Bill, request.path_params["id"], "bill")
    unit = await Unit.get(id=bill.unit_id)
    household = await Household.get_or_none(unit_id=unit.id).prefetch_related("members")
    open_complaints = await Case.filter(unit_id=unit.id, kind="complaint", task__is_open=True).count()
    return render(request, "resident/reminder.html", {
        "site": site, "bill": fees.bill_out(bill, site), "unit": unit, "household": household,
        "open_complaints": open_complaints, "today": utcnow().date().isoformat(),
        "reminders": (await reminders.reminders_of_bills([bill.id])).get(bill.id, []),
        **await history_context(request, ("resident", "bill", bill.id))})


async def remind_arrears(request: Request) -> Response:
    """The arrears page's "send reminders" action (the API's service)."""
    site = current_site(request)

    def prepare(form: dict) -> dict:
        try:
            as_of = dt.date.fromisoformat(form["as_of"]) if form["as_of"] else None
        except ValueError:
            raise invalid("as_of", _("Give the date as YYYY-MM-DD.")) from None
        return {"as_of": as_of, "letters": form["letters"] == "yes"}

    async def act(body: s.ReminderRunIn) -> ReminderRun:
        return await reminders.remind_arrears(site, body.as_of, "letters" if body.letters else "preferred",
                                              actor=actor_of(request))

    return await form_action(request, fields=["as_of", "letters"], prepare=prepare, schema=s.ReminderRunIn, act=act,
                             beside=["as_of"], page=lambda errors, values, status: fees_page(request, errors, values,
                                                                                          status),
                             success_url=lambda run: home(request, f"fees/reminders/{run.id}"))


async def reminder_run_page(request: Request) -> Response:
    site = current_site(request)
    run = await get_in_site(request, ReminderRun, request.path_params["id"], "reminder run")
    rows = await ArrearsReminder.filter(run_id=run.id).select_related("bill__unit").order_by("id").limit(500)
    sent = await reminders.reminders_of_bills([row.bill_id for row in rows])
    return render(request, "resident/reminder_run.html", {
        "site": site, "run": reminders.run_out(run, site), "rows": rows, "sent": sent,
        "amount": lambda minor: reminders.amount_text(minor, site.currency)})


async def reminder_letters(request: Request) -> Response:
    site = current_site(request)
    run = await get_in_site(request, ReminderRun, request.path_params["id"], "reminder run")
    if not await ArrearsReminder.filter(run_id=run.id, kind="letter").exists():
        raise Problem(404, _("This run has no letters."))
    data = await reminders.letters_pdf(site, run, request.app.state.catalogs)
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="arrears-letters-{run.month}-{run.id}.pdf"'})


async def kpi_page(request: Request) -> Response:
    site = current_site(request)
    today = local_today(site)
    try:
        month = dt.date.fromisoformat(request.query_params.get("month", "") + "-01") if request.query_params.get("month") else today.replace(day=1)
    except ValueError:
        month = today.replace(day=1)
    end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    data = await kpis.kpis(site, month, end)
    return render(request, "resident/kpis.html", {"site": site, "data": data, "month": month.strftime("%Y-%m")})


def routes():
    from plugins.resident import fee_pages

    case = f"{BASE}/cases/{{id:int}}"
    return [
        page_route(f"{BASE}/", desk, permission="resident.case.read"),
        page_route(f"{BASE}/cases", create_case, permission="resident.case.create", methods=["POST"]),
        page_route(case, case_view, permission="resident.case.read"),
        page_route(f"{case}/reply", case_reply, permission="resident.case.work", methods=["POST"]),
        page_route(f"{case}/transition", case_transition, permission="resident.case.work", methods=["POST"]),
        page_route(f"{case}/revisit", case_revisit, permission="resident.case.work", methods=["POST"]),
        page_route(f"{case}/assign", case_assign, permission="resident.case.work", methods=["POST"]),
        page_route(f"{case}/merge", case_merge, permission="resident.case.work", methods=["POST"]),
        page_route(f"{BASE}/calls", calls_page, permission="resident.revisit.record"),
        page_route(f"{BASE}/revisits", revisits_page, permission="resident.revisit.record"),
        page_route(f"{BASE}/revisits/{{id:int}}", record_revisit, permission="resident.revisit.record", methods=["POST"]),
        page_route(f"{BASE}/campaigns", campaigns_view, permission="resident.campaign.manage"),
        page_route(f"{BASE}/campaigns", create_campaign, permission="resident.campaign.manage", methods=["POST"]),
        page_route(f"{BASE}/campaigns/{{id:int}}", campaign_report, permission="resident.campaign.manage"),
        page_route(f"{BASE}/campaigns/{{id:int}}/distribute", distribute, permission="resident.campaign.manage",
                   methods=["POST"]),
        page_route(f"{BASE}/campaigns/{{id:int}}/messages", campaign_messages, permission="resident.campaign.manage",
                   methods=["POST"]),
        page_route(f"{BASE}/units/{{id:int}}", unit_page, permission="resident.household.read"),
        page_route(f"{BASE}/households", households_view, permission="resident.household.read"),
        page_route(f"{BASE}/households/import", import_households, permission="resident.household.edit",
                   methods=["POST"]),
        page_route(f"{BASE}/households/{{id:int}}", household_view, permission="resident.household.read"),
        page_route(f"{BASE}/households/{{id:int}}", household_details, permission="resident.household.edit",
                   methods=["POST"]),
        page_route(f"{BASE}/households/{{id:int}}/changes", household_occupant, permission="resident.household.edit",
                   methods=["POST"]),
        page_route(f"{BASE}/households/{{id:int}}/members", household_add_member, permission="resident.household.edit",
                   methods=["POST"]),
        page_route(f"{BASE}/households/{{id:int}}/members/{{member_id:int}}", household_change_member,
                   permission="resident.household.edit", methods=["POST"]),
        page_route(f"{BASE}/households/{{id:int}}/members/{{member_id:int}}/remove", household_remove_member,
                   permission="resident.household.edit", methods=["POST"]),
        page_route(f"{BASE}/procedures/{{id:int}}", procedure_view, permission="resident.procedure.read"),
        page_route(f"{BASE}/procedures/{{id:int}}/steps", procedure_step, permission="resident.procedure.edit",
                   methods=["POST"]),
        page_route(f"{BASE}/fees", fees_view, permission="resident.fee.read"),
        page_route(f"{BASE}/fees/billing-runs", run_billing, permission="resident.fee.manage", methods=["POST"]),
        page_route(f"{BASE}/fees/bills/{{id:int}}/reminder", reminder, permission="resident.fee.read"),
        page_route(f"{BASE}/fees/reminders", remind_arrears, permission="resident.fee.manage", methods=["POST"]),
        page_route(f"{BASE}/fees/reminders/{{id:int}}", reminder_run_page, permission="resident.fee.read"),
        page_route(f"{BASE}/fees/reminders/{{id:int}}/letters.pdf", reminder_letters, permission="resident.fee.read"),
        *fee_pages.routes(),
        page_route(f"{BASE}/kpis", kpi_page, permission="resident.kpi.read"),
    ]
