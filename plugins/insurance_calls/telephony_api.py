"""The telephone system's webhook: POST /api/v1/sites/{site}/insurance/telephony/events.

No user signs in: the telephone system signs each body with the site's secret
(``telephony.verify``), and the signature is checked on the raw bytes before the body is
parsed. ``api_route`` checks a user's session and site membership before it reads the
body, so this route is declared with it (the same operation in the OpenAPI document) and
served by its own handler:

1. a browser session still needs its CSRF token, and a signed-in caller reaches only
   the sites they belong to (404 otherwise, as on every site route);
2. an unknown site is 404; a missing, stale (more than 300 s) or wrong signature, or a
   site without a secret, is 401;
3. the body is then validated like any other (422 naming the field);
4. 202 ``{"call_id", "agent"}``: recorded, the pop published after the commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.permissions import PUBLIC
from core.problems import Problem
from core.i18n import gettext as _
from core.web.access import check_csrf, resolve_site
from core.web.api import api_route, parse_body, parse_json_body, read_body, render_json
from plugins.insurance_calls import telephony

PATH = "/api/v1/sites/{site}/insurance/telephony/events"


class TelephonyEventIn(BaseModel):
    event: Literal["ringing", "answered", "ended"]
    call_id: str = Field(min_length=1, max_length=100, description="The telephone system's id of the call.")
    caller: str = Field("", max_length=40, description="The caller's number (empty or 'anonymous': withheld).")
    extension: str = Field("", max_length=20, description="The extension that rings or answered.")
    at: dt.datetime | None = Field(None, description="When it happened (ISO 8601; without a zone: UTC). "
                                                      "Default: when it arrives.")


class TelephonyEventOut(BaseModel):
    call_id: str
    agent: str | None = Field(description="The username of the agent whose extension it is (null: unknown).")


async def receive_event(request: Request, body: TelephonyEventIn) -> TelephonyEventOut:
    """Record a call event of the telephone system (HMAC-signed); ringing pops the caller's history on the agent's page."""
    site = request.state.site
    recorded = await telephony.record_event(site, body.event, body.call_id, body.caller, body.extension, body.at)
    await telephony.publish(request.app.state.events, site, recorded)
    return TelephonyEventOut(call_id=body.call_id, agent=recorded.agent.username if recorded.agent else None)


_DECLARED = api_route(
    PATH, receive_event, method="POST", permission=PUBLIC, body=TelephonyEventIn, response=TelephonyEventOut,
    status_code=202, tags=["insurance"],
    headers={telephony.TIMESTAMP_HEADER: True, telephony.SIGNATURE_HEADER: True},
    responses={401: "No secret set at the site, or a missing, stale or wrong signature", 404: "No such site"})
OPERATION = _DECLARED.operation  # type: ignore[attr-defined]
OPERATION.headers.pop("Idempotency-Key", None)  # the telephone system's events are idempotent by call id


async def _handle(request: Request) -> Response:
    state = request.state
    if getattr(state, "auth_method", None) == "session":
        await check_csrf(request, from_form=False)
    code = str(request.path_params["site"])
    if getattr(state, "user", None) is not None:
        site = await resolve_site(request, code)  # a signed-in caller: only their own sites exist
    else:
        site = await request.app.state.site_cache.get(code)
        if site is None:
            raise Problem(404, _("No site %(code)s.", code=code))
        state.site = site
    raw = await read_body(request)
    telephony.verify(site, request.headers, raw)
    body = parse_body(parse_json_body(request, raw), TelephonyEventIn)
    return render_json(await receive_event(request, body=body), OPERATION)


def routes() -> list[Route]:
    route = Route(PATH, _handle, methods=["POST"], name=f"{__name__}.receive_event")
    route.operation = OPERATION  # type: ignore[attr-defined]
    route.permission = PUBLIC  # type: ignore[attr-defined]
    return [route]
