"""``frontdesk devsinks``: the demo's mail server and SMS gateway, end to end through the
delivery worker and a real Frontdesk server that receives the signed delivery report."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import json
import threading
import time
from zoneinfo import ZoneInfo

import pytest

from core.messages.dev_sinks import DevSinks
from tests.core.messages.servers import free_port

SECRET = "dev-sinks-secret"


class SinksInThread:
    """The sinks in their own event loop, as the command runs them."""

    def __init__(self, folder, **kwargs) -> None:
        self.loop = asyncio.new_event_loop()
        self.sinks = DevSinks(folder, SECRET, say=lambda line: None, **kwargs)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> DevSinks:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.sinks.start(), self.loop).result(timeout=10)
        return self.sinks

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.sinks.stop(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def test_the_demo_gets_its_mail_and_sms_and_sees_the_sms_delivered(make_live_demo_app, tmp_path):
    smtp_port, sms_port = free_port(), free_port()
    live = make_live_demo_app(smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_security="none",
                              sms_gateway_url=f"http://127.0.0.1:{sms_port}/send", sms_report_secret=SECRET,
                              outbox_poll_seconds=0)
    live.app.state.settings = live.app.state.settings.model_copy(update={"public_url": live.url})

    from core.entities.models import Party, Site
    from core.messages import services
    from core.messages.models import Message
    from core.messages.worker import deliver_due

    async def queue_both():
        site = await Site.get(code="harbour")
        party = await Party.create(site=site, name="林小姐", phones=["0912345678"], email="lin@example.com")
        context = {"subject": "報修進度", "text": "您好，水管已修好。"}
        return [await services.queue(site, "core.text", context, party=party, channel=channel)
                for channel in ("email", "sms")]

    e_mail, sms = live.call(queue_both)
    zone = ZoneInfo(live.call(lambda: Site.get(code="harbour")).timezone)
    noon = dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time(12), tzinfo=zone)
    with SinksInThread(tmp_path, smtp_port=smtp_port, sms_port=sms_port, report_delay=0.05) as sinks:
        assert live.call(lambda: deliver_due(live.app, noon.astimezone(dt.timezone.utc))) == 2
        deadline = time.monotonic() + 10
        while live.call(lambda: Message.get(id=sms.id)).status != "delivered":
            assert time.monotonic() < deadline, "no delivery report arrived"
            time.sleep(0.05)
        # The gateway counts its report once our answer reached it, a moment after we stored it.
        while sinks.gateway.reports_sent < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sinks.gateway.reports_sent == 1
    assert live.call(lambda: Message.get(id=e_mail.id)).status == "sent"

    [mail_file] = (tmp_path / "devmail").iterdir()
    mail = email.message_from_bytes(mail_file.read_bytes(), policy=email.policy.default)
    assert mail["Subject"] == "報修進度" and mail["To"] == "lin@example.com"
    assert mail["Message-ID"] == f"<frontdesk.harbour.{e_mail.id}@localhost>"
    [sms_file] = (tmp_path / "devsms").iterdir()
    kept = json.loads(sms_file.read_text(encoding="utf-8"))
    assert kept["body"]["to"] == "0912345678" and kept["body"]["text"] == "您好，水管已修好。"
    assert kept["body"]["reference"] == str(sms.id)


def test_a_taken_port_is_an_error_not_a_hang(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            asyncio.run(DevSinks(tmp_path, SECRET, smtp_port=port, sms_port=free_port()).start())
