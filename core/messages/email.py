"""E-mail over SMTP: the built-in ``email`` channel (``register_channels``).

One SMTP session per batch (``aiosmtplib``, a maintained asyncio client): connecting, the
TLS handshake and the login are paid once, then each message costs one MAIL/RCPT/DATA
exchange, which is what lets one worker hand hundreds of e-mails a second to a local relay.

Security follows ``smtp_security``: ``starttls`` (port 587: the server must offer STARTTLS,
else nothing is sent), ``tls`` (port 465, TLS from the first byte) or ``none`` (a relay on
the same host). Certificates are checked against the system's trust store (``SSL_CERT_FILE``
names another). ``smtp_username`` set: the client logs in after TLS.

Each e-mail carries a stable ``Message-ID: <frontdesk.{site}.{message id}@{domain of
mail_from}>``: a message sent again after a crash (accepted by the server, not yet marked
sent) has the same id, which mail systems and people can recognise as the same e-mail.
SMTP has no delivery report: an accepted e-mail is "sent", never "delivered".
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import logging
import ssl
from email.header import Header
from typing import Any, AsyncIterator

import aiosmtplib
from email_validator import EmailNotValidError, validate_email

from core.entities.privacy import mask_email
from core.i18n import N_
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.messages.channels import DeliveryFailed, Outgoing, Sent

log = logging.getLogger("frontdesk.messages.email")

#: Stored as the reason of messages that cannot go out because SMTP is not set up.
NOT_CONFIGURED = N_("E-mail is not configured (smtp_host is empty).")


def envelope_address(mail_from: str) -> str:
    """The bare address of ``mail_from`` ("Frontdesk <desk@example.com>" -> "desk@example.com")."""
    return email.utils.parseaddr(mail_from)[1] or mail_from.strip()


def id_domain(mail_from: str) -> str:
    return envelope_address(mail_from).rpartition("@")[2] or "localhost"


def message_id(site_code: str, number: int, mail_from: str, *, domain: str | None = None) -> str:
    """The stable Message-ID of outbox message ``number``."""
    return f"<frontdesk.{site_code}.{number}@{domain or id_domain(mail_from)}>"


def from_header(mail_from: str) -> str:
    """``mail_from`` as a From header (a display name outside ASCII encoded, RFC 2047)."""
    name, address = email.utils.parseaddr(mail_from)
    return email.utils.formataddr((name, address or mail_from.strip()), charset="utf-8")


def _one_line(value: str) -> str:
    # No header may be ended early by a line break in what a template rendered.
    return " ".join(value.splitlines())


def build_email(outgoing: Outgoing, mail_from: str, *, from_line: str | None = None,
                domain: str | None = None) -> bytes:
    """The e-mail for one outbox message, as sent: plain text in UTF-8 (base64 unless it
    is ASCII), its stable Message-ID, headers folded and encoded (RFC 5322, 2047).

    Written out directly rather than through ``email.message.EmailMessage``, whose header
    parsing cost 1.5 ms an e-mail, most of the channel's time (the worker's target is 200
    e-mails a second); ``tests/core/messages/test_email.py`` reads what it writes back with
    the standard parser."""
    subject = _one_line(outgoing.subject)
    charset = "us-ascii" if subject.isascii() else "utf-8"
    headers = [
        f"From: {from_line or from_header(mail_from)}",
        f"To: {_one_line(outgoing.address)}",
        "Subject: " + Header(subject, charset, header_name="Subject").encode(linesep="\r\n"),
        f"Date: {email.utils.formatdate(usegmt=True)}",
        f"Message-ID: {message_id(outgoing.site_code, outgoing.message_id, mail_from, domain=domain)}",
    ]
    if outgoing.reference:
        headers.append(f"X-Frontdesk-Reference: {_one_line(outgoing.reference)[:200]}")
    # Replies by machines (out-of-office) should not answer a notice (RFC 3834).
    headers += ["Auto-Submitted: auto-generated", "MIME-Version: 1.0"]
    text = "\r\n".join(outgoing.body.splitlines()) + "\r\n"
    if text.isascii() and all(len(line) <= 998 for line in text.split("\r\n")):
        headers += ['Content-Type: text/plain; charset="us-ascii"', "Content-Transfer-Encoding: 7bit"]
        body = text.encode("ascii")
    else:
        headers += ['Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: base64"]
        body = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
    return "\r\n".join(headers).encode("utf-8") + b"\r\n\r\n" + body


def _smtp_reason(error: Exception) -> str:
    code = getattr(error, "code", None)
    message = " ".join(str(getattr(error, "message", "") or error).split())
    return (f"SMTP {code}: {message}" if code else message)[:400]


class EmailSender:
    """Sends the e-mails of one batch over one SMTP session (reconnecting once after a drop)."""

    def __init__(self, settings: Any, tls_context: ssl.SSLContext | None) -> None:
        self.settings = settings
        self.tls_context = tls_context
        self.sender = envelope_address(settings.mail_from)
        # Parsed once per batch, not per e-mail.
        self.from_line = from_header(settings.mail_from)
        self.domain = id_domain(settings.mail_from)
        self.client: aiosmtplib.SMTP | None = None
        #: Why reconnecting failed: the rest of the batch fails at once with it.
        self.lost = ""

    async def open(self) -> None:
        settings = self.settings
        security = settings.smtp_security
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host, port=settings.smtp_port, timeout=settings.smtp_timeout_seconds,
            use_tls=security == "tls", start_tls=True if security == "starttls" else False,
            tls_context=self.tls_context if security != "none" else None,
        )
        try:
            await client.connect()
            if client.is_ehlo_or_helo_needed:
                await client.ehlo()  # what the server offers (SMTPUTF8) is known before the first e-mail
            if settings.smtp_username:
                await client.login(settings.smtp_username, settings.smtp_password)
        except aiosmtplib.SMTPAuthenticationError as error:
            await self._close(client)
            raise DeliveryFailed(f"SMTP login refused: {_smtp_reason(error)}") from None
        except OSError as error:  # refused, timed out, TLS handshake failed, dropped
            await self._close(client)
            where = f"{settings.smtp_host}:{settings.smtp_port}"
            raise DeliveryFailed(f"SMTP server {where} not reachable: {_smtp_reason(error) or type(error).__name__}") from None
        except aiosmtplib.SMTPException as error:  # e.g. no STARTTLS or AUTH offered
            await self._close(client)
            where = f"{settings.smtp_host}:{settings.smtp_port}"
            raise DeliveryFailed(f"SMTP server {where} refused the session: {_smtp_reason(error)}") from None
        self.client = client

    @staticmethod
    async def _close(client: aiosmtplib.SMTP) -> None:
        if client.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()
        client.close()

    async def close(self) -> None:
        if self.client is not None:
            await self._close(self.client)
            self.client = None

    async def send(self, outgoing: Outgoing) -> Sent:
        if self.client is None or not self.client.is_connected:
            # The session dropped on an earlier message of this batch: one new try per batch
            # (a server that went away must not cost every remaining message a timeout).
            self.client = None
            if self.lost:
                raise DeliveryFailed(self.lost)
            try:
                await self.open()
            except DeliveryFailed as failure:
                self.lost = failure.reason
                raise
        client = self.client
        if client is None:  # open() sets it or raises
            raise DeliveryFailed("SMTP session not open")
        data = build_email(outgoing, self.settings.mail_from, from_line=self.from_line, domain=self.domain)
        options = []
        if not (outgoing.address.isascii() and self.sender.isascii()):
            if not client.supports_extension("smtputf8"):
                raise DeliveryFailed("the SMTP server cannot send to an address outside ASCII (no SMTPUTF8)",
                                     permanent=True)
            options.append("SMTPUTF8")
        try:
            await client.sendmail(self.sender, [outgoing.address], data, mail_options=options)
        except aiosmtplib.SMTPRecipientsRefused as error:
            refused = error.recipients[0] if error.recipients else error
            code = getattr(refused, "code", 0) or 0
            raise DeliveryFailed(_smtp_reason(refused), permanent=500 <= code < 600) from None
        except aiosmtplib.SMTPServerDisconnected as error:
            await self.close()
            raise DeliveryFailed(f"SMTP connection lost: {_smtp_reason(error)}") from None
        except aiosmtplib.SMTPResponseException as error:
            # A 5xx to the sender or the data is about this e-mail (too large, refused
            # content): sending it again cannot help. 4xx: the server asks to try later.
            raise DeliveryFailed(_smtp_reason(error), permanent=500 <= error.code < 600) from None
        except (aiosmtplib.SMTPException, OSError) as error:
            await self.close()
            raise DeliveryFailed(f"SMTP error: {_smtp_reason(error) or type(error).__name__}") from None
        log.debug("e-mail %s accepted for %s", outgoing.message_id, mask_email(outgoing.address))
        return Sent(provider_id="", delivered=False)


class EmailChannel:
    """The ``email`` channel: a party's or user's e-mail address, sent over SMTP."""

    name = "email"
    label = _l("E-mail")
    respects_quiet_hours = True

    def __init__(self, tls_context: ssl.SSLContext | None = None) -> None:
        #: TLS checks (STARTTLS and implicit TLS): the system's trust store unless given.
        self.tls_context = tls_context

    def _tls_context(self) -> ssl.SSLContext:
        # Loading the system's trust store costs tens of milliseconds: once per process.
        if self.tls_context is None:
            self.tls_context = ssl.create_default_context()
        return self.tls_context

    def address_of(self, party: Any = None, user: Any = None) -> str:
        for holder in (party, user):
            value = (getattr(holder, "email", "") or "").strip() if holder is not None else ""
            if value:
                try:
                    return self.normalise_address(value)
                except ValueError:
                    return ""
        return ""

    def normalise_address(self, value: str) -> str:
        value = (value or "").strip()
        if not value:
            raise ValueError(_("Enter an e-mail address."))
        try:
            # Only the form is checked: no DNS look-up while a person waits for a form.
            checked = validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            raise ValueError(_("Enter a valid e-mail address, such as name@example.com.")) from None
        return checked.normalized

    @contextlib.asynccontextmanager
    async def connect(self, app: Any) -> AsyncIterator[EmailSender]:
        settings = app.state.settings
        if not settings.smtp_host:
            raise DeliveryFailed(NOT_CONFIGURED)
        sender = EmailSender(settings, self._tls_context() if settings.smtp_security != "none" else None)
        await sender.open()
        try:
            yield sender
        finally:
            await sender.close()
