"""Messages' JSON routes (found by convention: ``routes()``).

``POST /api/v1/messages/sms/reports``: the SMS gateway's delivery reports. No user signs
in: the gateway signs each body with ``sms_report_secret`` (``core.signing``),
and the signature is checked on the raw bytes before the body is parsed. ``api_route``
declares the operation (OpenAPI), and the route is served by its own handler:

1. a browser session still needs its CSRF token (as on every unsafe route);
2. no secret configured, a missing, stale (more than 300 s) or wrong signature: 401;
3. the body is then validated like any other (422 naming the field);
4. the message is found by the gateway's id (``provider_id``) or by our reference (the
   message's id) and marked delivered or failed: 200 with its status. A reference that
   names no SMS is logged and answered 202, so the gateway does not retry it forever.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.clock import rfc3339, utcnow
from core.events import LiveEvent
from core import signing
from core.messages.models import Message
from core.i18n import gettext as _
from core.permissions import PUBLIC
from core.problems import invalid
from core.web.access import check_csrf
from core.web.api import api_route, parse_body, parse_json_body, read_body, render_json

log = logging.getLogger("frontdesk.messages.sms")

SMS_REPORTS_PATH = "/api/v1/messages/sms/reports"
#: A report moves a message on only from these: it was handed to the gateway.
REPORTABLE = ("sending", "sent")


class SmsReportIn(BaseModel):
    # Gateways add fields of their own: they are ignored, not refused.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str | None = Field(None, max_length=100, description="The gateway's id of the SMS (its answer's id).")
    reference: str | None = Field(None, max_length=100, description="Frontdesk's reference sent with the SMS.")
    status: Literal["delivered", "failed"]
    reason: str = Field("", max_length=400, description="Why it failed, in the gateway's words.")
    at: AwareDatetime | None = Field(None, description="When it was delivered or failed (default: on arrival).")


class SmsReportOut(BaseModel):
    message_id: int | None = Field(description="The outbox message (null: no SMS has this id or reference).")
    status: str = Field(description="The message's status after the report (unknown: no such SMS).")
    delivered_at: str | None = None


async def _find(body: SmsReportIn) -> Message | None:
    names = [name for name in (body.id, body.reference) if name]
    message = await Message.filter(channel="sms", provider_id__in=names).order_by("-id").first()
    if message is None and body.reference and body.reference.isascii() and body.reference.isdigit() \
            and len(body.reference) <= 18:
        message = await Message.filter(channel="sms", id=int(body.reference)).first()
    return message


async def apply_report(body: SmsReportIn) -> tuple[Message | None, bool]:
    """Mark the SMS a report names delivered or failed (a repeated or late report changes
    nothing): the message (``None`` when it names none) and whether it changed."""
    for _attempt in range(3):
        message = await _find(body)
        if message is None:
            return None, False
        if message.status not in REPORTABLE:
            return message, False
        now = utcnow()
        at = min(body.at.astimezone(dt.timezone.utc), now) if body.at else now
        if body.status == "delivered":
            changes = {"status": "delivered", "delivered_at": at}
        else:
            changes = {"status": "failed", "reason": f"gateway reported: {body.reason or 'failed'}"[:500]}
        # Conditional on the version read: a worker writing the same row meanwhile wins,
        # and the report is applied to what it wrote.
        updated = await Message.filter(id=message.id, version=message.version).update(
            **changes, version=message.version + 1)
        if updated:
            return await Message.get(id=message.id), True
    return await _find(body), False


async def receive_sms_report(request: Request, body: SmsReportIn) -> SmsReportOut:
    """Record an SMS gateway's delivery report (HMAC-signed with sms_report_secret)."""
    message, changed = await apply_report(body)
    if message is None:
        log.info("SMS report for an unknown SMS (id %r, reference %r) ignored", body.id, body.reference)
        return SmsReportOut(message_id=None, status="unknown")
    if changed and message.subject_plugin:
        # As the worker tells a record's page of a status ("sent by SMS at 10:02, delivered").
        await request.app.state.events.publish(LiveEvent(site_id=message.site_id, name="message.status", data={
            "id": message.id, "status": message.status, "channel": message.channel,
            "subject": f"{message.subject_plugin}.{message.subject_kind}:{message.subject_id}"}))
    return SmsReportOut(message_id=message.id, status=message.status, delivered_at=rfc3339(message.delivered_at))


_DECLARED = api_route(
    SMS_REPORTS_PATH, receive_sms_report, method="POST", permission=PUBLIC, body=SmsReportIn,
    response=SmsReportOut, tags=["messages"],
    headers={signing.TIMESTAMP_HEADER: True, signing.SIGNATURE_HEADER: True},
    responses={202: "No SMS has this id or reference (logged; not to be sent again)",
               401: "No sms_report_secret set, or a missing, stale or wrong signature"})
SMS_REPORTS = _DECLARED.operation  # type: ignore[attr-defined]
SMS_REPORTS.headers.pop("Idempotency-Key", None)  # a repeated report changes nothing


async def _handle_sms_report(request: Request) -> Response:
    if getattr(request.state, "auth_method", None) == "session":
        await check_csrf(request, from_form=False)
    raw = await read_body(request)
    signing.verify(request.app.state.settings.sms_report_secret, request.headers, raw)
    body = parse_body(parse_json_body(request, raw), SmsReportIn)
    if not (body.id or body.reference):
        raise invalid("reference", _("Give the SMS's id or reference."))
    result = await receive_sms_report(request, body=body)
    if result.message_id is None:
        return JSONResponse(result.model_dump(), status_code=202)
    return render_json(result, SMS_REPORTS)


def _sms_reports_route() -> Route:
    route = Route(SMS_REPORTS_PATH, _handle_sms_report, methods=["POST"], name=f"{__name__}.receive_sms_report")
    route.operation = SMS_REPORTS  # type: ignore[attr-defined]
    route.permission = PUBLIC  # type: ignore[attr-defined]
    return route


def routes() -> list[Route]:
    return [
        _sms_reports_route(),
    ]
