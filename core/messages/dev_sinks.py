"""Stand-ins for a mail server and an SMS gateway, for the demo and development
(``frontdesk devsinks``). Nothing leaves the machine.

- SMTP on 127.0.0.1:1025 (aiosmtpd, no TLS, no login): every e-mail it accepts is written
  to ``var/devmail/`` as one ``.eml`` file (open it with any mail program).
- An SMS gateway on 127.0.0.1:1026 (any path, POST): every request body is written to
  ``var/devsms/`` as one ``.json`` file, answered ``200 {"id": "dev-<n>"}``, and, when the
  body names a ``callback``, a signed "delivered" report is POSTed to it a second later
  (signed with ``sms_report_secret``, as a real gateway would: ``core.signing``).

The settings that point Frontdesk at them are in docs/notifications.md ("Channels").
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from pathlib import Path
from typing import Any, Callable

import httpx

from core.clock import rfc3339, utcnow
from core import signing

log = logging.getLogger("frontdesk.devsinks")


def _stamp() -> str:
    return utcnow().strftime("%Y%m%dT%H%M%S.%f")


class MailSink:
    """The aiosmtpd handler: each accepted e-mail becomes ``<folder>/<time>-<n>.eml``."""

    def __init__(self, folder: Path, say: Callable[[str], None]) -> None:
        self.folder = folder
        self.say = say
        self.numbers = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        number = next(self.numbers)
        path = self.folder / f"{_stamp()}-{number}.eml"
        content = envelope.original_content or b""
        envelope_lines = f"X-Dev-Envelope-From: {envelope.mail_from}\r\nX-Dev-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        path.write_bytes(envelope_lines.encode("utf-8") + content)
        self.say(f"mail  {', '.join(envelope.rcpt_tos)} -> {path}")
        return "250 Message accepted for delivery"


class SmsGateway:
    """A tiny ASGI app: POST stores the body, answers an id, reports delivery later."""

    def __init__(self, folder: Path, secret: str, say: Callable[[str], None], report_delay: float = 1.0) -> None:
        self.folder = folder
        self.secret = secret
        self.say = say
        self.report_delay = report_delay
        self.numbers = itertools.count(1)
        self.tasks: set[asyncio.Task] = set()
        self.reports_sent = 0

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        raw = b""
        more = True
        while more:
            message = await receive()
            raw += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["method"] != "POST":
            await self._answer(send, 405, {"error": "POST the SMS"})
            return
        number = next(self.numbers)
        provider_id = f"dev-{number}"
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        record = {"id": provider_id, "received_at": rfc3339(utcnow()), "path": scope["path"],
                  "authorization": any(name == b"authorization" for name, _ in scope["headers"]),
                  "body": body if body is not None else raw.decode("utf-8", "replace")}
        path = self.folder / f"{_stamp()}-{number}.json"
        path.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
        to = body.get("to", "?") if isinstance(body, dict) else "?"
        self.say(f"sms   {to} -> {path}")
        callback = body.get("callback") if isinstance(body, dict) else None
        if callback:
            reference = str(body.get("reference", "")) if isinstance(body, dict) else ""
            task = asyncio.create_task(self._report(callback, provider_id, reference))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        await self._answer(send, 200, {"id": provider_id, "status": "accepted"})

    @staticmethod
    async def _answer(send: Callable, status: int, payload: dict) -> None:
        content = json.dumps(payload).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]})
        await send({"type": "http.response.body", "body": content})

    async def _report(self, callback: str, provider_id: str, reference: str) -> None:
        await asyncio.sleep(self.report_delay)
        if not self.secret:
            self.say("sms   no report sent: sms_report_secret is empty (Frontdesk refuses unsigned reports)")
            return
        raw = json.dumps({"id": provider_id, "reference": reference, "status": "delivered",
                          "at": rfc3339(utcnow())}).encode()
        headers = {"Content-Type": "application/json", **signing.signed_headers(self.secret, raw)}
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.post(callback, content=raw, headers=headers)
            self.reports_sent += 1
            self.say(f"sms   report {provider_id} delivered -> {callback}: {response.status_code}")
        except httpx.HTTPError as error:
            self.say(f"sms   report {provider_id} to {callback} failed: {type(error).__name__} {error}")


class DevSinks:
    """Both sinks in the running event loop: ``await sinks.start()``, ``await sinks.stop()``."""

    def __init__(self, var_dir: Path, secret: str, *, host: str = "127.0.0.1", smtp_port: int = 1025,
                 sms_port: int = 1026, report_delay: float = 1.0, say: Callable[[str], None] | None = None) -> None:
        self.host = host
        self.smtp_port = smtp_port
        self.sms_port = sms_port
        self.mail_folder = var_dir / "devmail"
        self.sms_folder = var_dir / "devsms"
        self.say = say or log.info
        self.mail = MailSink(self.mail_folder, self.say)
        self.gateway = SmsGateway(self.sms_folder, secret, self.say, report_delay)
        self._smtp_server: asyncio.base_events.Server | None = None
        self._http: Any = None
        self._http_task: asyncio.Task | None = None

    async def start(self) -> None:
        import uvicorn
        from aiosmtpd.smtp import SMTP

        self.mail_folder.mkdir(parents=True, exist_ok=True)
        self.sms_folder.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        self._smtp_server = await loop.create_server(
            lambda: SMTP(self.mail, hostname="frontdesk-devsinks", enable_SMTPUTF8=True), self.host, self.smtp_port)
        config = uvicorn.Config(self.gateway, host=self.host, port=self.sms_port, log_level="warning",
                                lifespan="off", loop="asyncio", http="h11")
        self._http = uvicorn.Server(config)
        self._http_task = asyncio.create_task(self._http.serve())
        deadline = loop.time() + 10
        while not self._http.started:
            if self._http_task.done():
                self._smtp_server.close()
                raise OSError(f"the SMS gateway could not listen on {self.host}:{self.sms_port}")
            if loop.time() > deadline:
                raise OSError("the SMS gateway did not start")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        for task in list(self.gateway.tasks):
            task.cancel()
        if self._http is not None:
            self._http.should_exit = True
        if self._http_task is not None:
            await self._http_task
        if self._smtp_server is not None:
            self._smtp_server.close()
            await self._smtp_server.wait_closed()


def settings_hint(host: str, smtp_port: int, sms_port: int, public_url: str = "http://127.0.0.1:8000") -> str:
    """The environment that points a Frontdesk server at the sinks."""
    return "\n".join([
        f"FRONTDESK_SMTP_HOST={host}", f"FRONTDESK_SMTP_PORT={smtp_port}", "FRONTDESK_SMTP_SECURITY=none",
        f"FRONTDESK_SMS_GATEWAY_URL=http://{host}:{sms_port}/send", f"FRONTDESK_PUBLIC_URL={public_url}",
        "FRONTDESK_SMS_REPORT_SECRET=<the same secret as this command's>",
    ])


async def serve_forever(sinks: DevSinks) -> None:
    await sinks.start()
    try:
        await asyncio.Event().wait()
    finally:
        await sinks.stop()
