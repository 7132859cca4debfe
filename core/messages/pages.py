"""The outbox's pages (found by convention: ``routes()``): the site's messages with retry
and cancel, one message and its attempt log, the templates admin, a party's contact
preferences and opt-outs, and the signed-in user's notices.

Every form is a POST with its CSRF token; a refused one re-shows its page with the message
(a stale version or a wrong state: 409; an unknown placeholder: 422 beside the field).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.clock import local_time
from core.entities.models import Party, Site
from core.i18n import LANGUAGE_NAMES
from core.i18n import gettext as _
from core.messages import services, wording
from core.messages.models import STATUSES, Message
from core.messages.outbox_api import (MANAGE, OPT_OUT, PARTY_READ, READ, attempts_of, change_contact, contact_of,
                                      message_api_out, parse_subject, stale)
from core.messages.schemas import ContactIn
from core.messages.templates import SMS_SEGMENT
from core.messages.web import STATUS_CLASSES
from core.permissions import AUTHENTICATED
from core.problems import Problem
from core.web.api import parse_body
from core.web.access import actor_of, can, current_site, get_in_site, site_query
from core.web.forms import FormErrors, form_int, form_strings, offset_page, page_links, page_number, problem_errors
from core.web.routing import page_route
from core.web.templating import render

PAGE_SIZE = 50


def _row(site: Site, message: Message, unmasked: bool) -> dict:
    out = message_api_out(message, unmasked)
    out.update(status_class=STATUS_CLASSES.get(message.status, "closed"),
               created_local=local_time(site, message.created_at), sent_local=local_time(site, message.sent_at),
               delivered_local=local_time(site, message.delivered_at),
               next_local=local_time(site, message.next_attempt_at),
               about=f"{message.subject_plugin}.{message.subject_kind}:{message.subject_id}"
               if message.subject_plugin else "")
    return out


def _status_options() -> list[tuple[str, str]]:
    return [(status, _(services.STATUS_LABELS[status])) for status in STATUSES]


def _channel_options() -> list[tuple[str, str]]:
    return [(name, str(channel.label)) for name, channel in services.registry().channels.items()]


async def outbox(request: Request) -> Response:
    site = current_site(request)
    filters = {name: request.query_params.get(name, "")[:120].strip()
               for name in ("status", "channel", "template", "subject")}
    errors = FormErrors()
    rows = site_query(request, Message)
    if filters["status"] in STATUSES:
        rows = rows.filter(status=filters["status"])
    else:
        filters["status"] = ""
    if filters["channel"]:
        rows = rows.filter(channel=filters["channel"])
    if filters["template"]:
        rows = rows.filter(template=filters["template"])
    if filters["subject"]:
        try:
            plugin, kind, record_id = parse_subject(filters["subject"])
            rows = rows.filter(subject_plugin=plugin, subject_kind=kind, subject_id=record_id)
        except Problem as problem:
            errors = problem_errors(problem, ["subject"])
    page = page_number(request)
    found, more = await offset_page(rows.order_by("-id"), page, PAGE_SIZE)
    unmasked = can(request, MANAGE)
    return render(request, "core/messages/outbox.html", {
        "site": site, "base": f"/sites/{site.code}/messages", "filters": filters, "errors": errors,
        "messages": [_row(site, message, unmasked) for message in found], "page": page,
        "links": page_links(request.url.path, filters, page, more), "statuses": _status_options(),
        "channels": _channel_options(), "templates": sorted(services.registry().templates),
        "can_manage": unmasked,
    }, status_code=422 if errors else 200)


async def _message_page(request: Request, message: Message, errors: FormErrors | None = None,
                        status_code: int = 200) -> Response:
    site = current_site(request)
    attempts = [{**attempt, "started_local": local_time(site, attempt["started_at"]),
                 "finished_local": local_time(site, attempt["finished_at"])} for attempt in await attempts_of(message)]
    return render(request, "core/messages/message.html", {
        "site": site, "base": f"/sites/{site.code}/messages", "message": _row(site, message, can(request, MANAGE)),
        "rendered_subject": message.rendered_subject, "rendered_body": message.rendered_body,
        "attempts": attempts, "errors": errors or FormErrors(), "can_manage": can(request, MANAGE),
        "done": request.query_params.get("done", ""),
    }, status_code=status_code)


async def message_page(request: Request) -> Response:
    return await _message_page(request, await get_in_site(request, Message, request.path_params["id"], "message"))


async def _message_action(request: Request, action, done: str) -> Response:
    site = current_site(request)
    message = await get_in_site(request, Message, request.path_params["id"], "message")
    try:
        version = form_int(await form_strings(request, ["version"]), "version", required=True, hidden=True)
        stale(message, version)
        message = await action(message, actor=actor_of(request))
    except Problem as problem:
        message = await Message.get(id=message.id)
        return await _message_page(request, message, problem_errors(problem), problem.status)
    return RedirectResponse(f"/sites/{site.code}/messages/{message.id}?done={done}", status_code=303)


async def retry_message(request: Request) -> Response:
    return await _message_action(request, services.retry, "retry")


async def cancel_message(request: Request) -> Response:
    return await _message_action(request, services.cancel, "cancel")


# --- Templates admin ------------------------------------------------------------------------


async def templates_page(request: Request) -> Response:
    site = current_site(request)
    return render(request, "core/messages/templates.html", {
        "site": site, "base": f"/sites/{site.code}/messages",
        "templates": await wording.templates_out(site, request.app.state.catalogs),
        "languages": LANGUAGE_NAMES, "channel_labels": dict(_channel_options()), "can_manage": can(request, MANAGE),
    })


async def _wording_page(request: Request, values: dict | None = None, errors: FormErrors | None = None,
                        status_code: int = 200) -> Response:
    site = current_site(request)
    key, channel, language = (request.path_params[name] for name in ("key", "channel", "language"))
    try:
        template = wording.check_target(key, channel, language)
    except Problem as problem:
        raise Problem(404, problem.detail) from None
    own = (await wording.site_wordings(site)).get((key, channel, language))
    current = wording.effective(template, channel, language, request.app.state.catalogs, own)
    if values is None:
        values = {"subject": current["subject"], "body": current["body"],
                  "version": str(current["version"] or "")}
    return render(request, "core/messages/wording.html", {
        "site": site, "base": f"/sites/{site.code}/messages", "template": template, "current": current,
        "channel_label": wording.channel_label(channel), "language_name": LANGUAGE_NAMES[language],
        "values": values, "errors": errors or FormErrors(), "saved": request.query_params.get("saved", ""),
        "action": f"/sites/{site.code}/messages/templates/{key}/{channel}/{language}",
        "wording_lang": language.replace("_", "-"),  # the default wording is in that language, not the page's
        "sms_long": channel == "sms" and len(values.get("body", "")) > SMS_SEGMENT,
    }, status_code=status_code)


async def wording_form(request: Request) -> Response:
    return await _wording_page(request)


async def wording_save(request: Request) -> Response:
    site = current_site(request)
    key, channel, language = (request.path_params[name] for name in ("key", "channel", "language"))
    form = await request.form()
    values = {"subject": str(form.get("subject", ""))[:300].strip(), "body": str(form.get("body", ""))[:5000],
              "version": str(form.get("version", ""))[:20].strip()}
    try:
        if form.get("reset"):
            await wording.reset_wording(site, key, channel, language, actor=actor_of(request))
            saved = "reset"
        else:
            version = form_int(values, "version", hidden=True)
            await wording.save_wording(site, key, channel, language, values["subject"], values["body"],
                                       version=version, actor=actor_of(request))
            saved = "1"
    except Problem as problem:
        if problem.status == 404:
            raise
        return await _wording_page(request, values, problem_errors(problem, ["subject", "body"]), problem.status)
    return RedirectResponse(f"/sites/{site.code}/messages/templates/{key}/{channel}/{language}?saved={saved}",
                            status_code=303)


# --- A party's contact preferences ------------------------------------------------------------


async def _contact_page(request: Request, party: Party, values: dict | None = None,
                        errors: FormErrors | None = None, status_code: int = 200) -> Response:
    site = current_site(request)
    contact = await contact_of(party)
    if values is None:
        values = {"preferred_language": contact["preferred_language"],
                  "preferred_channel": contact["preferred_channel"], "version": str(contact["version"])}
        for channel in contact["channels"]:
            choice = contact["opt_outs"].get(channel, {"opted_out": False, "reason": ""})
            values[f"opt_out_{channel}"] = "1" if choice["opted_out"] else ""
            values[f"reason_{channel}"] = choice["reason"]
    return render(request, "core/messages/contact.html", {
        "site": site, "party": party, "contact": contact, "values": values, "errors": errors or FormErrors(),
        "languages": list(LANGUAGE_NAMES.items()),
        "channels": [(name, wording.channel_label(name)) for name in contact["channels"]],
        "can_edit": can(request, OPT_OUT), "saved": request.query_params.get("saved") == "1",
        "action": f"/sites/{site.code}/parties/{party.id}/contact",
    }, status_code=status_code)


async def contact_page(request: Request) -> Response:
    return await _contact_page(request, await get_in_site(request, Party, request.path_params["id"], "party"))


async def contact_save(request: Request) -> Response:
    site = current_site(request)
    party = await get_in_site(request, Party, request.path_params["id"], "party")
    channels = [name for name in services.registry().channels if name != "in_app"]
    names = ["preferred_language", "preferred_channel", "version"]
    names += [f"opt_out_{name}" for name in channels] + [f"reason_{name}" for name in channels]
    values = await form_strings(request, names)
    try:
        version = form_int(values, "version", required=True, hidden=True)
        body = parse_body({"preferred_language": values["preferred_language"],
                           "preferred_channel": values["preferred_channel"], "version": version,
                           "opt_outs": {name: {"opted_out": bool(values[f"opt_out_{name}"]),
                                               "reason": values[f"reason_{name}"]} for name in channels}}, ContactIn)
        await change_contact(site, party, body, actor_of(request))
    except Problem as problem:
        party = await Party.get(id=party.id)
        aliases = {f"opt_outs.{name}": f"reason_{name}" for name in channels}
        return await _contact_page(request, party, values, problem_errors(problem, names, aliases), problem.status)
    return RedirectResponse(f"/sites/{site.code}/parties/{party.id}/contact?saved=1", status_code=303)


# --- The signed-in user's notices ---------------------------------------------------------------


async def notifications_page(request: Request) -> Response:
    user = request.state.user
    rows = await services.notices(user, limit=100)
    sites = {site.id: site for site in await Site.filter(id__in=list({row.site_id for row in rows}))}
    return render(request, "core/messages/notifications.html", {
        "notices": [{"id": row.id, "subject": row.rendered_subject, "body": row.rendered_body,
                     "site_name": sites[row.site_id].name if row.site_id in sites else "",
                     "at": local_time(sites[row.site_id], row.created_at) if row.site_id in sites else "",
                     "unread": row.read_at is None} for row in rows],
        "unread": sum(1 for row in rows if row.read_at is None),
        "marked": request.query_params.get("marked", ""),
    })


async def notifications_read(request: Request) -> Response:
    form = await request.form()
    notice_id = form_int(str(form.get("id", "")), "id", lenient=True)
    await services.mark_read(request.state.user, None if notice_id is None else [notice_id])
    return RedirectResponse("/me/notifications?marked=1", status_code=303)


def routes():
    base = "/sites/{site}/messages"
    wording_path = f"{base}/templates/{{key}}/{{channel}}/{{language}}"
    return [
        page_route(base, outbox, permission=READ),
        page_route(f"{base}/templates", templates_page, permission=READ),
        page_route(wording_path, wording_form, permission=MANAGE),
        page_route(wording_path, wording_save, permission=MANAGE, methods=["POST"]),
        page_route(f"{base}/{{id:int}}", message_page, permission=READ),
        page_route(f"{base}/{{id:int}}/retry", retry_message, permission=MANAGE, methods=["POST"]),
        page_route(f"{base}/{{id:int}}/cancel", cancel_message, permission=MANAGE, methods=["POST"]),
        page_route("/sites/{site}/parties/{id:int}/contact", contact_page, permission=PARTY_READ),
        page_route("/sites/{site}/parties/{id:int}/contact", contact_save, permission=OPT_OUT, methods=["POST"]),
        page_route("/me/notifications", notifications_page, permission=AUTHENTICATED),
        page_route("/me/notifications/read", notifications_read, permission=AUTHENTICATED, methods=["POST"]),
    ]
