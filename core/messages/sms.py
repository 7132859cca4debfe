"""SMS through an HTTP gateway: the built-in ``sms`` channel (``register_channels``).

Gateways differ, so the request is a template: ``sms_gateway_body`` is POSTed to
``sms_gateway_url`` with ``{to}``, ``{text}``, ``{reference}`` and ``{callback}`` replaced
by their values escaped for a JSON string (the template's quotes stay the template's), and
``Authorization: Bearer <sms_gateway_token>`` when a token is set. ``reference`` is the
outbox message's id; ``callback`` is where the gateway reports delivery
(``{public_url}/api/v1/messages/sms/reports``, signed: ``core.signing``).

A timeout or a refused connection fails the rest of the batch at once (each message is
retried later), so a hung gateway costs one timeout per batch, not one per message.

The gateway's answer decides: 2xx is sent, and the message's ``provider_id`` is the ``id``
or ``message_id`` of its JSON answer (else our reference), which its reports name; 5xx, a
timeout or a refused connection is a passing failure (retried later); another 4xx is
permanent (the gateway refused this message: retrying cannot help), except 408 and 429.

Phone numbers: digits with an optional leading ``+``, 8 to 15 of them (E.164's longest);
spaces, dashes, dots and brackets people type are dropped. Whether a number is a mobile
number is the gateway's to say: it answers 4xx, which fails the message with its reason.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from typing import Any, AsyncIterator

import httpx

from core.entities.privacy import mask_phone
from core.i18n import N_
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.messages.channels import DeliveryFailed, Outgoing, Sent

log = logging.getLogger("frontdesk.messages.sms")

#: Where the gateway reports delivery, under ``public_url``.
REPORTS_PATH = "/api/v1/messages/sms/reports"
NOT_CONFIGURED = N_("SMS is not configured (sms_gateway_url is empty).")

_TYPED_SEPARATORS = re.compile(r"[\s\-.()\u00a0]")
_PHONE = re.compile(r"\+?[0-9]{8,15}")
_PLACEHOLDER = re.compile(r"\{(to|text|reference|callback)\}")


def json_escaped(value: str) -> str:
    """``value`` as the inside of a JSON string (quotes, backslashes, newlines escaped)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def render_body(template: str, values: dict[str, str]) -> str:
    """The gateway request: each placeholder replaced once, JSON-escaped (a text that itself
    says ``{to}`` stays as written)."""
    return _PLACEHOLDER.sub(lambda match: json_escaped(values[match.group(1)]), template)


def callback_url(public_url: str) -> str:
    return f"{public_url.rstrip('/')}{REPORTS_PATH}" if public_url else ""


def provider_id_of(response: httpx.Response, reference: str) -> str:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        for key in ("id", "message_id"):
            value = answer.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                return str(value).strip()[:100]
    return reference


class SmsSender:
    """Posts the SMS of one batch through one HTTP client (its connections kept alive)."""

    def __init__(self, settings: Any, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client
        self.callback = callback_url(settings.public_url)
        #: Set when the gateway timed out or could not be reached: the rest of the batch
        #: fails at once with that reason (retried later), not a timeout each.
        self.down = ""

    async def send(self, outgoing: Outgoing) -> Sent:
        settings = self.settings
        reference = str(outgoing.message_id)
        body = render_body(settings.sms_gateway_body, {
            "to": outgoing.address, "text": outgoing.body or outgoing.subject,
            "reference": reference, "callback": self.callback,
        })
        headers = {"Content-Type": "application/json"}
        if settings.sms_gateway_token:
            headers["Authorization"] = f"Bearer {settings.sms_gateway_token}"
        if self.down:
            raise DeliveryFailed(self.down)
        try:
            response = await self.client.post(settings.sms_gateway_url, content=body.encode("utf-8"), headers=headers)
        except httpx.TimeoutException:
            self.down = f"gateway timed out after {settings.sms_timeout_seconds:g} s"
            raise DeliveryFailed(self.down) from None
        except httpx.HTTPError as error:
            self.down = f"gateway not reachable: {type(error).__name__} {error}"[:400]
            raise DeliveryFailed(self.down) from None
        status = response.status_code
        if 200 <= status < 300:
            log.debug("SMS %s accepted for %s", outgoing.message_id, mask_phone(outgoing.address))
            return Sent(provider_id=provider_id_of(response, reference), delivered=False)
        detail = " ".join(response.text.split())[:200]
        reason = f"gateway answered {status}" + (f": {detail}" if detail else "")
        permanent = 400 <= status < 500 and status not in (408, 429)
        raise DeliveryFailed(reason, permanent=permanent)


class SmsChannel:
    """The ``sms`` channel: a party's first phone number, through the HTTP gateway."""

    name = "sms"
    label = _l("SMS")
    respects_quiet_hours = True

    def address_of(self, party: Any = None, user: Any = None) -> str:
        """A party's first phone number that is a valid address; users have none."""
        for phone in getattr(party, "phones", None) or []:
            try:
                return self.normalise_address(str(phone))
            except ValueError:
                continue
        return ""

    def normalise_address(self, value: str) -> str:
        compact = _TYPED_SEPARATORS.sub("", value or "")
        if not compact:
            raise ValueError(_("Enter a phone number."))
        if not _PHONE.fullmatch(compact):
            raise ValueError(_("Enter a phone number of 8 to 15 digits, optionally starting with +."))
        return compact

    @contextlib.asynccontextmanager
    async def connect(self, app: Any) -> AsyncIterator[SmsSender]:
        settings = app.state.settings
        if not settings.sms_gateway_url:
            raise DeliveryFailed(NOT_CONFIGURED)
        timeout = httpx.Timeout(settings.sms_timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            yield SmsSender(settings, client)
