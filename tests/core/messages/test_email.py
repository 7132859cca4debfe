"""The e-mail channel against a real SMTP server in this process (aiosmtpd): plain, STARTTLS
with a login, implicit TLS, refusals, a dropped session and a server that is not there."""

from __future__ import annotations

import asyncio
import socket
import time
import email
import email.policy
from types import SimpleNamespace

import pytest

from core.messages.channels import DeliveryFailed, Outgoing
from core.messages.email import EmailChannel
from tests.core.messages.servers import (Collector, SmtpServer, app_with, free_port, password_checker,
                                         self_signed)

FROM = "Harbour desk <desk@harbour.example>"


def outgoing(number: int, address: str = "resident@example.com", **overrides) -> Outgoing:
    values = dict(message_id=number, site_id=1, site_code="harbour", address=address,
                  subject=f"回覆：報修案件 {number}", body=f"您好，您的報修（第 {number} 號）已處理完畢。\n謝謝。",
                  language="zh_Hant", reference=f"resident.case:{number}")
    values.update(overrides)
    return Outgoing(**values)


def smtp_app(server: SmtpServer, **settings):
    return app_with(smtp_host="127.0.0.1", smtp_port=server.port,
                    **{"smtp_security": "none", "mail_from": FROM, "smtp_timeout_seconds": 5, **settings})


async def send_all(channel: EmailChannel, app, messages: list[Outgoing]) -> list:
    """Send a batch through one connection; a failure is returned in place of its Sent."""
    results = []
    async with channel.connect(app) as sender:
        for message in messages:
            try:
                results.append(await sender.send(message))
            except DeliveryFailed as failure:
                results.append(failure)
    return results


def parsed(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def test_a_batch_goes_over_one_session_in_utf8_with_stable_message_ids():
    with SmtpServer() as server:
        results = asyncio.run(send_all(EmailChannel(), smtp_app(server), [outgoing(n) for n in (7, 8, 9)]))
    assert [(sent.provider_id, sent.delivered) for sent in results] == [("", False)] * 3
    assert len(server.received) == 3
    first = server.received[0]
    assert first.sender == "desk@harbour.example" and first.recipients == ["resident@example.com"]
    mail = parsed(first.data)
    assert mail["Subject"] == "回覆：報修案件 7"
    assert mail.get_content().replace("\r\n", "\n") == "您好，您的報修（第 7 號）已處理完畢。\n謝謝。\n"
    assert mail.get_content_charset() == "utf-8"
    assert mail["Message-ID"] == "<frontdesk.harbour.7@harbour.example>"
    assert mail["X-Frontdesk-Reference"] == "resident.case:7"
    assert mail["From"] == FROM and mail["To"] == "resident@example.com"
    assert [parsed(r.data)["Message-ID"] for r in server.received[1:]] == [
        "<frontdesk.harbour.8@harbour.example>", "<frontdesk.harbour.9@harbour.example>"]


def test_starttls_with_login(tmp_path):
    certificate = self_signed(tmp_path)
    with SmtpServer(tls_context=certificate.server_context(), require_starttls=True, auth_required=True,
                    authenticator=password_checker("desk", "s3cret")) as server:
        app = smtp_app(server, smtp_security="starttls", smtp_username="desk", smtp_password="s3cret")
        channel = EmailChannel(tls_context=certificate.client_context())
        results = asyncio.run(send_all(channel, app, [outgoing(1)]))
        assert results[0].provider_id == ""
        assert [(r.tls, r.authenticated) for r in server.received] == [(True, True)]

        wrong = smtp_app(server, smtp_security="starttls", smtp_username="desk", smtp_password="nope")
        with pytest.raises(DeliveryFailed) as refused:
            asyncio.run(send_all(channel, wrong, [outgoing(2)]))
        assert not refused.value.permanent and "login refused" in refused.value.reason

        # The system's trust store does not know this certificate: nothing is sent in clear.
        with pytest.raises(DeliveryFailed) as untrusted:
            asyncio.run(send_all(EmailChannel(), app, [outgoing(3)]))
        assert not untrusted.value.permanent
    assert len(server.received) == 1


def test_starttls_refused_when_the_server_does_not_offer_it():
    with SmtpServer() as server:
        with pytest.raises(DeliveryFailed) as failed:
            asyncio.run(send_all(EmailChannel(), smtp_app(server, smtp_security="starttls"), [outgoing(1)]))
    assert "STARTTLS" in failed.value.reason and not failed.value.permanent
    assert server.received == []


def test_implicit_tls(tmp_path):
    certificate = self_signed(tmp_path)
    with SmtpServer(ssl_context=certificate.server_context()) as server:
        channel = EmailChannel(tls_context=certificate.client_context())
        asyncio.run(send_all(channel, smtp_app(server, smtp_security="tls"), [outgoing(1)]))
    assert [r.tls for r in server.received] == [True]


def test_a_refused_recipient_fails_for_good_a_busy_one_for_now_and_the_batch_goes_on():
    collector = Collector(refuse={"gone@example.com": "550 5.1.1 No such user",
                                  "full@example.com": "452 4.2.2 Mailbox full"})
    with SmtpServer(collector) as server:
        gone, full, fine = asyncio.run(send_all(EmailChannel(), smtp_app(server), [
            outgoing(1, "gone@example.com"), outgoing(2, "full@example.com"), outgoing(3)]))
    assert isinstance(gone, DeliveryFailed) and gone.permanent and "550" in gone.reason
    assert isinstance(full, DeliveryFailed) and not full.permanent and "452" in full.reason
    assert fine.provider_id == "" and [r.recipients for r in server.received] == [["resident@example.com"]]


def test_a_dropped_session_fails_that_message_for_now_and_the_next_one_reconnects():
    collector = Collector(drop={"resident@example.com"})
    with SmtpServer(collector) as server:
        dropped, after = asyncio.run(send_all(EmailChannel(), smtp_app(server), [outgoing(1), outgoing(2)]))
    assert isinstance(dropped, DeliveryFailed) and not dropped.permanent
    assert after.provider_id == ""
    assert [parsed(r.data)["Message-ID"] for r in server.received] == ["<frontdesk.harbour.2@harbour.example>"]


def test_no_server_and_no_configuration_fail_for_now():
    app = app_with(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none", smtp_timeout_seconds=2)
    with pytest.raises(DeliveryFailed) as down:
        asyncio.run(send_all(EmailChannel(), app, [outgoing(1)]))
    assert not down.value.permanent and "not reachable" in down.value.reason
    with pytest.raises(DeliveryFailed) as unconfigured:
        asyncio.run(send_all(EmailChannel(), app_with(smtp_host=""), [outgoing(1)]))
    assert not unconfigured.value.permanent and "not configured" in unconfigured.value.reason


@pytest.mark.parametrize("value", ["", "no-at-sign", "two@@example.com", "a@b", "a b@example.com",
                                   "name@exa_mple.com", "name@example..com", "name@-example.com"])
def test_bad_addresses_are_refused_with_a_message(value):
    with pytest.raises(ValueError) as refused:
        EmailChannel().normalise_address(value)
    assert "e-mail address" in str(refused.value)


def test_addresses_are_normalised_and_found_on_parties_and_users():
    channel = EmailChannel()
    assert channel.normalise_address("  Chen@Example.COM ") == "Chen@example.com"
    assert channel.normalise_address("陳@例子.台灣") == "陳@例子.台灣"
    assert channel.address_of(party=SimpleNamespace(email="wu@example.com")) == "wu@example.com"
    assert channel.address_of(party=SimpleNamespace(email=""), user=SimpleNamespace(email="me@example.com")) \
        == "me@example.com"
    assert channel.address_of(party=SimpleNamespace(email="not an address")) == ""
    assert channel.address_of() == ""
    assert (channel.name, channel.respects_quiet_hours) == ("email", True)


def test_headers_cannot_be_injected_and_the_text_arrives_exactly():
    text = "Line one\n.\n.hidden dot line\n" + "x" * 1200
    with SmtpServer() as server:
        asyncio.run(send_all(EmailChannel(), smtp_app(server, mail_from="前台 櫃檯 <desk@harbour.example>"), [
            outgoing(1, subject="Hello\r\nBcc: evil@example.com", body=text),
            outgoing(2, subject=("A long subject in plain ASCII " * 6).strip(), body="Plain\nASCII\n")]))
    first, second = (parsed(r.data) for r in server.received)
    assert first["Bcc"] is None and first["Subject"] == "Hello Bcc: evil@example.com"
    assert [r.recipients for r in server.received] == [["resident@example.com"]] * 2
    assert first.get_content().replace("\r\n", "\n") == text + "\n"
    assert first["From"].addresses[0].display_name == "前台 櫃檯"
    assert second["Subject"] == ("A long subject in plain ASCII " * 6).strip()
    assert second["Content-Transfer-Encoding"] == "7bit"
    assert second.get_content().replace("\r\n", "\n") == "Plain\nASCII\n"


def test_an_address_outside_ascii_needs_a_server_with_smtputf8():
    with SmtpServer(enable_SMTPUTF8=False) as plain:
        [refused] = asyncio.run(send_all(EmailChannel(), smtp_app(plain), [outgoing(1, "陳@例子.台灣")]))
    assert isinstance(refused, DeliveryFailed) and refused.permanent and "SMTPUTF8" in refused.reason
    with SmtpServer(enable_SMTPUTF8=True) as modern:
        [sent] = asyncio.run(send_all(EmailChannel(), smtp_app(modern), [outgoing(1, "陳@例子.台灣")]))
    assert sent.provider_id == "" and modern.received[0].recipients == ["陳@例子.台灣"]


def test_a_server_gone_mid_batch_costs_one_reconnect_not_one_per_message():
    """After the session drops, the server's port answers nothing (a hung host): the next
    message waits out one timeout, the rest of the batch fails at once with its reason."""
    collector = Collector(drop={"resident@example.com"})
    server = SmtpServer(collector).__enter__()
    hung = socket.socket()

    async def batch():
        results = []
        async with EmailChannel().connect(smtp_app(server, smtp_timeout_seconds=0.5)) as sender:
            for number in range(1, 6):
                if number == 2:
                    server.__exit__()
                    hung.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    hung.bind(("127.0.0.1", server.port))
                    hung.listen(8)  # connections complete, no greeting ever comes
                try:
                    results.append(await sender.send(outgoing(number)))
                except DeliveryFailed as failure:
                    results.append(failure)
        return results

    started = time.monotonic()
    try:
        results = asyncio.run(batch())
    finally:
        hung.close()
    assert all(isinstance(result, DeliveryFailed) and not result.permanent for result in results)
    assert "not reachable" in results[1].reason and {r.reason for r in results[2:]} == {results[1].reason}
    assert time.monotonic() - started < 1.5  # one timeout of 0.5 s, not four
