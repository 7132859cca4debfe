"""Pages of the phone desk: quick call entry with the caller's history, my callbacks, the
call list, the supervisor's dashboard. Applications live in ``application_pages``."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from core.clock import local_time, local_today, rfc3339, utcnow
from core.i18n import gettext as _
from core.messages.web import history_context
from core.identity.models import Membership, User
from core.web.templating import render
from core.tasks.models import Task
from core.tasks.types import STATE_LABELS, SubjectPanel
from core.web.access import actor_of, can, current_site, site_query
from core.web.forms import FormErrors, form_action, form_int, offset_page, page_links, page_number
from core.problems import Problem
from core.web.routing import page_route
from plugins.insurance_calls import kpis, rules, services
from plugins.insurance_calls.services import PERSONAL
from plugins.insurance_calls.models import CALL_TYPES, Call

FORM_FIELDS = ["direction", "phone", "caller_name", "plate", "policy_no", "call_type", "summary", "answer",
               "outcome", "follow_up_at", "started_at", "task_id", "satisfied", "vehicle", "card_number",
               "repair_shop", "claim_no", "telephony_call_id", "send_confirmation", "confirmation_channel",
               "confirmation_email"]
TYPE_FIELD_NAMES = ("vehicle", "card_number", "repair_shop", "claim_no")
PAGE_SIZE = 50


def _parselocal_time(site, text: str, field: str) -> dt.datetime | None:
    """A datetime-local value in the site's time zone, as UTC."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Problem(422, _("Enter a date and time."), errors=[{"field": field, "message": _("Enter a date and time.")}]) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(site.timezone))
    return moment.astimezone(dt.timezone.utc)


def _choices(labels: dict) -> list[tuple[str, str]]:
    return [(name, str(label)) for name, label in labels.items()]


async def _entry_context(request: Request, form: dict, errors: FormErrors, logged: Call | None = None) -> dict:
    site = current_site(request)
    task = None
    if (task_id := form_int(form, "task_id", lenient=True)) is not None:
        task = await site_query(request, Task).filter(id=task_id).first()
    required = {name: list(fields) for name, fields in rules.REQUIRED_FIELDS.items()}
    return {
        "site": site, "form": form, "errors": errors, "logged": logged,
        "call_types": _choices(rules.CALL_TYPE_LABELS), "outcomes": _choices(rules.OUTCOME_LABELS),
        "directions": _choices(rules.DIRECTION_LABELS), "required_json": json.dumps(required),
        "patterns": rules.HTML_PATTERNS,
        "task": task, "is_revisit": bool(task and task.type == services.REVISIT),
        "field_labels": {name: str(label) for name, label in rules.FIELD_LABELS.items()},
        "confirmation_channels": [("sms", _("SMS")), ("email", _("E-mail"))],
        # What was sent to the caller about the call just logged (its callback confirmation).
        **(await history_context(request, ("insurance_calls", "call", logged.id)) if logged is not None else {}),
    }


async def quick_entry(request: Request) -> Response:
    site = current_site(request)
    if request.method == "POST":
        return await _log_from_form(request)
    form = {"direction": "inbound", "outcome": "resolved", "started_at": rfc3339(utcnow())}
    if (task_id := form_int(request.query_params, "task", lenient=True)) is not None:
        task = await site_query(request, Task).filter(id=task_id, type__in=list(services.CALLBACK_TYPES),
                                                      is_open=True).first()
        if task is not None:
            form.update(task_id=str(task.id), direction="outbound")
            source = ({"complaint_task_id": task.parent_id} if task.parent_id else {"follow_up_task_id": task.id})
            first = await Call.filter(site_id=site.id, **source).first()
            if first is not None:
                form.update(phone=first.phone, caller_name=first.caller_name, plate=first.plate,
                            policy_no=first.policy_no, call_type=first.call_type,
                            **{name: first.type_fields.get(name, "") for name in TYPE_FIELD_NAMES})
    logged = None
    if (logged_id := form_int(request.query_params, "logged", lenient=True)) is not None:
        logged = await site_query(request, Call).filter(id=logged_id).first()
    context = await _entry_context(request, form, FormErrors(), logged)
    return render(request, "insurance_calls/entry.html", {**context, "due_callbacks": await _due_callbacks(request)})


#: How many of today's callbacks the call form lists (the rest: "My callbacks").
DUE_CALLBACKS_SHOWN = 8


async def _due_callbacks(request: Request) -> dict:
    """The agent's open callbacks due by the end of today at the site (late ones first):
    the call form is a call agent's home, so the day's promised calls are on it."""
    site, user = current_site(request), request.state.user
    today = local_today(site)
    end_of_day = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=ZoneInfo(site.timezone))
    due = site_query(request, Task).filter(type__in=list(services.CALLBACK_TYPES), is_open=True, assignee_id=user.id,
                                           due_at__lt=end_of_day.astimezone(dt.timezone.utc))
    rows = await due.order_by("due_at", "id").limit(DUE_CALLBACKS_SHOWN + 1)
    now = utcnow()
    return {"rows": [{"task": task, "due": local_time(site, task.due_at), "late": task.due_at < now}
                     for task in rows[:DUE_CALLBACKS_SHOWN]],
            "more": len(rows) > DUE_CALLBACKS_SHOWN}


async def _log_from_form(request: Request) -> Response:
    site = current_site(request)

    async def act(form: dict) -> Call:
        data = {
            "direction": form["direction"], "phone": form["phone"], "caller_name": form["caller_name"],
            "plate": form["plate"], "policy_no": form["policy_no"], "call_type": form["call_type"],
            "summary": form["summary"], "answer": form["answer"], "outcome": form["outcome"],
            "follow_up_at": _parselocal_time(site, form["follow_up_at"], "follow_up_at"),
            "started_at": _parselocal_time(site, form["started_at"], "started_at"),
            # The form opens when the call starts and is sent when it ends: with its start
            # (the form's hidden field), the call is timed; without it, its time is unknown.
            "ended_at": utcnow() if form["started_at"] else None,
            "fields": {name: form[name] for name in TYPE_FIELD_NAMES if form[name]},
            "task_id": form_int(form, "task_id"),
            "satisfied": {"yes": True, "no": False}.get(form["satisfied"]),
            # Filled by the screen pop: the start and end then come from the telephone system.
            "telephony_call_id": form_int(form, "telephony_call_id", hidden=True),
            "send_confirmation": bool(form["send_confirmation"]),
            "confirmation_channel": form["confirmation_channel"] or "sms",
            "confirmation_email": form["confirmation_email"] or None,
        }
        errors = FormErrors()
        for name, allowed in (("direction", rules.DIRECTION_LABELS), ("call_type", rules.CALL_TYPE_LABELS),
                              ("outcome", rules.OUTCOME_LABELS)):
            if data[name] not in allowed:
                errors.fields[name] = _("Choose one of the offered values.")
        for name in ("phone", "summary"):
            if not data[name]:
                errors.fields[name] = _("This field is required.")
        if errors:
            raise Problem(422, _("Check the marked fields."),
                          errors=[{"field": k, "message": v} for k, v in errors.fields.items()])
        return await services.log_call(request.app.state.tasks, site, actor_of(request), data)

    async def again(errors: FormErrors, values: dict, status: int) -> Response:
        return render(request, "insurance_calls/entry.html", await _entry_context(request, values, errors),
                      status_code=status)

    return await form_action(request, fields=FORM_FIELDS, act=act, page=again,
                             aliases={f"fields.{name}": name for name in TYPE_FIELD_NAMES},
                             success_url=lambda call: f"/sites/{site.code}/insurance_calls/?logged={call.id}")


async def callbacks(request: Request) -> Response:
    site, user = current_site(request), request.state.user
    mine = request.query_params.get("all") != "1" or not can(request, "core.task.assign")
    tasks = site_query(request, Task).filter(type__in=list(services.CALLBACK_TYPES), is_open=True)
    if mine:
        tasks = tasks.filter(assignee_id=user.id)
    rows = await tasks.order_by("due_at", "id").limit(200)
    now = utcnow()
    return render(request, "insurance_calls/callbacks.html", {
        "site": site, "mine": mine, "may_see_all": can(request, "core.task.assign"),
        "rows": [{"task": task, "due": local_time(site, task.due_at), "late": bool(task.due_at and task.due_at < now),
                  "revisit": task.type == services.REVISIT,
                  "status": str(STATE_LABELS.get(task.status, task.status))} for task in rows],
    })


async def call_list(request: Request) -> Response:
    site = current_site(request)
    personal = can(request, PERSONAL)
    filters = {name: request.query_params.get(name, "").strip()[:40] for name in ("q", "call_type", "agent_id")}
    error = ""
    calls = site_query(request, Call)
    try:
        query = filters["q"]
        if query:
            digits = query.replace(" ", "").replace("-", "")
            if digits.lstrip("+").isdigit():
                if not personal:
                    raise Problem(403, _("Searching by phone number needs the permission to see phone numbers."))
                calls = services.call_filters(calls, phone=query)
            elif len(digits) >= 10 and digits[:1].isalpha() and digits.isascii():
                if not personal:
                    raise Problem(403, _("Searching by policy number needs the permission to see policy numbers."))
                calls = services.call_filters(calls, policy_no=query)
            else:
                calls = services.call_filters(calls, plate=query)
        if filters["call_type"] in CALL_TYPES:
            calls = calls.filter(call_type=filters["call_type"])
        if (agent_id := form_int(filters, "agent_id", lenient=True)) is not None:
            calls = calls.filter(agent_id=agent_id)
    except Problem as problem:
        error, calls = problem.detail, calls.filter(id=-1)
    page = page_number(request)
    rows, more = await offset_page(calls.order_by("-started_at", "-id"), page, PAGE_SIZE)
    if rows and personal:
        await services.audit_unmasked(actor_of(request), site, f"calls page {page}")
    agent_ids = await Membership.filter(site_id=site.id).values_list("user_id", flat=True)
    agents = {u.id: u.display_name or u.username for u in await User.filter(id__in=list(set(agent_ids)))}
    return render(request, "insurance_calls/calls.html", {
        "site": site, "filters": filters, "errors": FormErrors(general=[error] if error else []), "agents": agents,
        "call_types": _choices(rules.CALL_TYPE_LABELS), "type_labels": rules.CALL_TYPE_LABELS,
        "outcome_labels": rules.OUTCOME_LABELS,
        "rows": [{**services.call_out(call, personal), "local": local_time(site, call.started_at)} for call in rows],
        "links": page_links(request.url.path, filters, page, more),
    })


async def task_panel(request: Request, task, subject) -> SubjectPanel | None:
    """The call a callback, complaint or revisit came from, on the task's page: who called
    about what and what they were told. Numbers are masked unless the reader may see
    them (and an unmasked view is audited, as everywhere)."""
    site = current_site(request)
    call = await Call.get_or_none(id=subject.id, site_id=site.id)
    if call is None:
        return None
    personal = can(request, PERSONAL)
    if personal:
        await services.audit_unmasked(actor_of(request), site, f"call {call.id} on task {task.id}")
    # The call list finds a caller by plate without the permission to see numbers.
    url = f"/sites/{site.code}/insurance_calls/calls" + (f"?{urlencode({'q': call.plate})}" if call.plate else "")
    return SubjectPanel(title=_("Call of %(when)s", when=local_time(site, call.started_at)), url=url,
                        template="insurance_calls/_task_panel.html",
                        context={"call": services.call_out(call, personal),
                                 **await history_context(request, ("insurance_calls", "call", call.id)),
                                 "type_label": str(rules.CALL_TYPE_LABELS.get(call.call_type, call.call_type))})


async def dashboard(request: Request) -> Response:
    site = current_site(request)
    today = local_today(site)
    period = request.query_params.get("period", "month")
    days = {"today": 1, "week": 7, "month": 30}.get(period, 30)
    start, end = kpis.local_day_bounds(site, today - dt.timedelta(days=days - 1), days=days)
    data = await kpis.kpis(site, start, end)
    tiles = [
        {"name": "on_time_reply_rate", "label": _("Complaints replied on time")},
        {"name": "standard_handling_rate", "label": _("Complaints handled to standard")},
        {"name": "satisfaction_rate", "label": _("Satisfaction")},
    ]
    for tile in tiles:
        tile.update(value=data[tile["name"]], target=data["targets"][tile["name"]], met=data["met"][tile["name"]],
                    status=data["status"][tile["name"]])
    week_start = today - dt.timedelta(days=today.weekday())
    return render(request, "insurance_calls/dashboard.html", {
        "site": site, "data": data, "tiles": tiles, "period": period, "today": today.isoformat(),
        "week_start": week_start.isoformat(), "type_labels": rules.CALL_TYPE_LABELS,
    })


def routes() -> list:
    from plugins.insurance_calls import application_pages

    base = "/sites/{site}/insurance_calls"
    return [
        page_route(f"{base}/", quick_entry, permission="insurance_calls.call.log", methods=["GET", "POST"]),
        page_route(f"{base}/callbacks", callbacks, permission="insurance_calls.call.log"),
        page_route(f"{base}/calls", call_list, permission="insurance_calls.call.read"),
        page_route(f"{base}/dashboard", dashboard, permission="insurance_calls.kpi.read"),
        *application_pages.routes(base),
    ]
